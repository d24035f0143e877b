"""The yardstick: cqsim's worker rules written the naive Mesa way, one agent at a time.

Two versions. :class:`TunedWorkerMarket` is the yardstick the speed-up is quoted against: a
plain ``mesa.Agent`` per worker with the same decisions as cqsim's month, written as a competent
Mesa user would (``shuffle_do`` only where the rules need a random order, ``do`` elsewhere,
scalar draws from ``model.random``, the model's constants read once a month).
:class:`NaiveWorkerMarket` is the version published before 2026-12-01 (three ``shuffle_do``
passes, scalar draws from numpy's Generator, the month's rules of issue 2's model), kept so that
the old ratio can be quoted beside the new one.

The published version:

Each worker is a plain ``mesa.Agent`` whose methods make the same decisions as the vectorised
passes in ``sim.month.labour.match_labour`` and ``sim.month.migration.migrate``, with the same
rules and the same parameters, activated with ``AgentSet.shuffle_do``:

1. ``separate``: an employed worker leaves its job if its firm closed, or with probability
   lay-off share + quit rate of its firm.
2. ``search``: the model computes the month's matches M from vacancies V and seekers U with the
   same matching function; seekers, in random order, each take a job with probability
   (matches left / seekers left), which hires exactly M uniformly chosen seekers, as
   ``rng.choice(seekers, M)`` does; the job is a uniformly drawn remaining vacancy slot.
3. ``consider_leaving``: a worker leaves the city with the out-migration rate of its status,
   lowered by the wage level and by its own talent subsidy if eligible (same formula).
4. arrivals: the same Poisson number of migrants (and graduates, trainees) become new agents.

Only the order and the bookkeeping differ (per-agent Python instead of array passes), so the
aggregates (separations, hires, departures, arrivals, subsidy cost) agree within noise; see
``compare_aggregates``.
"""

from __future__ import annotations

# isort: off
import sim.simd  # noqa: F401  (before numpy: its AVX2 kernels, as in cqsim)
import mesa
import numpy as np
# isort: on

from sim.model import ClusterModel
from sim.month.draws import stochastic_round
from sim.state import WorkerStatus

GONE, EMPLOYED, SEEKING = WorkerStatus.GONE, WorkerStatus.EMPLOYED, WorkerStatus.SEEKING


class NaiveWorker(mesa.Agent):
    """A worker holding its own state as Python attributes."""

    def __init__(self, model: NaiveWorkerMarket, status: int, employer: int, arrived: int):
        super().__init__(model)
        self.status = status
        self.employer = employer
        self.arrived = arrived

    def separate(self) -> None:
        """Leave the job if the firm closed, was laid off, or quit."""
        if self.status != EMPLOYED:
            return
        m = self.model
        firm = self.employer
        if not m.firm_alive[firm] or m.rng.random() < m.firm_layoff[firm] + m.quit_rate:
            self.status = SEEKING
            m.staff[firm] -= 1
            self.employer = -1
            m.separations += 1

    def search(self) -> None:
        """Take one of the month's matches with the right probability, at a random vacancy."""
        if self.status != SEEKING:
            return
        m = self.model
        if m.matches_left > 0 and m.rng.random() * m.seekers_left < m.matches_left:
            slot = int(m.rng.integers(len(m.slots)))
            m.slots[slot], m.slots[-1] = m.slots[-1], m.slots[slot]
            firm = m.slots.pop()
            self.status = EMPLOYED
            self.employer = firm
            m.staff[firm] += 1
            m.matches_left -= 1
            m.hires += 1
        m.seekers_left -= 1

    def subsidy(self) -> float:
        """Talent-policy yuan per month this worker receives (0 if not eligible)."""
        m = self.model
        if self.status != EMPLOYED:
            return 0.0
        total = 0.0
        for pol in m.talent:
            if m.month - self.arrived >= pol.eligible_months:
                continue
            if not (
                pol.park_mask[m.firm_park[self.employer]]
                and pol.sector_mask[m.firm_sector[self.employer]]
            ):
                continue
            total += (
                pol.spec.housing_subsidy_yuan_month
                + pol.spec.income_tax_relief * m.tax * m.firm_wage[self.employer]
            )
        return total

    def consider_leaving(self) -> None:
        """Leave the city with a probability lowered by wages and by one's own subsidy."""
        m = self.model
        rate = m.out_employed if self.status == EMPLOYED else m.out_seeker
        value = self.subsidy()
        if value > 0:
            m.talent_cost += value * m.scale
            net = m.firm_wage[self.employer] * (1 - m.tax)
            rate *= (1 + value / net) ** -m.elasticity
        if m.rng.random() < rate:
            if self.status == EMPLOYED:
                m.staff[self.employer] -= 1
            self.status = GONE
            m.departures += 1
            self.remove()


class NaiveWorkerMarket(mesa.Model):
    """The worker side of a cqsim month, in plain per-agent Mesa style.

    Built from a :class:`ClusterModel` (its firms, policies and workers at the current month);
    ``step`` runs one month of worker rules.
    """

    def __init__(self, source: ClusterModel, seed: int):
        super().__init__(rng=seed)
        self.source = source
        w = source.workers
        for row in range(w.n):
            if w.status[row] != GONE:
                NaiveWorker(self, int(w.status[row]), int(w.employer[row]), int(w.arrived[row]))
        f = source.firms
        self.staff = f.staff[: f.n].astype(np.int64).tolist()
        self.firm_alive = f.alive[: f.n].tolist()
        self.firm_layoff = f.layoff_share[: f.n].tolist()
        self.firm_park = f.park[: f.n].tolist()
        self.firm_sector = f.sector[: f.n].tolist()
        self.firm_wage = source.firm_wage().tolist()
        self.vacancies = np.where(f.alive[: f.n], f.vacancies[: f.n], 0)
        p = source.params
        self.scale = source.scale
        self.month = source.month
        self.quit_rate = p.labour.quit_rate
        self.tax = p.economy.income_tax_rate
        self.elasticity = p.migration.income_elasticity
        keep = np.exp(-self.elasticity * np.log(source.relative_wage))
        self.out_employed = p.migration.out_rate_employed * keep
        self.out_seeker = p.migration.out_rate_seeker * keep
        self.talent = [pol for pol in source.policies.of("talent") if pol.active()]
        self.separations = self.hires = self.departures = self.arrivals = 0
        self.talent_cost = 0.0

    def step(self) -> None:
        """One month of worker rules."""
        workers = self.agents_by_type[NaiveWorker]
        workers.shuffle_do("separate")
        seekers = sum(1 for a in workers if a.status == SEEKING)
        v_total = int(self.vacancies.sum())
        lab = self.source.params.labour
        self.tightness = (v_total + 1.0) / (seekers + 1.0)
        matches = 0
        if v_total and seekers:
            flow = (
                lab.matching_efficiency
                * v_total**lab.matching_elasticity
                * seekers ** (1 - lab.matching_elasticity)
            )
            matches = int(min(v_total, seekers, stochastic_round(flow, self.rng)))
        self.matches_left, self.seekers_left = matches, seekers
        self.slots = [firm for firm, v in enumerate(self.vacancies.tolist()) for _ in range(v)]
        workers.shuffle_do("search")
        workers.shuffle_do("consider_leaving")
        self._arrivals()

    def _arrivals(self) -> None:
        src = self.source
        p = src.params
        mig = p.migration
        gain = sum(pol.arrival_gain(src.wage_index) for pol in self.talent)
        attraction = np.exp(mig.income_elasticity * (np.log(src.relative_wage) + gain))
        inflow = mig.in_base * attraction * self.tightness**mig.tightness_elasticity
        migrants = int(self.rng.poisson(inflow / self.scale))
        for _ in range(migrants):
            NaiveWorker(self, SEEKING, -1, self.month)
        self.arrivals += migrants
        trainees_people = sum(pol.trainees_this_month() for pol in self.talent)
        for _ in range(int(stochastic_round(trainees_people / self.scale, self.rng))):
            NaiveWorker(self, SEEKING, -1, -(10**6))
        self.talent_cost += trainees_people * p.costs.training_place_yuan
        for pol in self.talent:
            resettle = pol.spec.resettlement_subsidy_yuan
            self.talent_cost += migrants * self.scale * resettle * pol.reach()


def vectorised_month(model: ClusterModel) -> dict[str, float]:
    """Run cqsim's own worker rules for one month; return the aggregates (in agents)."""
    from sim.month.labour import match_labour
    from sim.month.migration import migrate

    before_cost = model.costs.get("talent", 0.0)
    match_labour(model)
    migrate(model)
    k = model.scale
    return {
        "separations": model.month_flows["separations"] / k,
        "hires": model.month_flows["hires"] / k,
        "departures": model.month_flows["out_migrants"] / k,
        "arrivals": model.month_flows["in_migrants"] / k,
        "talent_cost_m_yuan": (model.costs.get("talent", 0.0) - before_cost) / 1e6,
    }


def naive_month(market: NaiveWorkerMarket) -> dict[str, float]:
    """Run the naive worker rules for one month; return the same aggregates."""
    market.step()
    return {
        "separations": market.separations,
        "hires": market.hires,
        "departures": market.departures,
        "arrivals": market.arrivals,
        "talent_cost_m_yuan": market.talent_cost / 1e6,
    }


# ---------------------------------------------------------------------------- tuned yardstick


class TunedWorker(mesa.Agent):
    """A worker holding its own state as Python attributes (the tuned yardstick)."""

    def __init__(
        self,
        model: TunedWorkerMarket,
        status: int,
        employer: int,
        arrived: int,
        hired: int,
        practitioner: bool,
        outside_hukou: bool,
        family: bool = False,
    ):
        super().__init__(model)
        self.family = family
        self.status = status
        self.employer = employer
        self.arrived = arrived
        self.hired = hired
        self.practitioner = practitioner
        self.outside_hukou = outside_hukou

    def leave_job(self) -> None:
        """Stop working for the employer: its staff and its new hires' shortfall fall."""
        m = self.model
        m.staff[self.employer] -= 1
        m.shortfall[self.employer] -= m.gap * m.decay ** (m.month - self.hired)
        self.employer = -1

    def separate(self) -> None:
        """Leave the job if the firm closed, or with the lay-off share plus the quit rate."""
        if (
            self.status == EMPLOYED
            and self.model.random.random() < self.model.threshold[self.employer]
        ):
            self.leave_job()
            self.status = SEEKING
            self.model.separations += 1

    def search(self) -> None:
        """Take one of the month's matches with the right probability, at a random vacancy."""
        if self.status != SEEKING:
            return
        m = self.model
        if m.matches_left > 0 and m.random.random() * m.seekers_left < m.matches_left:
            slot = m.random.randrange(len(m.slots))
            m.slots[slot], m.slots[-1] = m.slots[-1], m.slots[slot]
            firm = m.slots.pop()
            self.status = EMPLOYED
            self.employer = firm
            self.hired = m.month
            m.staff[firm] += 1
            m.shortfall[firm] += m.gap
            if not self.practitioner:
                self.practitioner = True
                m.new_from_outside += self.outside_hukou
            m.matches_left -= 1
            m.hires += 1
        m.seekers_left -= 1

    def subsidy(self) -> float:
        """Talent-policy yuan per month this worker receives (0 if not eligible)."""
        m = self.model
        total = 0.0
        for _pol, months, parks, sectors, housing, relief in m.talent:
            if m.month - self.arrived >= months:
                continue
            firm = self.employer
            if parks[m.firm_park[firm]] and sectors[m.firm_sector[firm]]:
                total += housing + relief * m.firm_wage[firm]
        return total

    def consider_leaving(self) -> None:
        """Leave the city with a probability lowered by wages and by one's own subsidy."""
        m = self.model
        if self.status == EMPLOYED:
            rate = m.out_employed
            value = self.subsidy() if m.talent else 0.0
            if value > 0:
                m.talent_cost += value * m.scale
                rate *= (1 + value / (m.firm_wage[self.employer] * (1 - m.tax))) ** -m.elasticity
        else:
            rate = m.out_seeker
        if m.random.random() < rate:
            if self.status == EMPLOYED:
                self.leave_job()
            self.status = GONE
            m.departures += 1
            self.remove()


class TunedWorkerMarket(mesa.Model):
    """The worker side of a cqsim month as a competent Mesa user would write it.

    Built from a :class:`ClusterModel` at the current month; ``step`` runs one month of worker
    rules: separations, the labour market, departures, and arrivals (migrants, graduates in
    their month, trainees, switchers from other occupations), with the same rules as
    ``sim.month.labour`` and ``sim.month.migration`` (the hire bookkeeping of the ramp-up
    shortfall and of first-time practitioners by household registration included).
    """

    def __init__(self, source: ClusterModel, seed: int):
        super().__init__(rng=seed)
        self.source = source
        w = source.workers
        for row in range(w.n):
            if w.status[row] != GONE:
                TunedWorker(
                    self,
                    int(w.status[row]),
                    int(w.employer[row]),
                    int(w.arrived[row]),
                    int(w.hired[row]),
                    bool(w.practitioner[row]),
                    bool(w.outside_hukou[row]),
                    bool(w.family[row]),
                )
        f = source.firms
        p = source.params
        self.staff = f.staff[: f.n].astype(np.int64).tolist()
        self.shortfall = f.ramp_shortfall[: f.n].tolist()
        alive = f.alive[: f.n]
        self.threshold = np.where(alive, f.layoff_share[: f.n] + p.labour.quit_rate, 2.0).tolist()
        self.firm_park = f.park[: f.n].tolist()
        self.firm_sector = f.sector[: f.n].tolist()
        self.firm_wage = source.firm_wage().tolist()
        self.vacancies = np.where(alive, f.vacancies[: f.n], 0)
        self.scale = source.scale
        self.month = source.month
        self.tax = p.economy.income_tax_rate
        self.elasticity = p.migration.income_elasticity
        lab = p.labour
        self.gap = 1 - lab.new_hire_productivity
        self.decay = float(np.exp(-1 / max(lab.ramp_months, 1e-9)))
        keep = np.exp(-self.elasticity * np.log(source.relative_wage))
        self.out_employed = p.migration.out_rate_employed * keep
        self.out_seeker = p.migration.out_rate_seeker * keep
        self.talent = [
            (
                pol,
                pol.eligible_months,
                pol.park_mask.tolist(),
                pol.sector_mask.tolist(),
                pol.spec.housing_subsidy_yuan_month,
                pol.spec.income_tax_relief * self.tax,
            )
            for pol in source.policies.of("talent")
            if pol.active()
        ]
        self.separations = self.hires = self.departures = self.arrivals = 0
        self.new_from_outside = 0
        self.talent_cost = 0.0

    def step(self) -> None:
        """One month of worker rules."""
        workers = self.agents
        workers.do("separate")  # each decision is the worker's own: no order needed
        seekers = sum(1 for a in workers if a.status == SEEKING)
        v_total = int(self.vacancies.sum())
        lab = self.source.params.labour
        self.tightness = (v_total + 1.0) / (seekers + 1.0)
        matches = 0
        if v_total and seekers:
            flow = (
                lab.matching_efficiency
                * v_total**lab.matching_elasticity
                * seekers ** (1 - lab.matching_elasticity)
            )
            matches = int(min(v_total, seekers, stochastic_round(flow, self.rng)))
        self.matches_left, self.seekers_left = matches, seekers
        self.slots = [firm for firm, v in enumerate(self.vacancies.tolist()) for _ in range(v)]
        workers.shuffle_do("search")  # who gets the scarce jobs: a random order
        workers.do("consider_leaving")
        self._arrivals()

    def _arrivals(self) -> None:
        src = self.source
        p = src.params
        mig, lab = p.migration, p.labour
        gain = sum(pol.arrival_gain(src.wage_index) for pol, *_ in self.talent)
        attraction = np.exp(mig.income_elasticity * (np.log(src.relative_wage) + gain))
        inflow = mig.in_base * attraction * self.tightness**mig.tightness_elasticity
        migrants = int(self.rng.poisson(inflow / self.scale))
        switching = (
            lab.switch_base
            * self.tightness**lab.switch_tightness_elasticity
            * np.exp(mig.income_elasticity * np.log(src.relative_wage))
        )
        switchers = int(self.rng.poisson(switching / self.scale))
        trainees_people = sum(pol.trainees_this_month() for pol, *_ in self.talent)
        trainees = int(stochastic_round(trainees_people / self.scale, self.rng))
        rand = self.random.random
        for _ in range(migrants):
            outside = rand() < 1 - mig.returnee_share
            family = rand() < mig.family_share
            TunedWorker(self, SEEKING, -1, self.month, -(10**6), False, outside, family)
        for _ in range(trainees + switchers):
            family = rand() < mig.family_share
            TunedWorker(self, SEEKING, -1, -(10**6), -(10**6), False, False, family)
        self.arrivals += migrants
        self.talent_cost += trainees_people * p.costs.training_place_yuan
        for pol, *_ in self.talent:
            resettle = pol.spec.resettlement_subsidy_yuan
            self.talent_cost += migrants * self.scale * resettle * pol.reach()


def tuned_month(market: TunedWorkerMarket) -> dict[str, float]:
    """Run the tuned yardstick's worker rules for one month; return the same aggregates."""
    market.step()
    return {
        "separations": market.separations,
        "hires": market.hires,
        "departures": market.departures,
        "arrivals": market.arrivals,
        "talent_cost_m_yuan": market.talent_cost / 1e6,
    }
