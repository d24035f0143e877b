"""``cqsim optimize``: the cheapest lever package that meets the targets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cqsim.cli import EXIT_INTERRUPTED, workers_count


def add_commands(sub) -> None:
    """Register `cqsim optimize` on the subcommand parser."""
    op = sub.add_parser(
        "optimize",
        help="search for the cheapest lever package that meets the targets (NSGA-II)",
        description="Search lever packages with optuna's NSGA-II, every package on the same "
        "seeds; keep every evaluation in a resumable store (run the same command again to "
        "continue a stopped search); re-run the chosen packages on fresh seeds; write the "
        "Pareto front, its scenario files, a plot and a summary.",
    )
    op.add_argument("optimization", type=Path, help="optimisation TOML file")
    op.add_argument(
        "--store", type=Path, help="the search's store (default runs/optimize/<name>.optuna.db)"
    )
    op.add_argument("--out", type=Path, help="result folder (default runs/optimize/<name>/)")
    where = op.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=workers_count, help="local processes (default: one per core)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask distributed scheduler"
    )
    op.add_argument(
        "--dry-run", action="store_true", help="check the file and show the search; run nothing"
    )
    op.add_argument("--force", action="store_true", help="write into an --out cqsim did not make")
    op.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_optimize(args: argparse.Namespace) -> int:
    """Run or resume an optimisation; print the answer and where the results are."""
    from sim.optimize import default_out, default_store, load_optimization, optimize
    from sim.outputs import check_output_folder, check_writable_place

    opt = load_optimization(args.optimization)
    store = args.store or default_store(opt)
    out = args.out or default_out(opt)
    if args.dry_run:
        _print_plan(opt, store, out)
        return 0
    check_writable_place(store, option="store")
    check_output_folder(out, force=args.force)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        outcome = optimize(
            opt,
            store=store,
            out=out,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            progress=not args.quiet,
            log=log,
        )
    except KeyboardInterrupt:
        print(
            f"cqsim: interrupted; every package evaluated so far is stored in {store}; "
            "run the same command to continue",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    r = outcome.result
    print(r.headline)
    for line in r.details:
        print(f"  {line}")
    print(
        f"results: {outcome.out}/ (summary.md, pareto.png, front.csv, candidates.csv, "
        f"fresh_seed_check.csv, packages/*.toml); store: {store}"
    )
    return 0


def _print_plan(opt, store: Path, out: Path) -> None:
    print(
        f"ok  {opt.file}: '{opt.name}', {opt.candidates} packages x {opt.seeds} seeds "
        f"({opt.seed}..{opt.seed + opt.seeds - 1}) of {opt.base.name} to {opt.base.run.end} at "
        f"scale {opt.base.run.scale}; NSGA-II population {opt.population}; "
        f"{opt.check_packages} packages re-run on {opt.check_seeds} fresh seeds -> {out} "
        f"(store {store})"
    )
    for lv in opt.levers:
        span = (
            f"choices {', '.join(map(str, lv.choices))}"
            if lv.choices is not None
            else f"{lv.low:g} .. {lv.high:g}" + (f" in steps of {lv.step:g}" if lv.step else "")
        )
        print(f"    lever {lv.path}: {span} (base {lv.base_value})")
    for o in opt.objectives:
        print(f"    {o.direction} {o.metric}")
    for c in opt.constraints:
        print(f"    subject to {c.describe()}")


HANDLERS = {"optimize": cmd_optimize}
