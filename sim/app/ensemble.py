"""Several seeds of one scenario, as the app shows them: bands, P(met), paired differences.

The app runs each set of levers, and the starting scenario beside it, over several seeds with
:func:`sim.runner.run_many` (worker processes; posterior draws by seed, exactly as ``cqsim run``),
so its P(met) and medians are the ones ``cqsim run`` prints for the same file, seeds and scale.
Two ensembles run on the same seeds are compared seed by seed (common random numbers).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.app.live import Trajectory, parameters, stated_targets
from sim.monthly import MonthlyValues
from sim.runner import run_many
from sim.scenario import Scenario
from sim.targets import observe

BAND = (10, 90)  # the percentiles of the app's bands (as `cqsim run`'s p10 - p90)
JOBS = "workforce"  # the stock whose change since Dec 2021 is the practitioners added
REVENUE = "revenue_bn_yuan"  # the monthly flow whose year total the revenue target counts


@dataclass(frozen=True)
class Ensemble:
    """The runs of one scenario over several seeds.

    Attributes:
        name: the scenario's name.
        seeds: the seeds, replicate k on ``seeds[k]``.
        dates: the months.
        names: the metrics recorded.
        values: ``values[replicate, month, metric]``.
        monthly: the same as :class:`~sim.monthly.MonthlyValues` (what ``cqsim run`` writes).
        targets: :func:`sim.targets.target_table` of them (what ``cqsim run`` prints).
        scenario: the scenario run.

    """

    name: str
    seeds: tuple[int, ...]
    dates: pd.DatetimeIndex
    names: tuple[str, ...]
    values: np.ndarray
    monthly: MonthlyValues
    targets: pd.DataFrame
    scenario: Scenario

    @classmethod
    def of(cls, monthly: MonthlyValues, targets: pd.DataFrame, scenario: Scenario) -> Ensemble:
        """An ensemble from a run's months and target table."""
        return cls(
            name=scenario.name,
            seeds=tuple(int(s) for s in monthly.seeds),
            dates=pd.DatetimeIndex(monthly.dates),
            names=monthly.names,
            values=monthly.values,
            monthly=monthly,
            targets=targets,
            scenario=scenario,
        )

    @functools.cached_property
    def trajectories(self) -> pd.DataFrame:
        """The runs in long format, as ``cqsim run`` writes them (made when first asked for)."""
        return self.monthly.frame()

    def member(self, replicate: int) -> Trajectory:
        """One replicate as a :class:`~sim.app.live.Trajectory`."""
        return Trajectory(self.names, self.dates, self.values[replicate], len(self.dates))

    def median_run(self) -> Trajectory:
        """Each metric's median over seeds, month by month (for the parks' map)."""
        return Trajectory(self.names, self.dates, np.median(self.values, axis=0), len(self.dates))

    def figure(self, measure: str, year: int) -> np.ndarray:
        """A target's figure per replicate (the observation function ``cqsim run`` uses)."""
        return observe(self.monthly, measure, year).to_numpy(dtype=float)

    def cost_to(self, year: int) -> np.ndarray:
        """Cumulative policy cost from the start to December of ``year``, per replicate."""
        months = self.dates.year <= year
        return self.values[:, months, self.names.index("policy_cost_bn_yuan")].sum(axis=1)


def paired_table(run: Ensemble, other: Ensemble, year: int = 2025) -> pd.DataFrame:
    """Seed by seed, what ``run`` adds to ``other``: each target's figure and the cost.

    Columns: ``what, unit, run_median, other_median, diff_median, diff_low, diff_high`` (the
    10th/90th percentiles of the per-seed differences), ``n_pairs``, ``ratio``. Two last rows
    (``ratio`` True) give the cost per extra practitioner added and per extra bn yuan of revenue
    in ``year`` (expected extra cost over the expected extra, as the report's cost ledger; NaN
    when the package adds none on average).
    """
    if run.seeds != other.seeds:
        raise ValueError("paired differences need the same seeds")
    rows = []
    targets = stated_targets()
    for t in targets.itertuples():
        mine, theirs = run.figure(t.measure, int(t.year)), other.figure(t.measure, int(t.year))
        if mine.size == 0 or np.isnan(mine).all():
            continue
        rows.append(_pair_row(str(t.label).removesuffix(f", {t.unit}"), str(t.unit), mine, theirs))
    cost, cost_other = run.cost_to(year), other.cost_to(year)
    rows.append(_pair_row(f"policy cost to Dec {year}", "bn yuan", cost, cost_other))
    jobs = _change(run, JOBS, year) - _change(other, JOBS, year)
    extra_cost = cost - cost_other
    per_job = float(extra_cost.mean() * 1e9 / jobs.mean()) if jobs.mean() > 0 else np.nan
    revenue = _year_total(run, REVENUE, year) - _year_total(other, REVENUE, year)
    per_bn = float(extra_cost.mean() / revenue.mean()) if revenue.mean() > 0 else np.nan
    for what, unit, value in (
        (f"cost per extra practitioner added, Dec 2021 to Dec {year}", "yuan", per_job),
        (f"cost per extra bn yuan of revenue in {year}", "bn yuan", per_bn),
    ):
        rows.append(
            {
                "what": what,
                "unit": unit,
                "ratio": True,
                "run_median": np.nan,
                "other_median": np.nan,
                "diff_median": value,
                "diff_low": np.nan,
                "diff_high": np.nan,
                "n_pairs": len(run.seeds),
            }
        )
    out = pd.DataFrame(rows)
    out["ratio"] = out["ratio"].fillna(False).astype(bool)
    return out


def _year_total(ensemble: Ensemble, metric: str, year: int) -> np.ndarray:
    """A flow summed over a calendar year, per replicate."""
    months = ensemble.dates.year == year
    return ensemble.values[:, months, ensemble.names.index(metric)].sum(axis=1)


def _change(ensemble: Ensemble, metric: str, year: int) -> np.ndarray:
    """A stock's change from December 2021 to December of ``year``, per replicate."""
    column = ensemble.values[:, :, ensemble.names.index(metric)]
    dec = ensemble.dates.month == 12
    start = np.flatnonzero(dec & (ensemble.dates.year == 2021))
    end = np.flatnonzero(dec & (ensemble.dates.year == year))
    if not start.size or not end.size:
        return np.full(len(ensemble.seeds), np.nan)
    return column[:, end[0]] - column[:, start[0]]


def _pair_row(what: str, unit: str, mine: np.ndarray, theirs: np.ndarray) -> dict:
    diff = mine - theirs
    low, high = np.percentile(diff, BAND)
    return {
        "what": what,
        "unit": unit,
        "run_median": float(np.median(mine)),
        "other_median": float(np.median(theirs)),
        "diff_median": float(np.median(diff)),
        "diff_low": float(low),
        "diff_high": float(high),
        "n_pairs": int(diff.size),
    }


def scenario_key(scenario: Scenario, seeds: int, seed: int) -> str:
    """A key naming one ensemble: the scenario as validated, the seeds."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(f"{text}|{seeds}|{seed}".encode()).hexdigest()


_CACHE: dict[str, Ensemble] = {}
_CACHE_SIZE = 12
_LOCK = threading.Lock()


def run_ensemble(
    scenario: Scenario,
    seeds: int,
    seed: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> Ensemble:
    """Run a scenario over ``seeds`` seeds from ``seed`` (default: the scenario's), cached.

    The same scenario, seeds and seed give the same ensemble without running again (the
    starting scenario beside each set of levers is run once).
    """
    seed = scenario.run.seed if seed is None else seed
    key = scenario_key(scenario, seeds, seed)
    with _LOCK:
        if key in _CACHE:
            if on_progress is not None:
                on_progress(seeds, seeds)
            return _CACHE[key]
    workers = workers or min(seeds, os.cpu_count() or 1)
    (result,) = run_many(
        [scenario],
        replicates=seeds,
        seed=seed,
        workers=workers,
        params=parameters(),
        on_replicate=on_progress,
    )
    ensemble = Ensemble.of(result.values, result.targets, scenario)
    with _LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = ensemble
    return ensemble
