"""The planner's subcommands of `cqsim`: compare (and, with analysis.report, report and plot)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd

from sim.scenario import ScenarioError


def add_compare_command(sub, positive_int, seed_type) -> None:
    """Register `cqsim compare`."""
    cmp = sub.add_parser(
        "compare",
        help="run scenarios with the same seeds: paired differences, targets, costs, attribution",
    )
    cmp.add_argument(
        "scenarios", type=Path, nargs="+", help="scenario files; the first is the base"
    )
    cmp.add_argument("-n", "--replicates", type=positive_int, help="replicates (paired seeds)")
    cmp.add_argument("--seed", type=seed_type, help="base seed; replicate k uses seed + k")
    cmp.add_argument("--out", type=Path, help="output folder (default runs/compare_<names>)")
    cmp.add_argument("--scale", type=positive_int, help="people per worker agent")
    cmp.add_argument("--end", help="last month, YYYY-MM")
    cmp.add_argument("--workers", type=positive_int, help="processes (default: one per core)")
    cmp.add_argument(
        "--no-attribution", action="store_true", help="skip the Shapley split (2^k runs per seed)"
    )
    cmp.add_argument(
        "--attribution-year", type=int, default=2025, help="year of the effect to split"
    )
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison, write its folder and print the planner's summary."""
    from analysis.compare import compare

    if len(args.scenarios) < 1:
        raise ScenarioError("command line", "scenarios", "give at least one scenario")
    comparison = compare(
        args.scenarios,
        replicates=args.replicates,
        seed=args.seed,
        end=args.end,
        scale=args.scale,
        workers=args.workers or (os.cpu_count() or 1),
        attribute=not args.no_attribution,
        attribution_year=args.attribution_year,
        progress=not args.quiet,
    )
    out = args.out or Path("runs") / ("compare_" + "_vs_".join(comparison.names))
    comparison.write(out)
    print(f"\nwrote {out}/  (cqsim report {out} --out report.html)")
    print_summary(comparison)
    return 0


def print_summary(comparison) -> None:
    """Targets, costs and what does the work, as plain text."""
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
            print(
                f"  cost to {int(r.through_year)}: {r.cost_bn_yuan:.1f} bn yuan; "
                f"{r.extra_jobs:,.0f} extra jobs ({r.cost_per_job_yuan:,.0f} yuan each), "
                f"{r.extra_revenue_bn_yuan:.1f} bn extra revenue vs no policy; "
                f"deadweight {r.deadweight_jobs:.0%} of new jobs"
            )
        shares = comparison.attribution
        if not shares.empty:
            mine = shares[(shares["scenario"] == name) & (shares["policy_kind"] != "total")]
            for metric, part in mine.groupby("metric"):
                top = part.sort_values("effect_median", ascending=False).head(3)
                parts = ", ".join(
                    f"{r.policy_kind} {r.effect_median:+,.1f}" for r in top.itertuples()
                )
                print(f"  what does the work ({metric}, {int(part['year'].iloc[0])}): {parts}")
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
                f"  {r.scenario:<24} {r.metric:<22} {r.year}: {r.diff_median:+,.1f} "
                f"[{r.diff_p5:+,.1f}, {r.diff_p95:+,.1f}]"
            )
