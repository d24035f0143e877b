"""The stated 2025 targets and observed figures, and how a run is held against them.

How a figure is read from a run's months is its *aggregate* (the ``aggregate`` column of
scenarios/observations.csv), one :class:`Aggregate` rule: the sum of a year, the December
value, the change since a December, a sum over several years... Every consumer (the targets
table, validation, calibration, the plots, the report, the app) reads figures through
:func:`aggregate_rule` and :meth:`Aggregate.of`, so a figure means one thing everywhere.
"""

from __future__ import annotations

import calendar
import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from sim.monthly import MonthlyValues
from sim.params import scenarios_dir

if TYPE_CHECKING:
    import pandas as pd

Trajectories = Union["pd.DataFrame", MonthlyValues]
"""A run's trajectories: the long-format table, or the arrays a run made it from."""

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

    def of(self, values: np.ndarray, dates, year: int, at: int | None = None):
        """The figure for ``year`` from ``values[..., month]``; NaN where the run lacks months.

        ``dates``: the months, a pandas DatetimeIndex or a datetime64 array. ``at``: read the
        figure as it stands at month ``at`` instead, as if that month closed the figure's year
        (the last 12 months for a yearly sum, the value at ``at`` for a level, the value at
        ``at`` less the base for a change).
        """
        values = np.asarray(values, dtype=float)
        years, months = years_and_months(dates)
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
            return f"in {calendar.month_abbr[self.month]} {year}"
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


def years_and_months(dates) -> tuple[np.ndarray, np.ndarray]:
    """The calendar year and month (1-12) of each date (a DatetimeIndex or datetime64 array)."""
    if hasattr(dates, "year"):
        return np.asarray(dates.year), np.asarray(dates.month)
    month_numbers = np.asarray(dates).astype("datetime64[M]").astype(np.int64)
    return month_numbers // 12 + 1970, month_numbers % 12 + 1


def _month_row(years: np.ndarray, months: np.ndarray, year: int | None, month: int) -> int | None:
    hits = np.flatnonzero((years == year) & (months == month))
    return int(hits[0]) if hits.size else None


def load_observations(path: Path | None = None) -> pd.DataFrame:
    """The observations and targets table (scenarios/observations.csv), with sources.

    Each row names the observation function it is compared with (``measure``, of
    :mod:`sim.measure`); its ``metric`` and ``aggregate`` (for charts) come from that function.
    """
    import pandas as pd

    from sim.measure import fill_measures

    path = path or scenarios_dir() / "observations.csv"
    return fill_measures(pd.read_csv(path, dtype={"comparison": "string", "measure": "string"}))


@dataclass(frozen=True)
class Stated:
    """One row of the observations table as the targets and observation tables read it."""

    id: str
    kind: str
    measure: str | None
    year: int
    value: float
    comparison: str | None
    unit: str
    source: str

    @property
    def metric(self) -> str | None:
        """The metric its measure reads (None without a measure)."""
        from sim.measure import measure

        return measure(self.measure).metric if self.measure else None


def stated_figures(observations: pd.DataFrame | None = None) -> list[Stated]:
    """The rows of an observations table (default: the shipped file, read without pandas)."""
    if observations is not None:
        records = observations.to_dict("records")
    else:
        with open(scenarios_dir() / "observations.csv", newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))

    def text(value) -> str | None:
        return value if isinstance(value, str) and value != "" else None

    return [
        Stated(
            id=r["id"],
            kind=r["kind"],
            measure=text(r.get("measure")),
            year=int(r["year"]),
            value=float(r["value"]),
            comparison=text(r.get("comparison")),
            unit=text(r.get("unit")) or "",
            source=text(r.get("source")) or "",
        )
        for r in records
    ]


def replicates_by_month(
    trajectories: Trajectories, metric: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A metric's values as (replicate ids, months, replicates x months), both sorted.

    From a long-format table, months never recorded are left out (what
    ``pivot_table(index="replicate", columns="date", aggfunc="first")`` gives, in a tenth of
    its time).
    """
    if isinstance(trajectories, MonthlyValues):
        order = np.argsort(trajectories.replicates, kind="stable")
        return (
            trajectories.replicates[order],
            trajectories.dates,
            trajectories.wide(metric)[order],
        )
    sub = trajectories[(trajectories["metric"] == metric) & trajectories["value"].notna()]
    replicate_ids, row = np.unique(sub["replicate"].to_numpy(), return_inverse=True)
    date_ids, column = np.unique(sub["date"].to_numpy(), return_inverse=True)
    wide = np.full((replicate_ids.size, date_ids.size), np.nan)
    wide[row[::-1], column[::-1]] = sub["value"].to_numpy(dtype=float)[::-1]  # the first wins
    return replicate_ids, date_ids, wide


def records(trajectories: Trajectories) -> set[str]:
    """The metrics a run records."""
    if isinstance(trajectories, MonthlyValues):
        return set(trajectories.names)
    return set(trajectories["metric"].astype(str).unique())


def aggregate_values(
    trajectories: Trajectories, metric: str, how: str, year: int
) -> tuple[np.ndarray, np.ndarray]:
    """(replicate ids, one number per replicate): a metric read over a year as stated.

    ``how`` names an :class:`Aggregate` rule (:func:`aggregate_rule`).
    """
    replicates, dates, wide = replicates_by_month(trajectories, metric)
    return replicates, aggregate_rule(how).of(wide, dates, year).astype(float)


def aggregate(trajectories: Trajectories, metric: str, how: str, year: int) -> pd.Series:
    """One number per replicate (indexed by replicate): a metric read over a year as stated."""
    import pandas as pd

    replicates, values = aggregate_values(trajectories, metric, how, year)
    return pd.Series(values, index=pd.Index(replicates, name="replicate"), name="value")


def observe(trajectories: Trajectories, name: str, year: int) -> pd.Series:
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


def target_rows(trajectories: Trajectories, observations: pd.DataFrame | None = None) -> list[dict]:
    """The targets table's rows (:data:`TARGET_COLUMNS`), as :func:`target_table` has them."""
    from sim.measure import observe_values

    rows = []
    for t in stated_figures(observations):
        if t.kind != "target":
            continue
        values = observe_values(trajectories, t.measure, t.year)[1]
        values = values[~np.isnan(values)]
        if values.size == 0:
            median = p10 = p90 = prob = np.nan
        else:
            met = values > t.value if t.comparison == ">" else values >= t.value
            median, p10, p90 = np.percentile(values, [50, 10, 90])
            prob = float(met.mean())
        rows.append(
            {
                "target_id": t.id,
                "metric": t.metric,
                "year": t.year,
                "target": t.value,
                "unit": t.unit,
                "median": median,
                "p10": p10,
                "p90": p90,
                "prob_met": prob,
            }
        )
    return rows


def target_table(
    trajectories: Trajectories, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per stated target: the model's median, 10th/90th percentiles and P(met).

    A target whose year lies outside the run gets NaN figures.
    """
    import pandas as pd

    return pd.DataFrame(target_rows(trajectories, observations), columns=TARGET_COLUMNS)


def write_target_csv(rows: list[dict], path: str | Path) -> None:
    """Write targets rows as targets.csv, as ``target_table(...).to_csv(index=False)`` does."""

    def cell(value) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else repr(float(value))
        return "" if value is None else str(value)

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TARGET_COLUMNS)
        for row in rows:
            writer.writerow([cell(row[c]) for c in TARGET_COLUMNS])


def observation_table(
    trajectories: Trajectories, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Observed figures that the model records, against the model's median and 10-90% band."""
    import pandas as pd

    from sim.measure import observe_values

    rows = []
    for o in stated_figures(observations):
        if o.kind != "observation" or o.measure is None:
            continue
        values = observe_values(trajectories, o.measure, o.year)[1]
        values = values[~np.isnan(values)]
        if values.size == 0:
            continue
        median, p10, p90 = np.percentile(values, [50, 10, 90])
        rows.append(
            {
                "id": o.id,
                "metric": o.metric,
                "year": o.year,
                "observed": o.value,
                "unit": o.unit,
                "median": median,
                "p10": p10,
                "p90": p90,
                "error_pct": 100 * (median - o.value) / o.value,
                "source": o.source,
            }
        )
    return pd.DataFrame(rows)
