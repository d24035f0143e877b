"""The simulation core: the cluster stepping one month at a time over structure-of-arrays state.

A step is one month: the named processes of :mod:`sim.month` in order, then the record of every
metric (:class:`~sim.metrics.Recorder`). This class does not import Mesa, so that a run from the
command line or in a sweep worker starts without it; :class:`sim.model.ClusterModel` is the
same simulation as a Mesa model (agents as views, a DataCollector, ``mesa.batch_run``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.calendar import format_month, month_dates, parse_month
from sim.limits import check_scenario, raise_capacity
from sim.metrics import Recorder
from sim.month import PROCESSES
from sim.month.demand import ContractBook
from sim.month.draws import cumulative
from sim.month.initial import populate
from sim.month.ramp import age_shortfalls
from sim.params import Parameters, load_parameters
from sim.policies import PolicySet
from sim.scenario import Scenario, resolve
from sim.state import FirmTable, ParkTable, TableFull, WorkerStatus, WorkerTable
from sim.streams import StreamTable

# Random streams: one per process and month, so that a policy that changes the draws of one
# process in one month leaves every other draw of the run unchanged (common random numbers).
STREAMS = (
    "init",
    "demand",
    "scenarios",
    "firms",
    "relocation",
    "entry",
    "labour",
    "migration",
    "branches",  # appended: the streams before it keep their keys
)
SETTINGS = ("scale", "end", "posterior")  # run settings a caller may give as keywords


class ClusterSim:
    """Chongqing's software and information-services cluster, month by month.

    Args:
        scenario: a resolved :class:`~sim.scenario.Scenario` (used as it is), or a scenario
            file (default: the shipped baseline), resolved with ``settings`` and given this
            seed's draw from its posterior, as ``cqsim run`` does.
        seed: the seed; it fixes every random draw.
        params: the base parameter set (default: the shipped parameter file).
        **settings: ``scale``, ``end`` ('YYYY-MM') and ``posterior`` (a file, or False for
            none) for a scenario file; and parameter overrides written ``group__name``
            (``labour__quit_rate=0.02``).

    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        seed: int,
        params: Parameters | None = None,
        **settings,
    ):
        self.seed = int(seed)
        base = params if params is not None else load_parameters()
        scenario = _resolved(scenario, self.seed, base, settings)
        self.cq_scenario = scenario
        self.params = scenario.params(base)
        check_scenario(scenario, self.params)
        self.scale = int(scenario.run.scale)
        self.start_month = parse_month(scenario.run.start)
        self.end_month = parse_month(scenario.run.end)
        self.n_months = self.end_month - self.start_month + 1
        self.dates = month_dates(self.start_month, self.end_month)
        self.month = 0  # model month being simulated (0 = the start month)
        self.streams = StreamTable(self.seed, len(STREAMS), self.n_months)
        self._staff_version = 0  # counts changes of firms' staff (firm_size_people's cache)
        self._size_key: tuple[int, int] | None = None
        self._size = np.zeros(0)
        # the parks' utilities while a block holds them (sim.month.location.utilities_held)
        self.utility_cache: dict[str, np.ndarray] | None = None
        self.running = True

        p = self.params
        self.n_parks = len(p.parks)
        self.n_sectors = len(p.sectors)
        self.parks = ParkTable(p.parks, p.sectors)
        # Each sector's market growth (1/yr) and revenue per person relative to the city's; the
        # labour-intensive segment's come from parameters (they are calibrated and assumed).
        li = np.array([s.labour_intensive for s in p.sectors])
        growth = np.array([s.demand_growth for s in p.sectors]) * p.demand.growth_scale
        self.sector_growth = np.where(li, p.segments.labour_intensive_growth, growth)
        self.sector_productivity = np.where(
            li,
            p.segments.labour_intensive_productivity,
            np.array([s.productivity for s in p.sectors]),
        )
        self.sector_share = np.array([s.share_2021 for s in p.sectors])
        self.sector_share = self.sector_share / self.sector_share.sum()
        self.sector_cdf = cumulative(self.sector_share)  # for draw_from
        limits = p.limits
        self.firms = FirmTable(limit=int(limits.max_firm_agents))
        self.workers = WorkerTable(limit=int(limits.max_worker_agents))
        self.relative_wage = 1.0  # Chongqing wage level relative to its trend (labour tightness)
        self.tightness = 1.0  # vacancies per job seeker, set by the labour market each month
        self.contracts = ContractBook()
        self.vacancies_total = 0
        self.month_flows: dict[str, float] = {}
        self.costs: dict[str, float] = {}
        self.policies = PolicySet(scenario.policies, self)

        try:
            populate(self)
        except TableFull as full:
            self._stopped_at(full)
        self.policies.run("setup")
        self.recorder = Recorder(self)

    # ------------------------------------------------------------------ helpers

    def stream(self, name: str) -> np.random.Generator:
        """Random generator for one process in the current month.

        ``PCG64(SeedSequence(seed, spawn_key=(STREAMS.index(name), month)))``, made in bulk
        (:mod:`sim.streams`). Use it within the process that asked for it: the next month's
        generator of the same stream reuses its bit generator.
        """
        return self.streams.generator(STREAMS.index(name), self.month)

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
            f.productivity[: f.n]
            * self.parks.productivity[f.park[: f.n]]
            * (self.productivity_index)
        )

    def firm_size_people(self) -> np.ndarray:
        """Headcount in people of one firm of each row (staff agents x scale / weight).

        Read-only: kept until staff change (:meth:`staff_changed`) or firms are added, since
        the month asks for it a dozen times between changes.
        """
        f = self.firms
        key = (f.n, self._staff_version)
        if self._size_key != key:
            size = f.staff[: f.n] * self.scale / f.weight[: f.n]
            size.setflags(write=False)
            self._size, self._size_key = size, key
        return self._size

    def staff_changed(self) -> None:
        """Say that firms' staff counts changed (every write to ``firms.staff`` must)."""
        self._staff_version += 1

    def firm_wage(self) -> np.ndarray:
        """Monthly gross wage (yuan) paid by each firm row."""
        f = self.firms
        return self.wage_index * f.wage_premium[: f.n]

    def employed_count(self) -> np.ndarray:
        """Worker agents employed by each firm row."""
        w = self.workers
        emp = w.employer[: w.n][w.status[: w.n] == WorkerStatus.EMPLOYED]
        return np.bincount(emp, minlength=self.firms.n)[: self.firms.n]

    # ------------------------------------------------------------------ Mesa views

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """Advance one month: the processes of :mod:`sim.month`, then the record."""
        if self.month >= self.n_months:
            self.running = False
            return
        try:
            for process in PROCESSES:
                process(self)
        except TableFull as full:
            self._stopped_at(full)
        self.recorder.record(self)
        self.month += 1
        age_shortfalls(self)
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
        return int(np.count_nonzero(w.status[: w.n] != WorkerStatus.GONE)) * self.scale

    @property
    def workforce(self) -> int:
        """People employed by the sector's firms."""
        w = self.workers
        return int(np.count_nonzero(w.status[: w.n] == WorkerStatus.EMPLOYED)) * self.scale

    @property
    def job_seekers(self) -> int:
        """People looking for a job in the sector."""
        w = self.workers
        return int(np.count_nonzero(w.status[: w.n] == WorkerStatus.SEEKING)) * self.scale


def _resolved(
    scenario: Scenario | str | Path | None, seed: int, params: Parameters, settings: dict
) -> Scenario:
    """The scenario a model runs: as given, or a file resolved and drawn as `cqsim run` does."""
    run = {k: settings.pop(k) for k in SETTINGS if k in settings}
    overrides = {key.replace("__", ".", 1): value for key, value in settings.items()}
    unknown = [key for key in overrides if key not in params.specs]
    if unknown:
        raise TypeError(
            f"unknown keyword {unknown[0].replace('.', '__', 1)!r}: give run settings "
            f"({', '.join(SETTINGS)}) or parameters as group__name"
        )
    if isinstance(scenario, Scenario) and not run:
        resolved = scenario
    else:
        if scenario is None:
            from sim.params import scenarios_dir

            scenario = scenarios_dir() / "baseline.toml"
        resolved = resolve(scenario, params=params, **run)
        from sim.posterior import with_posterior_draw

        resolved = with_posterior_draw(resolved, seed, params)
    if overrides:
        from sim.scenario import check_overrides

        checked = check_overrides("keyword arguments", overrides, params)
        resolved = resolved.model_copy(update={"parameters": {**resolved.parameters, **checked}})
    return resolved
