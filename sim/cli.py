"""The `cqsim` command line: run and validate scenarios."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from sim.params import load_parameters
from sim.scenario import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # bad command-line usage is bad input too: exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"cqsim: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2^32-1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    parser = _Parser(prog="cqsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write trajectories, targets, manifest")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument("-n", "--replicates", type=_positive_int, help="replicates (seeds)")
    run.add_argument("--seed", type=_seed, help="base seed; replicate k uses seed + k")
    run.add_argument("--out", type=Path, help="output folder (default runs/<scenario name>)")
    run.add_argument("--scale", type=_positive_int, help="people per worker agent")
    run.add_argument("--end", help="last month, YYYY-MM")
    run.add_argument(
        "--workers",
        type=_positive_int,
        help="processes (default: one per core, at most one per replicate)",
    )
    run.add_argument("--posterior", help="posterior file to draw each replicate's parameters from")
    run.add_argument(
        "--no-posterior", action="store_true", help="ignore the scenario's posterior file"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("scenarios", type=Path, nargs="+", help="scenario TOML files")

    from analysis.cli import add_compare_command, add_report_commands

    add_compare_command(sub, _positive_int, _seed)
    add_report_commands(sub)

    from sim.calibrate import add_calibration_commands

    add_calibration_commands(sub, _positive_int)

    from sim.sweeps.cli import add_sweep_commands

    add_sweep_commands(sub, _positive_int)

    from sim.app.server import add_app_command

    add_app_command(sub)
    return parser


def _print_targets(targets: pd.DataFrame) -> None:
    rows = []
    for t in targets.itertuples():
        if pd.isna(t.median):
            rows.append((t.target_id, f"{t.target:,.0f}", "not in run", "", "", ""))
            continue
        prob = t.prob_met
        verdict = "met" if prob >= 0.9 else ("likely" if prob >= 0.5 else "not met")
        rows.append(
            (
                t.target_id,
                f"{t.target:,.0f} {t.unit}",
                f"{t.median:,.0f}",
                f"{t.p10:,.0f} - {t.p90:,.0f}",
                f"{prob:.0%}",
                verdict,
            )
        )
    head = ("target", "2025 target", "median", "p10 - p90", "P(met)", "")
    widths = [max(len(str(r[i])) for r in [*rows, head]) for i in range(len(head))]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario and write its outputs."""
    from sim.runner import resolve, run, write_outputs

    params = load_parameters()
    posterior = False if args.no_posterior else args.posterior
    scenario = resolve(
        args.scenario, scale=args.scale, end=args.end, posterior=posterior, params=params
    )
    out = args.out or Path("runs") / scenario.name
    if out.exists() and not out.is_dir():
        raise ScenarioError("command line", "--out", f"{out} exists and is not a folder")
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
    path = write_outputs(result, out)
    n = result.manifest["replicates"]
    print(
        f"\n{scenario.name}: {n} replicate{'s' if n > 1 else ''}, "
        f"{scenario.run.start} to {scenario.run.end}, scale {scenario.run.scale}, "
        f"{result.manifest['wall_time_s']:.1f} s -> {path}/"
    )
    _print_targets(result.targets)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate scenario files; print one line per file, exit 2 if any is invalid."""
    params = load_parameters()
    status = 0
    for path in args.scenarios:
        try:
            sc = load_scenario(path, params)
        except ScenarioError as exc:
            print(f"cqsim: error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        kinds = ", ".join(sorted({p.kind for p in sc.policies})) or "no policies"
        print(
            f"ok  {path}: '{sc.name}', {sc.run.start} to {sc.run.end}, scale {sc.run.scale}, "
            f"{len(sc.policies)} policies ({kinds}), {len(sc.parameters)} parameter overrides"
        )
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cqsim` console script."""
    args = build_parser().parse_args(argv)
    from analysis.cli import cmd_compare, cmd_plot, cmd_report
    from sim.app.server import APP_HANDLERS
    from sim.calibrate import CALIBRATION_HANDLERS
    from sim.sweeps.cli import SWEEP_HANDLERS

    handlers = {"run": cmd_run, "validate": cmd_validate, "compare": cmd_compare}
    handlers.update(report=cmd_report, plot=cmd_plot)
    handlers.update(CALIBRATION_HANDLERS)
    handlers.update(SWEEP_HANDLERS)
    handlers.update(APP_HANDLERS)
    try:
        return handlers[args.command](args)
    except ScenarioError as exc:
        print(f"cqsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("cqsim: interrupted; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
