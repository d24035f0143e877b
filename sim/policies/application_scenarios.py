"""Application scenarios: public projects released each month for firms to build and test.

Acts on demand: each project goes to a sector (in proportion to the sectors' 2021 shares), is
won locally with ``scenarios.local_share`` by a firm able to deliver it (odds by size), and runs
``scenarios.contract_months`` as contract revenue; when it ends it leaves lasting demand behind
(:class:`~sim.month.demand.ContractBook`). The city books the public share of the contracts
being delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from sim.lazy import lazy_module
from sim.policies.base import Lever, Policy, PolicySpec

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters


class ApplicationScenariosSpec(PolicySpec):
    """Public project opportunities released each month for firms to build and test products."""

    kind: Literal["application_scenarios"] = Field(description="the policy kind")
    per_month: float = Field(
        ge=0,
        le=2000,
        description="projects released per month (fractions are carried over to the next "
        "month; the city released about 136 a month in 2023-2025)",
    )
    value_m_yuan: float = Field(
        8.307,
        gt=0,
        le=1000,
        description="mean value of one project, million yuan "
        "(default: 34.2 bn yuan / 4,117 projects, stated)",
    )
    sectors: list[str] | None = Field(
        None,
        description="sectors the projects are in, drawn in proportion to the sectors' 2021 "
        "shares (default: all sectors)",
    )

    def people_estimate(self, params: Parameters) -> float:
        """The staff the contract revenue would employ, once contracts overlap."""
        monthly = self.per_month * self.value_m_yuan * 1e6 * params["scenarios.local_share"]
        return monthly / params["init.productivity_yuan_per_person_month"]


class ApplicationScenarios(Policy):
    """Releases a number of public application-scenario projects each month."""

    kind = "application_scenarios"
    label = "application scenarios"
    order = 50
    Spec = ApplicationScenariosSpec
    levers = (
        Lever("scenarios_per_month", "Application scenarios/month", field="per_month", step=5),
    )

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """Projects released each month at the stated mean value."""
        per_month = float(values["scenarios_per_month"])
        return {"per_month": per_month} if per_month > 0 else None

    def __init__(self, spec: ApplicationScenariosSpec, model: ClusterSim):
        super().__init__(spec, model)
        self.sector_mask = self.mask(spec.sectors, model.params.sector_ids)
        self._carry = 0.0

    def releases_this_month(self) -> int:
        """Projects released this month (fractions carried over, so totals are exact)."""
        if not self.active():
            return 0
        self._carry += self.spec.per_month
        count = int(self._carry + 1e-9)
        self._carry -= count
        return count

    def award(self, count: int, rng: np.random.Generator) -> None:
        """Award ``count`` projects: a sector for each, then a capable firm in it (odds by size)."""
        from sim.month.draws import cumulative, draw_from  # here: validation needs no model

        m = self.model
        p = m.params
        f = m.firms
        n = f.n
        value = self.spec.value_m_yuan * 1e6
        months = int(p.scenarios.contract_months)
        weights = m.sector_share * self.sector_mask
        sectors = draw_from(rng, cumulative(weights / weights.sum()), count)
        won_locally = rng.random(count) < p.scenarios.local_share
        size = m.firm_size_people()
        able = f.alive[:n] & (size >= p.scenarios.min_staff_to_deliver)
        winners = np.full(count, -1, dtype=np.int64)
        # the capable firms grouped by sector, each group in row order
        capable = np.flatnonzero(able)
        capable = capable[np.argsort(f.sector[capable], kind="stable")]
        bounds = np.searchsorted(f.sector[capable], np.arange(m.n_sectors + 1))
        # the projects won locally grouped by sector, each group in project order
        local = np.flatnonzero(won_locally)
        local = local[np.argsort(sectors[local], kind="stable")]
        local_bounds = np.searchsorted(sectors[local], np.arange(m.n_sectors + 1))
        for s in np.flatnonzero(np.diff(local_bounds)).tolist():  # a loop over sectors, not firms
            slots = local[local_bounds[s] : local_bounds[s + 1]]
            cands = capable[bounds[s] : bounds[s + 1]]
            if cands.size == 0:
                continue
            odds = f.weight[cands] * size[cands]
            winners[slots] = cands[draw_from(rng, cumulative(odds / odds.sum()), slots.size)]
        # A firm agent standing for w firms gets 1/w of the contract (one of its w firms won it).
        per_agent = np.where(winners >= 0, value / months / f.weight[np.maximum(winners, 0)], 0.0)
        public = np.full(count, value / months * p.scenarios.public_share)
        m.contracts.add(winners, per_agent, public, m.month + months - 1)

    @classmethod
    def demand(cls, m: ClusterSim, policies: list) -> None:
        """Release this month's projects; book the public share of the contracts running."""
        released = 0
        rng = m.stream("scenarios")  # one stream for the month's projects of every policy
        for pol in policies:
            count = pol.releases_this_month()
            if count:
                pol.award(count, rng)
                released += count
        m.month_flows["application_scenarios_released"] = released
        public = m.contracts.public_monthly.sum()
        if public:
            m.book_cost(cls.kind, public)
