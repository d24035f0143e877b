"""``cqsim calibrate`` (ABC-SMC against the observed figures) and ``cqsim validate-model``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cqsim.cli import run_setting, workers_count


def add_commands(sub) -> None:
    """Register `cqsim calibrate` and `cqsim validate-model`."""
    cal = sub.add_parser("calibrate", help="fit parameters to the observed figures (ABC-SMC)")
    cal.add_argument("config", type=Path, help="calibration TOML file")
    cal.add_argument("--fresh", action="store_true", help="discard the stored history, start over")
    cal.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the simulations on this Dask distributed scheduler (pyabc's Dask sampler)",
    )
    val = sub.add_parser(
        "validate-model", help="observed figures against the model's predictive distribution"
    )
    val.add_argument("scenario", type=Path, nargs="?", help="scenario (default: the baseline)")
    val.add_argument("-n", "--replicates", type=run_setting("replicates"), default=20)
    val.add_argument("--seed", type=run_setting("seed"), default=1)
    val.add_argument("--out", type=Path, default=Path("runs/validation"))
    val.add_argument(
        "--force",
        action="store_true",
        help="write into an --out folder that is not a cqsim output (keeps its other files)",
    )
    val.add_argument("--workers", type=workers_count, help="processes (default: cores)")
    val.add_argument(
        "--ship",
        action="store_true",
        help="also write the table to scenarios/validation_baseline.csv, which the report and "
        "the app read for their statement of how far to trust the model",
    )


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run or resume a calibration and print the posterior summary."""
    from sim.calibrate import calibrate

    summary = calibrate(args.config, fresh=args.fresh, scheduler=args.scheduler)
    print(
        f"\n{summary['generations']} generations, {summary['simulations']} simulations, "
        f"final epsilon {summary['epsilon']:.3g}, {summary['wall_seconds']:.0f} s"
        f"{' (resumed)' if summary['resumed'] else ''} -> {summary['posterior']}"
    )
    print(f"{'parameter':<44} {'median':>12} {'5%':>12} {'95%':>12}")
    for row in summary["parameters"]:
        cells = " ".join(f"{_number(row[k]):>12}" for k in ("median", "p5", "p95"))
        print(f"{row['parameter']:<44} {cells}")
    return 0


def _number(value: float) -> str:
    """Four significant digits, with thousands separators instead of exponents."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def cmd_validate_model(args: argparse.Namespace) -> int:
    """Run the scenario (to 2025) and hold every observed figure against it."""
    from analysis.validation import validate_model
    from sim.outputs import check_output_folder
    from sim.params import scenarios_dir
    from sim.runner import run

    scenario = args.scenario or scenarios_dir() / "baseline.toml"
    check_output_folder(args.out, force=args.force)
    result = run(
        scenario,
        replicates=args.replicates,
        seed=args.seed,
        end="2025-12",
        workers=args.workers or os.cpu_count() or 1,
        progress=True,
    )
    table = validate_model(result.trajectories, args.out, force=args.force)
    print(f"\n{'observed figure':<24} {'observed':>12} {'model median':>14} {'5-95%':>24}  in 90%")
    for r in table.itertuples():
        band = f"{_number(r.model_p5)} - {_number(r.model_p95)}"
        print(
            f"{r.id:<24} {_number(r.observed):>12} {_number(r.model_median):>14} {band:>24}  "
            f"{'yes' if r.in_90 else 'NO'}"
        )
    print(f"\nwrote {args.out}/validation.csv and validation.png")
    if args.ship:
        from sim.credibility import SHIPPED
        from sim.outputs import output_file

        shipped = scenarios_dir() / SHIPPED
        header = ",".join(table.columns)
        with output_file(shipped, option="ship", csv_header=header) as tmp:
            table.to_csv(tmp, index=False)
        print(f"wrote {shipped}")
    return 0


HANDLERS = {"calibrate": cmd_calibrate, "validate-model": cmd_validate_model}
