"""The cluster model: a Mesa model stepping one month at a time over structure-of-arrays state.

Order of a month (see :meth:`ClusterModel.step`):

1. policy calendar    which policies are in force; their fiscal cost is booked as paid
2. parks              office space delivered; rents adjust to occupancy
3. demand             sector and firm demand grow; application scenarios awarded
4. firms              revenue, profit, awards, exit, relocation, hiring plans
5. entry              local start-ups, inbound firms, leading enterprises and their followers
6. labour market      separations (exit, lay-offs, quits), then matching of seekers to vacancies
7. migration          arrivals (migrants, graduates, trainees) and departures
8. record             every metric of :data:`sim.metrics.METRICS`
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import mechanisms as mech
from sim.agents import Firm, Park, Worker
from sim.calendar import format_month, month_dates, parse_month
from sim.limits import check_scenario, raise_capacity
from sim.metrics import Recorder
from sim.params import Parameters
from sim.policies import PolicyModule, build_policies
from sim.scenario import Scenario
from sim.state import EMPLOYED, GONE, SEEKING, FirmTable, TableFull, WorkerTable

# Random streams: one per mechanism and month, so that a policy that changes the draws of one
# mechanism in one month leaves every other draw of the run unchanged (common random numbers).
STREAMS = ("init", "demand", "scenarios", "firms", "relocation", "entry", "labour", "migration")

# Firm kinds.
INITIAL, LOCAL, INBOUND, LEADING, FOLLOWER = range(5)


class ClusterModel(mesa.Model):
    """Chongqing's software and information-services cluster, month by month.

    Args:
        scenario: a resolved scenario (run settings, parameter overrides, policies).
        seed: the replicate's seed; fixes every random draw.
        params: the base parameter set (defaults to the shipped parameter file).

    """

    def __init__(self, scenario: Scenario, seed: int = 1, params: Parameters | None = None):
        super().__init__(rng=seed)
        self.cq_scenario = scenario
        self.seed = int(seed)
        self.params = scenario.params(params)
        check_scenario(scenario, self.params)
        self.scale = int(scenario.run.scale)
        self.start_month = parse_month(scenario.run.start)
        self.end_month = parse_month(scenario.run.end)
        self.n_months = self.end_month - self.start_month + 1
        self.dates = month_dates(self.start_month, self.end_month)
        self.month = 0  # model month being simulated (0 = the start month)
        self.running = True
        self._seed_seq = np.random.SeedSequence(self.seed)

        p = self.params
        self.n_parks = len(p.parks)
        self.n_sectors = len(p.sectors)
        self.outside = p.park_ids.index("outside") if "outside" in p.park_ids else -1
        self.park_is_sc = np.array([pk.science_city for pk in p.parks])
        self.park_is_first = np.array([pk.batch == "first" for pk in p.parks])
        self.park_in_park = np.arange(self.n_parks) != self.outside
        self.park_constant = np.zeros((2, self.n_parks))  # by size class; see populate
        self.park_productivity = np.ones(self.n_parks)  # calibrated in mechanisms.populate
        self.park_rent = np.array([pk.rent_2021 for pk in p.parks], dtype=float)
        self.park_area = np.zeros(self.n_parks)
        self.park_occupied = np.zeros(self.n_parks)
        self.park_focus = np.array(
            [[s.id in pk.focus for s in p.sectors] for pk in p.parks], dtype=bool
        )
        self.sector_growth = np.array([s.demand_growth for s in p.sectors])
        self.sector_productivity = np.array([s.productivity for s in p.sectors])
        self.sector_share = np.array([s.share_2021 for s in p.sectors])
        self.sector_share = self.sector_share / self.sector_share.sum()

        limits = self.params.limits
        self.firms = FirmTable(limit=int(limits.max_firm_agents))
        self.workers = WorkerTable(limit=int(limits.max_worker_agents))
        self.relative_wage = 1.0  # Chongqing wage level relative to its trend (labour tightness)
        self.contracts = mech.ContractBook()
        self.vacancies_total = 0
        self.month_flows: dict[str, float] = {}
        self.costs: dict[str, float] = {}

        self.policies: list[PolicyModule] = build_policies(scenario.policies, self)
        self.park_agents = [Park(self, i) for i in range(self.n_parks)]
        self.firm_agents: dict[int, Firm] = {}
        self._worker_views: dict[int, Worker] = {}

        try:
            mech.populate(self)
        except TableFull as full:
            self._stopped_at(full)
        for pol in self.policies_of("scale_up_awards"):
            pol.mark_existing()
        self.recorder = Recorder(self)

    # ------------------------------------------------------------------ helpers

    def stream(self, name: str) -> np.random.Generator:
        """Random generator for one mechanism in the current month."""
        key = (STREAMS.index(name), self.month)
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))

    def policies_of(self, kind: str) -> list[PolicyModule]:
        """Policy modules of one kind, in scenario order."""
        return [pol for pol in self.policies if pol.kind == kind]

    def book_cost(self, kind: str, yuan: float) -> None:
        """Add public spending of one policy kind to this month's ledger."""
        self.costs[kind] = self.costs.get(kind, 0.0) + float(yuan)

    @property
    def years_elapsed(self) -> float:
        """Years since the start of the run, at the current month."""
        return self.month / 12.0

    @property
    def productivity_index(self) -> float:
        """Nominal revenue per person relative to the start."""
        return (1 + self.params.economy.productivity_growth) ** self.years_elapsed

    @property
    def wage_index(self) -> float:
        """City-wide wage level (yuan/month) for a firm with premium 1."""
        e = self.params.economy
        return (
            e.wage_2021_yuan_month * (1 + e.wage_growth) ** self.years_elapsed * self.relative_wage
        )

    def firm_productivity(self) -> np.ndarray:
        """Revenue per person per month (yuan) each firm row can deliver where it is now."""
        f = self.firms
        return (
            f.productivity[: f.n] * self.park_productivity[f.park[: f.n]] * self.productivity_index
        )

    def firm_size_people(self) -> np.ndarray:
        """Headcount in people of one firm of each row (staff agents x scale / weight)."""
        f = self.firms
        return f.staff[: f.n] * self.scale / f.weight[: f.n]

    def firm_wage(self) -> np.ndarray:
        """Monthly gross wage (yuan) paid by each firm row."""
        f = self.firms
        return self.wage_index * f.wage_premium[: f.n]

    def employed_count(self) -> np.ndarray:
        """Worker agents employed by each firm row."""
        w = self.workers
        emp = w.employer[: w.n][w.status[: w.n] == EMPLOYED]
        return np.bincount(emp, minlength=self.firms.n)[: self.firms.n]

    def add_firm_agents(self, rows: np.ndarray) -> None:
        """Create the Mesa firm agents for new firm rows."""
        for row in rows.tolist():
            self.firm_agents[row] = Firm(self, row)

    def remove_firm_agents(self, rows: np.ndarray) -> None:
        """Remove the Mesa firm agents of exited firms."""
        for row in rows.tolist():
            agent = self.firm_agents.pop(row, None)
            if agent is not None:
                agent.remove()

    # ------------------------------------------------------------------ Mesa views of workers

    def sync_worker_agents(self) -> None:
        """Make the Worker agents match the people in the city (created on first look).

        Worker agents are views; building half a million of them costs seconds, so they are
        only materialised when someone reads ``agents``/``agents_by_type``.
        """
        w = self.workers
        present = w.pid[: w.n][w.status[: w.n] != GONE]
        views = self._worker_views
        if views:
            have = np.fromiter(views.keys(), dtype=np.int64, count=len(views))
            for pid in have[~np.isin(have, present)].tolist():
                views.pop(pid).remove()
            present = present[~np.isin(present, have)]
        for pid in present.tolist():
            views[pid] = Worker(self, pid)

    @property
    def agents(self):
        """All agents (parks, firms, and worker views)."""
        self.sync_worker_agents()
        return super().agents

    @property
    def agents_by_type(self):
        """Agents grouped by class; worker views are brought up to date first."""
        self.sync_worker_agents()
        return super().agents_by_type

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """Advance one month."""
        if self.month >= self.n_months:
            self.running = False
            return
        self.costs = {}
        self.month_flows = {}
        try:
            mech.apply_policy_calendar(self)
            mech.update_parks(self)
            mech.grow_demand(self)
            mech.operate_firms(self)
            mech.enter_firms(self)
            mech.match_labour(self)
            mech.migrate(self)
        except TableFull as full:
            self._stopped_at(full)
        self.recorder.record(self)
        self.month += 1
        if self.month >= self.n_months:
            self.running = False

    def _stopped_at(self, full: TableFull) -> None:
        """Raise the ResourceLimitError of a table that reached its limit this month."""
        month = format_month(self.start_month + self.month)
        raise_capacity(self.cq_scenario, full.table, full.limit, month, self.scale)

    def run(self) -> None:
        """Run to the scenario's end month."""
        while self.running:
            self.step()

    # ------------------------------------------------------------------ summaries

    @property
    def people_in_city(self) -> int:
        """People in the city's software labour market (employed + seeking)."""
        w = self.workers
        return int(np.count_nonzero(w.status[: w.n] != GONE)) * self.scale

    @property
    def workforce(self) -> int:
        """People employed by the sector's firms."""
        w = self.workers
        return int(np.count_nonzero(w.status[: w.n] == EMPLOYED)) * self.scale

    @property
    def job_seekers(self) -> int:
        """People looking for a job in the sector."""
        w = self.workers
        return int(np.count_nonzero(w.status[: w.n] == SEEKING)) * self.scale
