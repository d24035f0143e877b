"""The cluster as a Mesa model: :class:`~sim.core.ClusterSim` with agents and a DataCollector.

A step is one month of the simulation core, then Mesa's :class:`~mesa.DataCollector` reads the
headline metrics from the record. Parks, firms and workers are Mesa agents that are views onto
rows of the model's tables (:mod:`sim.agents`), built when someone looks at them. The command
line and sweeps run the core itself, which does not import Mesa; both give the same numbers.
"""

from __future__ import annotations

import functools
from pathlib import Path

import mesa
import numpy as np

from sim.agents import Firm, Park, Worker
from sim.core import SETTINGS, STREAMS, ClusterSim
from sim.metrics import METRICS
from sim.params import Parameters
from sim.scenario import Scenario
from sim.state import WorkerStatus

__all__ = ["SETTINGS", "STREAMS", "ClusterModel"]


class ClusterModel(ClusterSim, mesa.Model):
    """Chongqing's software and information-services cluster, month by month, as a Mesa model.

    Mesa's conventions hold: ``ClusterModel(rng=3)`` is the shipped baseline with seed 3, and
    ``mesa.batch_run(ClusterModel, parameters={"scale": [10, 20]}, rng=[1, 2])`` runs it.

    Args:
        scenario, params, **settings: as :class:`~sim.core.ClusterSim` takes them.
        rng: the seed; it fixes every random draw (None: Mesa draws one, kept as ``seed``).

    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: int | None = None,
        params: Parameters | None = None,
        **settings,
    ):
        mesa.Model.__init__(self, rng=rng)
        self._firm_views: dict[int, Firm] = {}
        self._worker_views: dict[int, Worker] = {}
        ClusterSim.__init__(self, scenario, seed=int(self._seed), params=params, **settings)
        self.park_agents = [Park(self, i) for i in range(self.n_parks)]
        self.datacollector = mesa.DataCollector(
            model_reporters={name: functools.partial(_latest, name) for name in METRICS}
        )

    def firm_view(self, row: int) -> Firm | None:
        """The Firm agent of a firm row (made on first look); None once the firm has closed."""
        if row < 0 or row >= self.firms.n or not self.firms.alive[row]:
            return None
        view = self._firm_views.get(row)
        if view is None:
            view = self._firm_views[row] = Firm(self, row)
        return view

    def sync_agents(self) -> None:
        """Make the Firm and Worker agents match the firms alive and the people in the city.

        Agents are views; building half a million of them costs seconds, so they are made only
        when someone reads ``agents`` or ``agents_by_type``, never by the month's processes.
        """
        f = self.firms
        alive = np.flatnonzero(f.alive[: f.n])
        _sync(self._firm_views, alive, lambda row: Firm(self, row))
        w = self.workers
        present = w.pid[: w.n][w.status[: w.n] != WorkerStatus.GONE]
        _sync(self._worker_views, present, lambda pid: Worker(self, pid))

    @property
    def agents(self):
        """All agents (parks, and firm and worker views)."""
        self.sync_agents()
        return super().agents

    @property
    def agents_by_type(self):
        """Agents grouped by class; firm and worker views are brought up to date first."""
        self.sync_agents()
        return super().agents_by_type

    def step(self) -> None:
        """Advance one month of the simulation; Mesa's DataCollector reads its record."""
        recorded = self.month < self.n_months
        ClusterSim.step(self)
        if recorded:
            self.datacollector.collect(self)


def _latest(metric: str, model: ClusterModel) -> float:
    """A DataCollector model reporter: the metric's value in the month just recorded."""
    return model.recorder.latest(metric)


def _sync(views: dict, keys: np.ndarray, make) -> None:
    """Remove the views whose key is gone and make views for new keys."""
    if views:
        have = np.fromiter(views.keys(), dtype=np.int64, count=len(views))
        for key in have[~np.isin(have, keys)].tolist():
            views.pop(key).remove()
        keys = keys[~np.isin(keys, have)]
    for key in keys.tolist():
        views[key] = make(key)
