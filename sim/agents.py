"""Mesa agents for parks, firms and workers: thin views onto rows of the model's arrays.

The month's processes run as vectorised passes over the arrays (:mod:`sim.month`); these
classes let Mesa's tools (AgentSet queries, DataCollector, SolaraViz) see the same state as
agents. Reading an attribute reads the array; nothing is copied. Firm and worker views are made
when someone reads the model's agents (:meth:`~sim.model.ClusterModel.sync_agents`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.state import WorkerStatus

if TYPE_CHECKING:
    from sim.model import ClusterModel


class Park(mesa.Agent):
    """A software park (or 'outside any park'): office space, rent, zone."""

    def __init__(self, model: ClusterModel, index: int):
        super().__init__(model)
        self.index = index
        self.spec = model.params.parks[index]

    @property
    def park_id(self) -> str:
        """Park id as in the parameter file."""
        return self.spec.id

    @property
    def science_city(self) -> bool:
        """True for parks of the Western (Chongqing) Science City."""
        return self.spec.science_city

    @property
    def office_area_m2(self) -> float:
        """Office floor area supplied (m²)."""
        return float(self.model.parks.area[self.index])

    @property
    def occupied_area_m2(self) -> float:
        """Office floor area used by firms (m²)."""
        return float(self.model.parks.occupied[self.index])

    @property
    def rent(self) -> float:
        """List rent, yuan per m² per month."""
        return float(self.model.parks.rent[self.index])

    @property
    def occupancy(self) -> float:
        """Occupied share of supplied area."""
        area = self.model.parks.area[self.index]
        return float(self.model.parks.occupied[self.index] / area) if area > 0 else 0.0


class Firm(mesa.Agent):
    """A software firm (or, when sampled at scale K, K identical small firms)."""

    def __init__(self, model: ClusterModel, row: int):
        super().__init__(model)
        self.row = row

    def _col(self, name: str):
        return getattr(self.model.firms, name)[self.row]

    @property
    def weight(self) -> float:
        """How many real firms this agent stands for."""
        return float(self._col("weight"))

    @property
    def park_id(self) -> str:
        """Id of the park the firm sits in."""
        return self.model.params.parks[int(self._col("park"))].id

    @property
    def sector_id(self) -> str:
        """Id of the firm's sector."""
        return self.model.params.sectors[int(self._col("sector"))].id

    @property
    def staff(self) -> float:
        """Headcount of one firm, in people."""
        return float(self.model.firm_size_people()[self.row])

    @property
    def revenue_yuan(self) -> float:
        """Revenue of one firm last month, yuan."""
        return float(self._col("revenue"))

    @property
    def trailing_revenue_yuan(self) -> float:
        """Revenue of one firm over the last 12 months, yuan."""
        return float(self._col("trailing_revenue"))

    @property
    def cash_yuan(self) -> float:
        """Cash of one firm, yuan."""
        return float(self._col("cash"))


class Worker(mesa.Agent):
    """A practitioner (or, at scale K, K people) in Chongqing's software labour market."""

    def __init__(self, model: ClusterModel, pid: int):
        super().__init__(model)
        self.pid = pid

    @property
    def row(self) -> int:
        """Current row of this worker in the worker arrays (rows move when compacted)."""
        workers = self.model.workers
        row = int(np.searchsorted(workers.pid[: workers.n], self.pid))
        if row >= workers.n or workers.pid[row] != self.pid:
            return -1
        return row

    @property
    def status(self) -> str:
        """'employed', 'seeking', or 'gone' (left the city)."""
        row = self.row
        code = WorkerStatus.GONE if row < 0 else int(self.model.workers.status[row])
        return WorkerStatus.name_of(code)

    @property
    def employer(self) -> Firm | None:
        """The firm agent employing this worker, if any."""
        row = self.row
        if row < 0 or self.model.workers.status[row] != WorkerStatus.EMPLOYED:
            return None
        return self.model.firm_view(int(self.model.workers.employer[row]))

    @property
    def wage_yuan(self) -> float:
        """Monthly gross wage, yuan (0 when not employed)."""
        row = self.row
        if row < 0 or self.model.workers.status[row] != WorkerStatus.EMPLOYED:
            return 0.0
        return float(self.model.firm_wage()[self.model.workers.employer[row]])

    @property
    def arrived_month(self) -> int:
        """Model month of arrival in the city (negative: resident from the start)."""
        row = self.row
        return int(self.model.workers.arrived[row]) if row >= 0 else -1
