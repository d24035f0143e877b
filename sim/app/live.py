"""What the app's page shares: the parameter file, starting scenarios, targets, one run's metrics.

:class:`Trajectory` holds one run's monthly metrics (a member of an
:class:`~sim.app.ensemble.Ensemble`, or their medians).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.app.levers import default_save_dir, starting_scenarios
from sim.params import Parameters, load_parameters
from sim.scenario import Scenario, load_scenario
from sim.targets import load_observations


@functools.cache
def parameters() -> Parameters:
    """The shipped parameter file (read once)."""
    return load_parameters()


def scenario_paths() -> dict[str, Path]:
    """The scenarios the app can start from, found afresh (a saved one appears at once)."""
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


@functools.cache
def stated_targets() -> pd.DataFrame:
    """The stated targets of scenarios/observations.csv (read once)."""
    obs = load_observations()
    return obs[obs["kind"] == "target"].reset_index(drop=True)
