"""The stated 2025 targets and observed figures, and how a run is held against them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.params import scenarios_dir

TARGET_COLUMNS = [
    "target_id",
    "metric",
    "year",
    "target",
    "unit",
    "median",
    "p10",
    "p90",
    "prob_met",
]


def load_observations(path: Path | None = None) -> pd.DataFrame:
    """The observations and targets table (scenarios/observations.csv), with sources."""
    path = path or scenarios_dir() / "observations.csv"
    return pd.read_csv(path, dtype={"comparison": "string"})


def aggregate(trajectories: pd.DataFrame, metric: str, how: str, year: int) -> pd.Series:
    """One number per replicate: a metric summarised over a year in the way a figure is stated.

    ``how`` is one of: ``sum_year`` (sum of the 12 months), ``mean_year``, ``december`` (the
    December value), ``december_minus_2021`` (December of ``year`` minus December 2021),
    ``cumulative_to_june`` (sum from the start of the run to June of ``year``),
    ``sum_2022_2024`` (sum over 2022-2024).
    """
    sub = trajectories[trajectories["metric"] == metric]
    dates = pd.to_datetime(sub["date"])
    years = dates.dt.year
    by = sub["replicate"]

    def _pick(mask: pd.Series) -> pd.Series:
        return sub[mask].groupby(by[mask])["value"]

    if how == "sum_year":
        out = _pick(years == year).sum(min_count=12)
    elif how == "mean_year":
        out = _pick(years == year).mean()
    elif how == "december":
        out = _pick((years == year) & (dates.dt.month == 12)).last()
    elif how == "december_minus_2021":
        end = _pick((years == year) & (dates.dt.month == 12)).last()
        base = _pick((years == 2021) & (dates.dt.month == 12)).last()
        out = end - base
    elif how == "cumulative_to_june":
        out = _pick((years < year) | ((years == year) & (dates.dt.month <= 6))).sum()
    elif how == "sum_2022_2024":
        out = _pick((years >= 2022) & (years <= 2024)).sum()
    else:
        raise ValueError(f"unknown aggregate {how!r}")
    return out.astype(float)


def target_table(
    trajectories: pd.DataFrame, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per stated target: the model's median, 10th/90th percentiles and P(met).

    A target whose year lies outside the run gets NaN figures.
    """
    obs = observations if observations is not None else load_observations()
    rows = []
    for t in obs[obs["kind"] == "target"].itertuples():
        values = aggregate(trajectories, t.metric, t.aggregate, int(t.year)).dropna()
        if values.empty:
            median = p10 = p90 = prob = np.nan
        else:
            met = values > t.value if t.comparison == ">" else values >= t.value
            median, p10, p90 = np.percentile(values, [50, 10, 90])
            prob = float(met.mean())
        rows.append(
            {
                "target_id": t.id,
                "metric": t.metric,
                "year": int(t.year),
                "target": float(t.value),
                "unit": t.unit,
                "median": median,
                "p10": p10,
                "p90": p90,
                "prob_met": prob,
            }
        )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def observation_table(
    trajectories: pd.DataFrame, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Observed figures that the model records, against the model's median and 10-90% band."""
    obs = observations if observations is not None else load_observations()
    rows = []
    for o in obs[(obs["kind"] == "observation") & obs["metric"].notna()].itertuples():
        values = aggregate(trajectories, o.metric, o.aggregate, int(o.year)).dropna()
        if values.empty:
            continue
        median, p10, p90 = np.percentile(values, [50, 10, 90])
        rows.append(
            {
                "id": o.id,
                "metric": o.metric,
                "year": int(o.year),
                "observed": float(o.value),
                "unit": o.unit,
                "median": median,
                "p10": p10,
                "p90": p90,
                "error_pct": 100 * (median - o.value) / o.value,
                "source": o.source,
            }
        )
    return pd.DataFrame(rows)
