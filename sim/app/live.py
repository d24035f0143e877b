"""The model the app steps, the same-seed baseline beside it, and the target table.

:class:`AppModel` is a :class:`~sim.model.ClusterModel` built from levers (Mesa's SolaraViz
creates it with the sliders' values as keyword arguments). It runs the starting scenario plus the
levers' policies with the scenario's seed, and draws the replicate's calibrated parameters from
the scenario's posterior exactly as ``cqsim run`` does, so the app's run is the run a planner
gets from ``cqsim run`` on the saved file with ``-n 1``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.app.levers import Levers, build_scenario, default_save_dir, starting_scenarios
from sim.model import ClusterModel
from sim.params import Parameters, load_parameters
from sim.posterior import with_posterior_draw as posterior_draw
from sim.runner import simulate
from sim.scenario import Scenario, load_scenario
from sim.targets import aggregate_rule, load_observations

MONTHS_PER_STEP = 12  # the app steps a year at a time: Mesa's "Step" runs a year
PROJECTION_MONTHS = 12  # a target not yet reached is extrapolated at its growth over this window


@functools.cache
def parameters() -> Parameters:
    """The shipped parameter file (read once)."""
    return load_parameters()


@functools.cache
def scenario_paths() -> dict[str, Path]:
    """The scenarios the app can start from (found once, when the app starts)."""
    return starting_scenarios(default_save_dir())


def start_scenario(name: str) -> Scenario:
    """A starting scenario by file name (without ``.toml``)."""
    paths = scenario_paths()
    if name not in paths:
        raise KeyError(f"no scenario '{name}'; have {', '.join(paths)}")
    return load_scenario(paths[name], parameters())


@dataclass(frozen=True)
class Trajectory:
    """Monthly metrics of one run so far: ``values[month, metric]`` (NaN after ``months``)."""

    names: tuple[str, ...]
    dates: pd.DatetimeIndex
    values: np.ndarray
    months: int

    def series(self, metric: str) -> np.ndarray:
        """One metric over the whole run (NaN for months not simulated yet)."""
        return self.values[:, self.names.index(metric)]

    def month_index(self, year: int, month: int = 12) -> int | None:
        """Row of a calendar month, or None when it lies outside the run."""
        hits = np.flatnonzero((self.dates.year == year) & (self.dates.month == month))
        return int(hits[0]) if hits.size else None

    @classmethod
    def of(cls, model: ClusterModel) -> Trajectory:
        """A view of a model's recorded metrics (copied, so later steps do not change it)."""
        return cls(
            tuple(model.recorder.names),
            pd.DatetimeIndex(model.dates),
            model.recorder.values.copy(),
            model.month,
        )


@functools.lru_cache(maxsize=16)
def baseline_run(name: str, seed: int, scale: int) -> Trajectory:
    """The starting scenario run to its end with this seed and scale (cached)."""
    base = start_scenario(name)
    base = base.model_copy(update={"run": base.run.model_copy(update={"scale": scale})})
    return Trajectory.of(simulate(posterior_draw(base, seed, parameters()), seed, parameters()))


class AppModel(ClusterModel):
    """The cluster model built from the app's levers; one step is a year.

    Args:
        scenario: ignored; Mesa's SolaraViz passes its own (empty) scenario object on reset.
        **levers: fields of :class:`~sim.app.levers.Levers`.

    """

    def __init__(self, scenario: object = None, **levers: object):
        self.levers = Levers(**levers)
        start = start_scenario(self.levers.start_scenario)
        self.app_scenario = build_scenario(start, self.levers, params=parameters())
        seed = self.app_scenario.run.seed
        super().__init__(
            posterior_draw(self.app_scenario, seed, parameters()), rng=seed, params=parameters()
        )

    def baseline(self) -> Trajectory:
        """The starting scenario's run with the same seed and scale."""
        return baseline_run(self.levers.start_scenario, self.seed, self.scale)

    def trajectory(self) -> Trajectory:
        """The run so far."""
        return Trajectory.of(self)

    def step(self) -> None:
        """The app's step: a year (12 months, fewer at the end of the run)."""
        for _ in range(MONTHS_PER_STEP):
            if not self.running:
                break
            super().step()

    @property
    def month_label(self) -> str:
        """The last simulated month, 'YYYY-MM' (or 'not started')."""
        if self.month == 0:
            return "not started"
        return str(self.dates[self.month - 1])[:7]


# ----------------------------------------------------------------------------------------------
# targets


@functools.cache
def stated_targets() -> pd.DataFrame:
    """The stated targets of scenarios/observations.csv (read once)."""
    obs = load_observations()
    return obs[obs["kind"] == "target"].reset_index(drop=True)


def _figure_at(run: Trajectory, metric: str, how: str, row: int) -> float:
    """A target's figure as it stands at month ``row`` (as if that month closed its year)."""
    if row < 0 or row >= run.months:
        return np.nan
    year = int(run.dates[row].year)
    return float(aggregate_rule(how).of(run.series(metric), run.dates, year, at=row))


def _projected(run: Trajectory, metric: str, how: str, end: int) -> float:
    """The figure at month ``end``, extrapolated at its growth over the last 12 months."""
    now = run.months - 1
    rule = aggregate_rule(how)
    if rule.kind == "change":  # extrapolate the level, then take the change
        level = _projected(run, metric, "december", end)
        base = run.month_index(rule.base_year)
        return level - float(run.series(metric)[base]) if base is not None else np.nan
    current = _figure_at(run, metric, how, now)
    before = _figure_at(run, metric, how, now - PROJECTION_MONTHS)
    if not (np.isfinite(current) and np.isfinite(before)) or before <= 0 or current <= 0:
        return np.nan
    return current * (current / before) ** ((end - now) / PROJECTION_MONTHS)


def _met(value: float, target: float, comparison: str) -> bool | None:
    if not np.isfinite(value):
        return None
    return bool(value > target if comparison == ">" else value >= target)


def target_table(run: Trajectory, baseline: Trajectory) -> pd.DataFrame:
    """Each stated target against this run (final, or so far and projected) and the baseline.

    Columns: ``target_id, metric, year, target, comparison, unit, status`` (``final`` once the
    run has reached December of the target year, ``projected`` before, ``not started``),
    ``as_of`` (last month simulated), ``so_far`` (the figure at that month: for a yearly sum
    the 12 months to it), ``value`` (final figure, or projected to December of the target year at
    the growth of the last 12 months), ``met`` (True/False/None), ``baseline``, ``baseline_met``.
    """
    rows = []
    as_of = str(run.dates[run.months - 1])[:7] if run.months else ""
    for t in stated_targets().itertuples():
        end = run.month_index(int(t.year))
        if end is None:
            continue
        comparison = str(t.comparison)
        base_value = _figure_at(baseline, t.metric, t.aggregate, end)
        so_far = _figure_at(run, t.metric, t.aggregate, min(end, run.months - 1))
        if run.months > end:
            status, value = "final", so_far
        elif run.months:
            status, value = "projected", _projected(run, t.metric, t.aggregate, end)
        else:
            status, value = "not started", np.nan
        rows.append(
            {
                "target_id": t.id,
                "metric": t.metric,
                "year": int(t.year),
                "target": float(t.value),
                "comparison": comparison,
                "unit": t.unit,
                "status": status,
                "as_of": as_of,
                "so_far": so_far,
                "value": value,
                "met": _met(value, float(t.value), comparison),
                "baseline": base_value,
                "baseline_met": _met(base_value, float(t.value), comparison),
            }
        )
    return pd.DataFrame(rows)
