"""``cqsim sweep`` (run or resume a sweep into its store) and ``cqsim sensitivity``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cqsim.cli import EXIT_FAILED, EXIT_INTERRUPTED, workers_count
from sim.errors import SettingError


def add_commands(sub) -> None:
    """Register `cqsim sweep` and `cqsim sensitivity` on the subcommand parser."""
    sw = sub.add_parser(
        "sweep",
        help="run a sweep (grid, lhs, sobol, morris) into a resumable DuckDB store",
        description="Run every design point x replicate of a sweep file, storing each run as "
        "it finishes. Run the same command again to finish a sweep that was stopped.",
    )
    sw.add_argument("sweep", type=Path, help="sweep TOML file")
    sw.add_argument("--store", type=Path, help="DuckDB file (default runs/<sweep name>.duckdb)")
    where = sw.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=workers_count, help="local processes (default: one per core)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask distributed scheduler"
    )
    sw.add_argument("--export", type=Path, metavar="DIR", help="also write the tables as Parquet")
    sw.add_argument(
        "--dry-run", action="store_true", help="check the sweep and show its design; run nothing"
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar")

    se = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris indices of a metric from a sweep store",
        description="Sensitivity indices (SALib) of a metric aggregated over a year, from a "
        "complete sobol or morris sweep. Prints a table; saves a bar plot and a CSV.",
    )
    se.add_argument("store", type=Path, help="the sweep's DuckDB store")
    se.add_argument("--metric", required=True, help="metric name, e.g. revenue_bn_yuan")
    se.add_argument("--year", required=True, type=int, help="year to aggregate over")
    se.add_argument(
        "--agg",
        default="auto",
        choices=["auto", "sum", "mean", "december"],
        help="per run: sum, mean or December value over the year (auto: December for stocks, "
        "sum for flows)",
    )
    se.add_argument(
        "--out",
        type=Path,
        help="plot file, PNG (default: next to the store); the table goes beside it as CSV",
    )
    se.add_argument(
        "--force", action="store_true", help="replace --out files that cqsim did not write"
    )
    add_discover(sub)


def add_discover(sub) -> None:
    """Register `cqsim discover`."""
    di = sub.add_parser(
        "discover",
        help="scenario discovery (PRIM) over a sweep store: where a target is met",
        description="Which ranges of the sweep's levers and of the uncertain (calibrated) "
        "parameters lead to meeting a target: PRIM (EMA Workbench's implementation) over the "
        "store's runs. Prints the box; saves a plot and the box's limits as CSV.",
    )
    di.add_argument("store", type=Path, help="the sweep's DuckDB store")
    di.add_argument(
        "--target",
        default="cq_revenue_2025",
        help="target id of observations.csv (default cq_revenue_2025)",
    )
    di.add_argument(
        "--threshold",
        type=float,
        default=0.8,
        help="least density of the chosen box: the share of its runs that meet the target "
        "(default 0.8)",
    )
    di.add_argument("--out", type=Path, help="plot file, PNG (default: next to the store)")
    di.add_argument(
        "--force", action="store_true", help="replace --out files that cqsim did not write"
    )


def cmd_discover(args: argparse.Namespace) -> int:
    """Print the PRIM box for the target; save the plot and the limits."""
    from analysis.discover import default_output, describe, discover, limits_table, plot
    from sim.outputs import check_output_file, output_file

    out = args.out or default_output(args.store, args.target)
    if out.suffix.lower() != ".png":
        raise SettingError("out", f"the plot is a PNG file, got {out}")
    csv = out.with_suffix(".csv")
    check_output_file(out, force=args.force)
    result = discover(args.store, args.target, args.threshold)
    table = limits_table(result)
    header = ",".join(table.columns)
    check_output_file(csv, force=args.force, csv_header=header)
    print(describe(result))
    with output_file(out, force=args.force) as tmp:
        plot(result, tmp)
    with output_file(csv, force=args.force, csv_header=header) as tmp:
        table.to_csv(tmp, index=False)
    print(f"plot: {out}\nbox: {csv}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep; print where its results are."""
    from sim.sweeps.execute import RunFailed, SweepInterrupted, default_store, run_sweep
    from sim.sweeps.spec import load_sweep

    sweep = load_sweep(args.sweep)
    store = args.store or default_store(sweep)
    if args.dry_run:
        _print_design(sweep, store)
        return 0

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        summary = run_sweep(
            sweep,
            store=store,
            workers=args.workers,
            scheduler=args.scheduler,
            export=args.export,
            progress=not args.quiet,
            log=log,
        )
    except SweepInterrupted as exc:
        print(
            f"cqsim: interrupted; {exc.stored} of {exc.total} runs are stored in {exc.store}; "
            "run the same command to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except RunFailed as exc:
        print(f"cqsim: error: {exc}; the runs finished before it are stored", file=sys.stderr)
        return EXIT_FAILED
    if summary.ran:
        rate = summary.ran / summary.wall_time_s * 60 if summary.wall_time_s > 0 else 0.0
        now = f"ran {summary.ran} in {summary.wall_time_s:.1f} s, {rate:.0f} runs/min"
        if summary.already_done:
            now += f"; {summary.already_done} were stored before"
    else:
        now = "all were stored before; nothing to run"
    print(f"{sweep.name}: {summary.total_runs} runs stored in {summary.store} ({now})")
    if summary.export is not None:
        print(f"exported points, runs, trajectories and manifest as Parquet to {summary.export}/")
    return 0


def _print_design(sweep, store: Path) -> None:
    print(
        f"ok  {sweep.file}: '{sweep.name}', {sweep.design} design, {sweep.n_points} points x "
        f"{sweep.replicates} replicate{'s' if sweep.replicates > 1 else ''} = {sweep.n_runs} "
        f"runs of {sweep.months} months "
        f"({sweep.base.name}, {sweep.base.run.start} to {sweep.base.run.end}, scale "
        f"{sweep.base.run.scale}), seeds {sweep.seed}..{sweep.seed + sweep.replicates - 1}, "
        f"{len(sweep.metrics)} metrics -> {store}"
    )
    for f in sweep.factors:
        col = sweep.matrix[:, sweep.factors.index(f)]
        kind = "whole numbers" if f.integer else "real"
        span = (
            f"values {', '.join(f'{v:g}' for v in f.values)}"
            if f.values is not None
            else f"range {f.low:g} .. {f.high:g} (sampled {col.min():g} .. {col.max():g})"
        )
        print(f"    {f.path}: {span}, {kind}")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Print the sensitivity table; save the plot and the table as CSV."""
    from sim.outputs import check_output_file, output_file
    from sim.sweeps.sensitivity import (
        default_output,
        describe,
        format_table,
        plot,
        sensitivity,
    )

    out = args.out or default_output(args.store, args.metric, args.year)
    if out.suffix.lower() != ".png":
        raise SettingError("out", f"the plot is a PNG file, got {out}")
    csv = out.with_suffix(".csv")
    check_output_file(out, force=args.force)
    result = sensitivity(args.store, args.metric, args.year, args.agg)
    header = ",".join(result.table.columns)
    check_output_file(csv, force=args.force, csv_header=header)
    print(describe(result))
    print(format_table(result))
    plot(result, out, force=args.force)
    with output_file(csv, force=args.force, csv_header=header) as tmp:
        result.table.to_csv(tmp, index=False)
    print(f"plot: {out}\ntable: {csv}")
    return 0


HANDLERS = {"sweep": cmd_sweep, "sensitivity": cmd_sensitivity, "discover": cmd_discover}
