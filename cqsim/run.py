"""``cqsim run`` (a scenario's trajectories, targets and manifest) and ``cqsim validate``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cqsim.cli import EXIT_BAD_INPUT, report_error, run_setting, workers_count


def add_commands(sub) -> None:
    """Register `cqsim run` and `cqsim validate`."""
    run = sub.add_parser("run", help="run a scenario and write trajectories, targets, manifest")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument(
        "-n", "--replicates", type=run_setting("replicates"), help="replicates (seeds), 1-1000"
    )
    run.add_argument(
        "--seed", type=run_setting("seed"), help="base seed; replicate k uses seed + k"
    )
    run.add_argument("--out", type=Path, help="output folder (default runs/<scenario name>)")
    run.add_argument(
        "--force",
        action="store_true",
        help="write into an --out folder that is not a cqsim output (keeps its other files)",
    )
    run.add_argument("--scale", type=run_setting("scale"), help="people per worker agent, 1-1000")
    run.add_argument("--end", help="last month, YYYY-MM")
    run.add_argument(
        "--workers",
        type=workers_count,
        help="processes (default: one per core, at most one per replicate)",
    )
    run.add_argument("--posterior", help="posterior file to draw each replicate's parameters from")
    run.add_argument(
        "--no-posterior", action="store_true", help="ignore the scenario's posterior file"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    val = sub.add_parser(
        "validate",
        help="check scenario files (and sweep, optimisation, calibration and parameter files) "
        "without running them",
    )
    val.add_argument("files", type=Path, nargs="+", help="TOML files")


def print_targets(targets: list[dict]) -> None:
    """The targets table of a run (its rows, :data:`sim.targets.TARGET_COLUMNS`) as plain text."""
    import math

    from sim.targets import verdict as target_verdict

    rows = []
    for t in targets:
        if math.isnan(t["median"]):
            rows.append((t["target_id"], f"{t['target']:,.0f}", "not in run", "", "", ""))
            continue
        prob = t["prob_met"]
        rows.append(
            (
                t["target_id"],
                f"{t['target']:,.0f} {t['unit']}",
                f"{t['median']:,.0f}",
                f"{t['p10']:,.0f} - {t['p90']:,.0f}",
                f"{prob:.0%}",
                target_verdict(prob),
            )
        )
    head = ("target", "2025 target", "median", "p10 - p90", "P(met)", "")
    widths = [max(len(str(r[i])) for r in [*rows, head]) for i in range(len(head))]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


def print_warnings(lines: list[str]) -> None:
    """Warnings about a result (an implausible fiscal cost...), after its table."""
    for line in lines:
        print(f"WARNING: {line}")


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario and write its outputs."""
    from sim.limits import check_scenario
    from sim.outputs import check_output_folder
    from sim.params import load_parameters
    from sim.runner import resolve, run, write_outputs

    params = load_parameters()
    posterior = False if args.no_posterior else args.posterior
    scenario = resolve(
        args.scenario, scale=args.scale, end=args.end, posterior=posterior, params=params
    )
    out = args.out or Path("runs") / scenario.name
    check_output_folder(out, force=args.force)
    check_scenario(scenario, params)
    replicates = args.replicates or scenario.run.replicates
    workers = args.workers or min(replicates, os.cpu_count() or 1)
    result = run(
        scenario,
        replicates=replicates,
        seed=args.seed,
        workers=workers,
        params=params,
        progress=not args.quiet,
    )
    path = write_outputs(result, out, force=args.force)
    n = result.manifest["replicates"]
    print(
        f"\n{scenario.name}: {n} replicate{'s' if n > 1 else ''}, "
        f"{scenario.run.start} to {scenario.run.end}, scale {scenario.run.scale}, "
        f"{result.manifest['wall_time_s']:.1f} s -> {path}/"
    )
    print_targets(result.target_rows)
    print_warnings(result.manifest.get("warnings", []))
    return 0


def _file_kind(data: dict) -> str:
    """What a TOML file is, from its top-level keys."""
    if "parks" in data or "sectors" in data:
        return "parameters"
    if "priors" in data:
        return "calibration"
    if "factors" in data and "base" in data:
        return "sweep"
    if "levers" in data and "base" in data:
        return "optimization"
    return "scenario"


def cmd_validate(args: argparse.Namespace) -> int:
    """Check each file as what it is; one line per file; exit 2 if any is invalid."""
    from sim.errors import CqsimError
    from sim.files import read_toml
    from sim.params import load_parameters
    from sim.scenario import load_scenario

    params = load_parameters()
    status = 0
    for path in args.files:
        try:
            kind = _file_kind(read_toml(path))
            if kind == "parameters":
                loaded = load_parameters(path)
                print(
                    f"ok  {path}: a parameter file ({len(loaded.specs)} parameters, "
                    f"{len(loaded.parks)} parks), not a scenario"
                )
            elif kind == "calibration":
                from sim.calibrate import load_config

                config = load_config(path, params)
                print(
                    f"ok  {path}: a calibration file ('{config.name}', {len(config.priors)} "
                    f"priors, {len(config.targets)} targets), not a scenario"
                )
            elif kind == "sweep":
                from sim.sweeps.spec import load_sweep

                sweep = load_sweep(path, params)
                print(
                    f"ok  {path}: a sweep file ('{sweep.name}', {sweep.design} design, "
                    f"{sweep.n_runs} runs), not a scenario"
                )
            elif kind == "optimization":
                from sim.optimize.spec import load_optimization

                opt = load_optimization(path, params)
                print(
                    f"ok  {path}: an optimisation file ('{opt.name}', {len(opt.levers)} levers, "
                    f"{opt.candidates} packages x {opt.seeds} seeds), not a scenario"
                )
            else:
                sc = load_scenario(path, params)
                kinds = ", ".join(sorted({p.kind for p in sc.policies})) or "no policies"
                print(
                    f"ok  {path}: '{sc.name}', {sc.run.start} to {sc.run.end}, scale "
                    f"{sc.run.scale}, {len(sc.policies)} policies ({kinds}), "
                    f"{len(sc.parameters)} parameter overrides"
                )
        except CqsimError as exc:
            report_error(exc)
            status = EXIT_BAD_INPUT
    return status


HANDLERS = {"run": cmd_run, "validate": cmd_validate}
