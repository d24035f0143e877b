"""The stated 2025 targets and observed figures, and how a run is held against them.

How a figure is read from a run's months is its *aggregate* (the ``aggregate`` column of
scenarios/observations.csv), one :class:`Aggregate` rule: the sum of a year, the December
value, the change since a December, a sum over several years... Every consumer (the targets
table, validation, calibration, the plots, the report, the app) reads figures through
:func:`aggregate_rule` and :meth:`Aggregate.of`, so a figure means one thing everywhere.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Aggregate:
    """How one figure is read from a metric's monthly values, for a given year.

    ``kind``: ``sum`` (over the months from ``first_year`` to the year, all of them needed),
    ``mean`` (of the year's months), ``december`` (the value in December), ``change`` (December
    less December of ``base_year``), ``cumulative_to_june`` (from the run's start to June).
    """

    name: str
    kind: str
    first_year: int | None = None  # sum: first year summed (None: the year itself)
    base_year: int | None = None  # change: the December it is measured from

    def of(self, values: np.ndarray, dates: pd.DatetimeIndex, year: int, at: int | None = None):
        """The figure for ``year`` from ``values[..., month]``; NaN where the run lacks months.

        ``at``: read the figure as it stands at month ``at`` instead, as if that month were
        December of ``year`` (the last 12 months for a yearly sum, the value at ``at`` for a
        level, the value at ``at`` less the base for a change).
        """
        values = np.asarray(values, dtype=float)
        years, months = np.asarray(dates.year), np.asarray(dates.month)
        end = _month_row(years, months, year, 12 if self.kind != "cumulative_to_june" else 6)
        if at is not None:
            end = at
        if end is None or end >= values.shape[-1]:
            return np.full(values.shape[:-1], np.nan)
        if self.kind in ("december", "change"):
            out = values[..., end]
            if self.kind == "change":
                base = _month_row(years, months, self.base_year, 12)
                if base is None or base > end:
                    return np.full(values.shape[:-1], np.nan)
                out = out - values[..., base]
            return out
        if self.kind == "cumulative_to_june":
            return values[..., : end + 1].sum(axis=-1)
        span = 12 * (year - (self.first_year or year) + 1) if self.kind == "sum" else 12
        start = end - span + 1
        if start < 0:
            return np.full(values.shape[:-1], np.nan)
        window = values[..., start : end + 1]
        if self.kind == "sum":
            return window.sum(axis=-1)
        return window.mean(axis=-1)

    @property
    def is_yearly_total(self) -> bool:
        """A calendar year's total: charted as the 12-month total at December."""
        return self.kind == "sum" and self.first_year is None

    @property
    def is_level(self) -> bool:
        """A level at December: charted as the month-end level."""
        return self.kind == "december"

    def when(self, year: int) -> str:
        """When the figure is counted, in words ('in 2025', 'in Dec 2025', 'from Dec 2021...')."""
        if self.kind == "december":
            return f"in Dec {year}"
        if self.kind == "change":
            return f"from Dec {self.base_year} to Dec {year}"
        if self.kind == "cumulative_to_june":
            return f"by June {year}"
        if self.first_year is not None:
            return f"in {self.first_year}-{year}"
        return f"in {year}"


_PATTERNS = (
    (re.compile(r"^sum_year$"), lambda m: Aggregate("sum_year", "sum")),
    (re.compile(r"^mean_year$"), lambda m: Aggregate("mean_year", "mean")),
    (re.compile(r"^december$"), lambda m: Aggregate("december", "december")),
    (
        re.compile(r"^december_minus_(\d{4})$"),
        lambda m: Aggregate(m.group(0), "change", base_year=int(m.group(1))),
    ),
    (re.compile(r"^cumulative_to_june$"), lambda m: Aggregate(m.group(0), "cumulative_to_june")),
    (
        re.compile(r"^sum_(\d{4})_(\d{4})$"),
        lambda m: Aggregate(m.group(0), "sum", first_year=int(m.group(1))),
    ),
)


@functools.cache
def aggregate_rule(name: str) -> Aggregate:
    """The rule an aggregate name stands for.

    Names: ``sum_year``, ``mean_year``, ``december``, ``december_minus_YYYY`` (the change
    since December of YYYY), ``cumulative_to_june`` (from the start of the run to June),
    ``sum_YYYY_ZZZZ`` (the sum over the years YYYY to ZZZZ, ZZZZ being the figure's year).
    """
    for pattern, make in _PATTERNS:
        match = pattern.match(name)
        if match:
            return make(match)
    raise ValueError(f"unknown aggregate {name!r}")


def _month_row(years: np.ndarray, months: np.ndarray, year: int | None, month: int) -> int | None:
    hits = np.flatnonzero((years == year) & (months == month))
    return int(hits[0]) if hits.size else None


def load_observations(path: Path | None = None) -> pd.DataFrame:
    """The observations and targets table (scenarios/observations.csv), with sources."""
    path = path or scenarios_dir() / "observations.csv"
    return pd.read_csv(path, dtype={"comparison": "string"})


def aggregate(trajectories: pd.DataFrame, metric: str, how: str, year: int) -> pd.Series:
    """One number per replicate: a metric read over a year as the figure is stated.

    ``how`` names an :class:`Aggregate` rule (:func:`aggregate_rule`).
    """
    rule = aggregate_rule(how)
    sub = trajectories[trajectories["metric"] == metric]
    wide = sub.pivot_table(index="replicate", columns="date", values="value", aggfunc="first")
    wide = wide.sort_index(axis=1)
    values = rule.of(wide.to_numpy(), pd.DatetimeIndex(wide.columns), year)
    return pd.Series(values, index=wide.index, name="value").astype(float)


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
