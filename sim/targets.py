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


MONTHS = {"january": 1, "april": 4, "june": 6, "december": 12}


@dataclass(frozen=True)
class Aggregate:
    """How one figure is read from a metric's monthly values, for a given year.

    ``kind``: ``sum`` (the months from ``first_year`` to the year, all of them needed),
    ``mean`` (of the year's months), ``level`` (the value in ``month`` of the year), ``change``
    (December less December of ``base_year``, or of the year before when ``base_year`` is
    None), ``cumulative_to_june`` (from the run's start to June).
    """

    name: str
    kind: str
    first_year: int | None = None  # sum: first year summed (None: the year itself)
    base_year: int | None = None  # change: the December it is measured from (None: a year ago)
    month: int = 12  # level: the month read

    def of(self, values: np.ndarray, dates: pd.DatetimeIndex, year: int, at: int | None = None):
        """The figure for ``year`` from ``values[..., month]``; NaN where the run lacks months.

        ``at``: read the figure as it stands at month ``at`` instead, as if that month closed
        the figure's year (the last 12 months for a yearly sum, the value at ``at`` for a
        level, the value at ``at`` less the base for a change).
        """
        values = np.asarray(values, dtype=float)
        years, months = np.asarray(dates.year), np.asarray(dates.month)
        last_month = {"cumulative_to_june": 6, "level": self.month}.get(self.kind, 12)
        end = _month_row(years, months, year, last_month) if at is None else at
        if end is None or end >= values.shape[-1]:
            return np.full(values.shape[:-1], np.nan)
        if self.kind in ("level", "change"):
            out = values[..., end]
            if self.kind == "change":
                base_year = self.base_year if self.base_year is not None else year - 1
                base = _month_row(years, months, base_year, 12)
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
        return self.kind == "level" and self.month == 12

    def when(self, year: int) -> str:
        """When the figure is counted, in words ('in 2025', 'in Dec 2025', 'from Dec 2021...')."""
        if self.kind == "level":
            return f"in {pd.Timestamp(year=year, month=self.month, day=1):%b} {year}"
        if self.kind == "change":
            base = self.base_year if self.base_year is not None else year - 1
            return f"from Dec {base} to Dec {year}"
        if self.kind == "cumulative_to_june":
            return f"by June {year}"
        if self.first_year is not None:
            return f"in {self.first_year}-{year}"
        return f"in {year}"


_PATTERNS = (
    (re.compile(r"^sum_year$"), lambda m: Aggregate("sum_year", "sum")),
    (re.compile(r"^mean_year$"), lambda m: Aggregate("mean_year", "mean")),
    (
        re.compile(r"^(january|april|june|december)$"),
        lambda m: Aggregate(m.group(0), "level", month=MONTHS[m.group(1)]),
    ),
    (
        re.compile(r"^december_minus_(\d{4})$"),
        lambda m: Aggregate(m.group(0), "change", base_year=int(m.group(1))),
    ),
    (re.compile(r"^december_minus_previous$"), lambda m: Aggregate(m.group(0), "change")),
    (re.compile(r"^cumulative_to_june$"), lambda m: Aggregate(m.group(0), "cumulative_to_june")),
    (
        re.compile(r"^sum_from_(\d{4})$"),
        lambda m: Aggregate(m.group(0), "sum", first_year=int(m.group(1))),
    ),
    (
        re.compile(r"^sum_(\d{4})_(\d{4})$"),
        lambda m: Aggregate(m.group(0), "sum", first_year=int(m.group(1))),
    ),
)


@functools.cache
def aggregate_rule(name: str) -> Aggregate:
    """The rule an aggregate name stands for.

    Names: ``sum_year``, ``mean_year``, ``january``/``april``/``june``/``december`` (the
    value in that month), ``december_minus_YYYY`` (the change since December of YYYY),
    ``december_minus_previous`` (the change over the year), ``cumulative_to_june`` (from the
    start of the run to June), ``sum_from_YYYY`` (the sum from YYYY to the figure's year;
    ``sum_YYYY_ZZZZ`` the same, ZZZZ being the figure's year).
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
    """The observations and targets table (scenarios/observations.csv), with sources.

    Each row names the observation function it is compared with (``measure``, of
    :mod:`sim.measure`); its ``metric`` and ``aggregate`` (for charts) come from that function.
    """
    from sim.measure import fill_measures

    path = path or scenarios_dir() / "observations.csv"
    return fill_measures(pd.read_csv(path, dtype={"comparison": "string", "measure": "string"}))


def aggregate(trajectories: pd.DataFrame, metric: str, how: str, year: int) -> pd.Series:
    """One number per replicate: a metric read over a year as the figure is stated.

    ``how`` names an :class:`Aggregate` rule (:func:`aggregate_rule`).
    """
    rule = aggregate_rule(how)
    replicates, dates, wide = _by_replicate_and_date(trajectories, metric)
    values = rule.of(wide, dates, year)
    return pd.Series(values, index=replicates, name="value").astype(float)


def _by_replicate_and_date(
    trajectories: pd.DataFrame, metric: str
) -> tuple[pd.Index, pd.DatetimeIndex, np.ndarray]:
    """A metric's values as (replicates x months), both sorted; months never recorded left out.

    What ``pivot_table(index="replicate", columns="date", aggfunc="first")`` gives (the first
    recorded value of a cell; replicates and months with none dropped), in a tenth of its time.
    """
    sub = trajectories[(trajectories["metric"] == metric) & trajectories["value"].notna()]
    replicate_ids, row = np.unique(sub["replicate"].to_numpy(), return_inverse=True)
    date_ids, column = np.unique(sub["date"].to_numpy(), return_inverse=True)
    wide = np.full((replicate_ids.size, date_ids.size), np.nan)
    wide[row[::-1], column[::-1]] = sub["value"].to_numpy(dtype=float)[::-1]  # the first wins
    return pd.Index(replicate_ids, name="replicate"), pd.DatetimeIndex(date_ids), wide


def observe(trajectories: pd.DataFrame, name: str, year: int) -> pd.Series:
    """One value per replicate of a named official statistic (:mod:`sim.measure`)."""
    from sim.measure import observe as _observe_measure

    return _observe_measure(trajectories, name, year)


P_MET = 0.9
"""P(met) from which a target counts as met: at least 9 replicates in 10."""
P_LIKELY = 2 / 3
"""P(met) from which meeting it is 'likely' (IPCC's calibrated language: 66% or more)."""
P_EVEN = 1 / 3
"""P(met) from which it is 'as likely as not' (33-66%); below it, 'unlikely'."""


def verdict(prob: float) -> str:
    """A probability of meeting a target in words, the same in the CLI, the report and the app."""
    if not np.isfinite(prob):
        return "not in run"
    if prob >= P_MET:
        return "met"
    if prob >= P_LIKELY:
        return "likely"
    if prob >= P_EVEN:
        return "as likely as not"
    return "unlikely"


def target_table(
    trajectories: pd.DataFrame, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per stated target: the model's median, 10th/90th percentiles and P(met).

    A target whose year lies outside the run gets NaN figures.
    """
    obs = observations if observations is not None else load_observations()
    rows = []
    for t in obs[obs["kind"] == "target"].itertuples():
        values = observe(trajectories, t.measure, int(t.year)).dropna()
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
    for o in obs[(obs["kind"] == "observation") & obs["measure"].notna()].itertuples():
        values = observe(trajectories, o.measure, int(o.year)).dropna()
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
