"""The planners' commands: ``cqsim compare`` (paired runs), ``cqsim report`` and ``cqsim plot``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cqsim.cli import run_setting, workers_count
from sim.errors import SettingError
from sim.lang import LANGS


def add_commands(sub) -> None:
    """Register `cqsim compare`, `cqsim report` and `cqsim plot`."""
    add_compare_command(sub)
    add_report_commands(sub)


def add_compare_command(sub) -> None:
    """Register `cqsim compare`."""
    cmp = sub.add_parser(
        "compare",
        help="run scenarios with the same seeds: paired differences, targets, costs, attribution",
    )
    cmp.add_argument(
        "scenarios", type=Path, nargs="+", help="scenario files; the first is the base"
    )
    cmp.add_argument(
        "-n", "--replicates", type=run_setting("replicates"), help="replicates (paired seeds)"
    )
    cmp.add_argument(
        "--seed", type=run_setting("seed"), help="base seed; replicate k uses seed + k"
    )
    cmp.add_argument("--out", type=Path, help="output folder (default runs/compare_<names>)")
    cmp.add_argument(
        "--force",
        action="store_true",
        help="write into an --out folder that is not a cqsim output (keeps its other files)",
    )
    cmp.add_argument("--scale", type=run_setting("scale"), help="people per worker agent")
    cmp.add_argument("--end", help="last month, YYYY-MM")
    cmp.add_argument("--workers", type=workers_count, help="processes (default: one per core)")
    cmp.add_argument(
        "--no-attribution", action="store_true", help="skip the Shapley split (2^k runs per seed)"
    )
    cmp.add_argument(
        "--attribution-year", type=int, default=2025, help="year of the effect to split"
    )
    cmp.add_argument(
        "--attribution-orderings",
        type=orderings_count,
        metavar="M",
        help="estimate the split from M sampled orderings of the kinds (antithetic pairs; at "
        "most M(k-1)+2 runs a seed instead of 2^k), labelled as sampled with its error; "
        "default: exact",
    )
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")


def orderings_count(text: str) -> int:
    """The number of sampled orderings: 4 (two pairs, so the estimate has an error) to 10,000."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 4 <= value <= 10_000:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 4 (two pairs of orderings, for an error estimate) to "
            f"10000, got {text!r}"
        )
    return value


def default_compare_folder(names: list[str]) -> Path:
    """Where `cqsim compare` writes unless --out says otherwise: runs/compare_A_vs_B..."""
    return Path("runs") / ("compare_" + "_vs_".join(names))


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison, write its folder and print the planner's summary."""
    from analysis.compare import compare, unique_names
    from sim.outputs import check_output_folder
    from sim.params import load_parameters
    from sim.runner import resolve

    params = load_parameters()
    resolved = unique_names(
        [resolve(s, scale=args.scale, end=args.end, params=params) for s in args.scenarios]
    )
    out = args.out or default_compare_folder([sc.name for sc in resolved])
    check_output_folder(out, force=args.force)
    comparison = compare(
        resolved,
        replicates=args.replicates,
        seed=args.seed,
        end=args.end,
        scale=args.scale,
        workers=args.workers or (os.cpu_count() or 1),
        attribute=not args.no_attribution,
        attribution_year=args.attribution_year,
        attribution_orderings=args.attribution_orderings,
        params=params,
        progress=not args.quiet,
    )
    comparison.write(out, force=args.force)
    print(f"\nwrote {out}/  (cqsim report {out})")
    print_summary(comparison)
    for line in comparison.manifest.get("warnings", []):
        print(f"WARNING: {line}")
    return 0


def print_summary(comparison) -> None:
    """Targets, costs and what does the work, as plain text."""
    import numpy as np
    import pandas as pd

    from analysis.tables import sampled_orderings_used

    att = comparison.attainment
    for name in comparison.names:
        print(f"\n== {name}")
        rows = att[att["scenario"] == name]
        for t in rows.itertuples():
            first = (
                f"first met {int(t.first_year_median_met)}"
                if pd.notna(t.first_year_median_met)
                else f"not met by {t.last_year}"
            )
            print(
                f"  {t.target_id:<27} P(met {t.year}) {t.prob_met:>4.0%}   median "
                f"{t.median:>12,.0f}   target {t.target:>10,.0f}   {first}"
            )
        costs = comparison.costs
        row = costs[costs["scenario"] == name]
        if not row.empty:
            r = row.iloc[0]
            each = (
                f" ({r.cost_per_job_yuan:,.0f} yuan each)"
                if np.isfinite(r.cost_per_job_yuan)
                else " (no cost per job: no jobs added on average)"
            )
            deadweight = (
                f"; deadweight {r.deadweight_jobs:.0%} of new jobs"
                if np.isfinite(r.deadweight_jobs)
                else ""
            )
            print(
                f"  cost to {int(r.through_year)}: {r.cost_bn_yuan:.1f} bn yuan; "
                f"{r.extra_jobs:,.0f} extra jobs{each}, "
                f"{r.extra_revenue_bn_yuan:.1f} bn extra revenue vs no policy{deadweight}"
            )
        shares = comparison.attribution
        if not shares.empty:
            mine = shares[(shares["scenario"] == name) & (shares["policy_kind"] != "total")]
            for metric, part in mine.groupby("metric"):
                # means over seeds: Shapley values add up to the package's effect in the mean
                # (not in the median), and the report ranks by them too
                top = part.sort_values("effect_mean", ascending=False).head(3)
                used = sampled_orderings_used(part)
                sampled = f"sampled estimate from {used} orderings" if used else ""
                parts = ", ".join(
                    f"{r.policy_kind} {_signed(r.effect_mean)}"
                    + (f" ±{_unsigned(r.sampling_margin90)}" if sampled else "")
                    for r in top.itertuples()
                )
                year = int(part["year"].iloc[0])
                how = f"; {sampled}, ± its 90% sampling margin" if sampled else ""
                print(f"  what does the work ({metric}, {year}, mean over seeds{how}): {parts}")
    paired = comparison.paired
    if not paired.empty:
        last = paired["year"].max()
        show = paired[
            (paired["year"] == min(2025, last))
            & paired["metric"].isin(["revenue_bn_yuan", "workforce", "policy_cost_bn_yuan"])
        ]
        print(f"\npaired differences against {comparison.names[0]} (median [5%, 95%] over seeds):")
        for r in show.itertuples():
            print(
                f"  {r.scenario:<24} {r.metric:<22} {r.year}: {_signed(r.diff_median)} "
                f"[{_signed(r.diff_p5)}, {_signed(r.diff_p95)}]"
            )


def _unsigned(value: float) -> str:
    """A non-negative error with three significant digits (0.0123, 1.23, 12,345)."""
    if not value == value:  # NaN: too few pairs of orderings to tell
        return "?"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _signed(value: float) -> str:
    """A signed difference with three significant digits (+0.0123, +1.23, +12,345)."""
    import numpy as np

    if not np.isfinite(value) or value == 0:
        return f"{value:+.0f}"
    if abs(value) >= 100:
        return f"{value:+,.0f}"
    return f"{value:+.3g}"


def add_report_commands(sub) -> None:
    """Register `cqsim report` and `cqsim plot`."""
    rep = sub.add_parser(
        "report", help="one self-contained HTML page of a run, comparison or optimisation folder"
    )
    rep.add_argument("folder", type=Path, help="folder written by cqsim run or cqsim compare")
    rep.add_argument("--out", type=Path, help="HTML file (default FOLDER/report.html)")
    rep.add_argument(
        "--force", action="store_true", help="replace an --out file that cqsim did not write"
    )
    add_lang_option(rep, "the report's words and figures")

    plot = sub.add_parser("plot", help="one figure of a run or comparison folder (PNG and SVG)")
    plot.add_argument("folder", type=Path, help="folder written by cqsim run or cqsim compare")
    plot.add_argument(
        "kind",
        help="fan (a metric over time), paired, costs, attribution (comparisons), parks (map)",
    )
    plot.add_argument("--metric", help="metric of a fan, paired or attribution chart")
    plot.add_argument("--year", type=int, help="year of the park map (default last, <= 2025)")
    plot.add_argument(
        "--out",
        type=Path,
        help="file: without suffix writes .png and .svg, else .png, .svg or .pdf "
        "(default FOLDER/KIND[_METRIC])",
    )
    plot.add_argument(
        "--force", action="store_true", help="replace --out files that cqsim did not write"
    )
    add_lang_option(plot, "the figure's labels")


def add_lang_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Register --lang (en or zh; Chinese needs the font Noto Sans CJK SC)."""
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default="en",
        help=f"language of {what}: en (default) or zh (Chinese; needs the font Noto Sans CJK "
        "SC, Debian's fonts-noto-cjk); file names, metrics and target ids stay as they are",
    )


def cmd_report(args: argparse.Namespace) -> int:
    """Write the HTML report of a run or comparison folder."""
    from analysis.report import write_report
    from sim.outputs import check_output_file

    out = args.out or args.folder / "report.html"
    if out.suffix.lower() not in (".html", ".htm"):
        raise SettingError("out", f"expected an .html file, got {out}")
    check_output_file(out, force=args.force)
    path = write_report(args.folder, out, force=args.force, lang=args.lang)
    print(f"wrote {path}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """Write one figure of a run or comparison folder."""
    from analysis.plots import FIGURE_FORMATS, figure_paths, save_figure
    from analysis.report import figure_for, load_results
    from sim.outputs import check_output_file

    if args.year is not None and args.kind != "parks":
        raise SettingError("year", "only the park map ('parks') has a year")
    if args.metric is not None and args.kind in ("costs", "parks"):
        raise SettingError("metric", f"'{args.kind}' has no metric to choose")
    out = args.out
    if out is None:
        out = args.folder / (args.kind + (f"_{args.metric}" if args.metric else ""))
    elif out.suffix and out.suffix.lower() not in FIGURE_FORMATS:
        raise SettingError(
            "out", f"unknown figure format '{out.suffix}'; use {', '.join(FIGURE_FORMATS)}"
        )
    for target in figure_paths(out):
        check_output_file(target, force=args.force)
    if args.lang != "en":
        from sim.lang import cjk_font_path

        cjk_font_path()  # one clear message if the font is missing, before anything runs
    results = load_results(args.folder)
    fig = figure_for(results, args.kind, metric=args.metric, year=args.year, lang=args.lang)
    for path in save_figure(fig, out, force=args.force):
        print(f"wrote {path}")
    return 0


HANDLERS = {"compare": cmd_compare, "report": cmd_report, "plot": cmd_plot}
