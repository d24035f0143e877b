"""Tidy tables a planner reads: yearly values, paired differences, target attainment, costs.

Every function takes the long trajectories table that :func:`sim.run` returns (columns
``scenario, replicate, seed, date, metric, value``) and returns a plain DataFrame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.metrics import is_stock
from sim.policies import KINDS, cost_metric
from sim.targets import load_observations, observe

LOW, HIGH = 5, 95  # the 90% interval of paired differences


def yearly(trajectories: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """One value per scenario, replicate, year and metric: flows summed, stocks in December.

    Returns columns ``scenario, replicate, seed, year, metric, value``.
    """
    traj = trajectories
    if metrics is not None:
        traj = traj[traj["metric"].isin(metrics)]
    traj = traj.assign(
        year=traj["date"].dt.year,
        month=traj["date"].dt.month,
        scenario=traj["scenario"].astype(str),
        metric=traj["metric"].astype(str),
    )
    names = traj["metric"].unique()
    stock_names = [m for m in names if is_stock(m)]
    keys = ["scenario", "replicate", "seed", "year", "metric"]
    flows = traj[~traj["metric"].isin(stock_names)].groupby(keys, observed=True)["value"].sum()
    stocks = traj[traj["metric"].isin(stock_names)].sort_values("month")
    stocks = stocks.groupby(keys, observed=True)["value"].last()
    return pd.concat([flows, stocks]).reset_index().sort_values(keys, ignore_index=True)


def paired_differences(trajectories: pd.DataFrame, base: str) -> pd.DataFrame:
    """Per scenario, metric and year: the difference from ``base``, seed by seed.

    Replicates with the same seed are paired (common random numbers), so the interval is that
    of the per-seed differences, not of two independent bands. Returns columns ``scenario,
    metric, year, base_median, scenario_median, diff_median, diff_mean, diff_p5, diff_p95,
    n_pairs``.
    """
    table = yearly(trajectories)
    left = table[table["scenario"] != base]
    right = table[table["scenario"] == base].drop(columns=["scenario", "replicate"])
    paired = left.merge(right, on=["seed", "year", "metric"], suffixes=("", "_base"))
    paired["diff"] = paired["value"] - paired["value_base"]
    grouped = paired.groupby(["scenario", "metric", "year"])
    out = grouped.agg(
        base_median=("value_base", "median"),
        scenario_median=("value", "median"),
        diff_median=("diff", "median"),
        diff_mean=("diff", "mean"),
        diff_p5=("diff", lambda d: np.percentile(d, LOW)),
        diff_p95=("diff", lambda d: np.percentile(d, HIGH)),
        n_pairs=("diff", "size"),
    )
    return out.reset_index()


def _target_rows(observations: pd.DataFrame) -> pd.DataFrame:
    return observations[observations["kind"] == "target"]


def attainment(
    trajectories: pd.DataFrame, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per scenario and stated target: chance of meeting it, expected shortfall, first year met.

    ``prob_met`` is the share of replicates meeting the target in its year; ``expected_gap`` the
    mean shortfall (target minus value where below, 0 where met); ``first_year_median_met`` the
    first year in which the median replicate meets the target's measure (NaN: not by the end).
    """
    obs = observations if observations is not None else load_observations()
    rows = []
    for name, traj in trajectories.groupby("scenario", observed=True):
        years = sorted(traj["date"].dt.year.unique())
        for t in _target_rows(obs).itertuples():
            meets = (
                (lambda v, t=t: v > t.value)
                if t.comparison == ">"
                else (lambda v, t=t: v >= t.value)
            )
            values = observe(traj, t.measure, int(t.year)).dropna()
            first = np.nan
            for year in years:
                by_year = observe(traj, t.measure, int(year)).dropna()
                if not by_year.empty and meets(by_year.median()):
                    first = int(year)
                    break
            rows.append(
                {
                    "scenario": str(name),
                    "target_id": t.id,
                    "metric": t.metric,
                    "year": int(t.year),
                    "target": float(t.value),
                    "unit": t.unit,
                    "median": values.median() if not values.empty else np.nan,
                    "prob_met": float(meets(values).mean()) if not values.empty else np.nan,
                    "expected_gap": (
                        float(np.maximum(t.value - values, 0).mean())
                        if not values.empty
                        else np.nan
                    ),
                    "first_year_median_met": first,
                    "last_year": int(years[-1]),
                }
            )
    return pd.DataFrame(rows)


def against_base(trajectories: pd.DataFrame, base: str, year: int = 2025) -> pd.DataFrame:
    """Per scenario, what it adds to ``base`` on the same seeds: cost, jobs, revenue.

    ``cost``: cumulative policy cost from the start to December of ``year`` (bn yuan);
    ``jobs``: the workforce in December of ``year``; ``revenue``: revenue in ``year`` (bn
    yuan). Each as the median and 5-95% range of the per-seed differences, with ``n_pairs``.
    """
    table = yearly(trajectories, ["policy_cost_bn_yuan", "workforce", "revenue_bn_yuan"])
    table = table[table["year"] <= year]
    per_seed = table.pivot_table(
        index=["scenario", "seed"], columns=["metric", "year"], values="value", aggfunc="first"
    )
    names = sorted(set(per_seed.index.get_level_values("scenario")))
    if base not in names or ("workforce", year) not in per_seed.columns:
        return pd.DataFrame()
    other = per_seed.xs(base, level="scenario")
    rows = []
    for name in names:
        if name == base:
            continue
        mine = per_seed.xs(name, level="scenario")
        seeds = mine.index.intersection(other.index)
        mine, theirs = mine.loc[seeds], other.loc[seeds]
        diffs = {
            "cost": mine["policy_cost_bn_yuan"].sum(axis=1)
            - theirs["policy_cost_bn_yuan"].sum(axis=1),
            "jobs": mine[("workforce", year)] - theirs[("workforce", year)],
            "revenue": mine[("revenue_bn_yuan", year)] - theirs[("revenue_bn_yuan", year)],
        }
        row: dict[str, object] = {"scenario": name, "year": year, "n_pairs": len(seeds)}
        for key, d in diffs.items():
            row[f"{key}_median"] = float(d.median())
            row[f"{key}_p5"] = float(np.percentile(d, LOW))
            row[f"{key}_p95"] = float(np.percentile(d, HIGH))
        rows.append(row)
    return pd.DataFrame(rows)


def cost_ledger(
    trajectories: pd.DataFrame, counterfactual: pd.DataFrame, year: int = 2025
) -> pd.DataFrame:
    """Fiscal cost and what it buys, per scenario, against the same-seed no-policy run.

    Costs are cumulative from the start of the run to the end of ``year`` (bn yuan), in total
    and per policy kind. ``extra_jobs`` is the workforce in December of ``year`` minus the
    counterfactual's, seed by seed; ``cost_per_job_yuan`` the cumulative cost over those jobs;
    ``cost_per_bn_revenue`` the cumulative cost per bn yuan of extra cumulative revenue;
    ``deadweight_jobs``/``deadweight_firms`` the share of the jobs/firms added since December
    of the first year that the counterfactual adds as well. Levels are medians over seeds;
    ratios are ratios of the means over seeds (expected cost over expected effect), NaN when
    the expected effect is not positive: a median of per-seed ratios would drop the seeds where
    the policy added nothing and so understate the cost.
    """
    table = yearly(pd.concat([trajectories, counterfactual], ignore_index=True))
    table = table[table["year"] <= year]
    cf_name = str(counterfactual["scenario"].iloc[0])
    first_year = int(table["year"].min())
    per_seed = table.pivot_table(
        index=["scenario", "seed"], columns=["metric", "year"], values="value", aggfunc="first"
    )
    cost_cols = ["policy_cost_bn_yuan"] + [cost_metric(k) for k in KINDS]

    cf = per_seed.xs(cf_name, level="scenario")
    rows = []
    for name in sorted(set(per_seed.index.get_level_values("scenario")) - {cf_name}):
        mine = per_seed.xs(name, level="scenario")
        seeds = mine.index.intersection(cf.index)
        mine, other = mine.loc[seeds], cf.loc[seeds]
        cost = mine["policy_cost_bn_yuan"].sum(axis=1)
        jobs = mine[("workforce", year)] - other[("workforce", year)]
        revenue = mine["revenue_bn_yuan"].sum(axis=1) - other["revenue_bn_yuan"].sum(axis=1)
        grown = mine[("workforce", year)] - mine[("workforce", first_year)]
        grown_cf = other[("workforce", year)] - other[("workforce", first_year)]
        firms = mine[("firms", year)] - mine[("firms", first_year)]
        firms_cf = other[("firms", year)] - other[("firms", first_year)]
        row = {
            "scenario": name,
            "through_year": year,
            "n_seeds": len(seeds),
            "cost_bn_yuan": cost.median(),
            "extra_jobs": jobs.median(),
            "extra_revenue_bn_yuan": revenue.median(),
            "cost_per_job_yuan": _ratio(cost * 1e9, jobs),
            "cost_per_bn_revenue": _ratio(cost, revenue),
            "deadweight_jobs": _ratio(grown_cf, grown),
            "deadweight_firms": _ratio(firms_cf, firms),
        }
        for col in cost_cols[1:]:
            kind = col[len("policy_cost_") : -len("_bn_yuan")]
            row[f"cost_{kind}_bn_yuan"] = mine[col].sum(axis=1).median() if col in mine else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def _ratio(num: pd.Series, den: pd.Series) -> float:
    """Mean of num over mean of den across seeds; NaN unless the mean of den is positive."""
    mean_den = float(den.mean())
    return float(num.mean()) / mean_den if mean_den > 0 else np.nan


def sampled_orderings_used(table: pd.DataFrame) -> int | None:
    """M when ``table``'s rows are a sampled estimate from M orderings; None when exact.

    Tables written before the sampled estimate existed have no ``method`` column: exact.
    """
    if table.empty or "method" not in table:
        return None
    sampled = table[table["method"].astype(str) == "sampled"]
    return int(sampled["orderings"].max()) if not sampled.empty else None
