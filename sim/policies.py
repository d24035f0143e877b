"""Policy levers as modules: each knows when it is active, whom it reaches and what it costs.

Shaped like Starsim's interventions: a policy holds its settings and any state of its own, and the
model's monthly mechanisms ask it for what it changes (a rent discount, a subsidy, releases,
arrivals). Every yuan a policy pays is booked with :meth:`ClusterModel.book_cost`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import scenario as sc
from sim.calendar import parse_month
from sim.state import EMPLOYED

if TYPE_CHECKING:
    from sim.model import ClusterModel


class PolicyModule:
    """Base class: a policy active from its start month to its end month inclusive."""

    kind = ""

    def __init__(self, spec, model: ClusterModel):
        self.spec = spec
        self.model = model
        self.start = parse_month(spec.start) - model.start_month
        self.end = parse_month(spec.end) - model.start_month
        self.label = spec.name or spec.kind

    def active(self, month: int | None = None) -> bool:
        """Whether the policy is in force in the given model month (default: now)."""
        month = self.model.month if month is None else month
        return self.start <= month <= self.end

    def _index_mask(self, ids: list[str] | None, universe: list[str]) -> np.ndarray:
        if ids is None:
            return np.ones(len(universe), dtype=bool)
        return np.isin(np.array(universe), ids)


class RentReductionPolicy(PolicyModule):
    """Pays a share of eligible firms' rent in the named parks."""

    kind = "rent_reduction"

    def __init__(self, spec: sc.RentReduction, model: ClusterModel):
        super().__init__(spec, model)
        self.park_mask = self._index_mask(spec.parks, model.params.park_ids)
        self.sector_mask = self._index_mask(spec.sectors, model.params.sector_ids)

    def firm_discount(self) -> np.ndarray:
        """Rent share paid by government for every firm row (0 where not eligible)."""
        firms = self.model.firms
        n = firms.n
        out = np.zeros(n)
        if not self.active():
            return out
        ok = self.park_mask[firms.park[:n]] & self.sector_mask[firms.sector[:n]]
        if self.spec.firms == "new_settlers":
            ok &= (self.model.month - firms.settled[:n]) < self.spec.new_settler_months
        out[ok] = self.spec.share
        return out

    def settler_discount(self) -> np.ndarray:
        """Discount a firm settling now would get, by (park, sector)."""
        if not self.active():
            return np.zeros((self.park_mask.size, self.sector_mask.size))
        return np.outer(self.park_mask, self.sector_mask) * self.spec.share


class TalentPolicy(PolicyModule):
    """Income-tax relief, housing and resettlement subsidies, school and training places."""

    kind = "talent"

    def __init__(self, spec: sc.Talent, model: ClusterModel):
        super().__init__(spec, model)
        self.park_mask = self._index_mask(spec.parks, model.params.park_ids)
        self.sector_mask = self._index_mask(spec.sectors, model.params.sector_ids)
        p = model.params
        self.eligible_months = spec.eligible_months or p.migration.arrival_history_months
        self._training_carry = 0.0

    def eligible_workers(self) -> np.ndarray:
        """Boolean mask over worker rows: employed recent arrivals in eligible firms."""
        m = self.model
        w = m.workers
        n = w.n
        ok = (w.status[:n] == EMPLOYED) & ((m.month - w.arrived[:n]) < self.eligible_months)
        if self.spec.parks is not None or self.spec.sectors is not None:
            emp = np.where(ok, w.employer[:n], 0)
            ok &= self.park_mask[m.firms.park[emp]] & self.sector_mask[m.firms.sector[emp]]
        return ok

    def monthly_value(self, wage: np.ndarray | float) -> np.ndarray | float:
        """Yuan per month an eligible person receives at the given gross wage."""
        tax = self.model.params.economy.income_tax_rate
        return self.spec.housing_subsidy_yuan_month + self.spec.income_tax_relief * tax * wage

    def reach(self) -> float:
        """Share of the city's jobs that are in eligible parks and sectors."""
        if self.spec.parks is None and self.spec.sectors is None:
            return 1.0
        m = self.model
        size = m.firm_size_people() * m.firms.weight[: m.firms.n] * m.firms.alive[: m.firms.n]
        ok = (
            self.park_mask[m.firms.park[: m.firms.n]]
            & self.sector_mask[m.firms.sector[: m.firms.n]]
        )
        total = size.sum()
        return float(size[ok].sum() / total) if total > 0 else 0.0

    def school_access(self) -> float:
        """Chance that a family arriving now gets a school place from this policy."""
        if not self.active() or self.spec.school_places_per_year <= 0:
            return 0.0
        p = self.model.params
        families_per_year = max(1.0, p.migration.family_share * p.migration.in_base * 12)
        return min(1.0, self.spec.school_places_per_year / families_per_year)

    def arrival_gain(self, wage: float) -> float:
        """Log-income value of the package to a prospective arrival (0 when inactive)."""
        if not self.active():
            return 0.0
        p = self.model.params
        net_wage = wage * (1 - p.economy.income_tax_rate)
        monthly = self.monthly_value(wage) + self.spec.resettlement_subsidy_yuan / max(
            1, self.eligible_months
        )
        gain = np.log1p(monthly / net_wage) * self.reach()
        return float(
            gain + p.migration.family_share * p.migration.school_utility * self.school_access()
        )

    def trainees_this_month(self) -> int:
        """People from the local workforce retrained into software this month (real people)."""
        if not self.active() or self.spec.training_places_per_year <= 0:
            return 0
        self._training_carry += self.spec.training_places_per_year / 12
        count = int(self._training_carry)
        self._training_carry -= count
        return count


class ScaleUpAwardsPolicy(PolicyModule):
    """One-off awards when a firm's trailing-12-month revenue first crosses a threshold."""

    kind = "scale_up_awards"

    def __init__(self, spec: sc.ScaleUpAwards, model: ClusterModel):
        super().__init__(spec, model)
        self.thresholds = np.array(spec.thresholds_bn_yuan) * 1e9
        self.awards = np.array(spec.awards_m_yuan) * 1e6
        self.cum_awards = np.concatenate([[0.0], np.cumsum(self.awards)])
        self.park_mask = self._index_mask(spec.parks, model.params.park_ids)
        self.sector_mask = self._index_mask(spec.sectors, model.params.sector_ids)
        self.level = np.zeros(0, dtype=np.int64)

    def _levels(self) -> np.ndarray:
        firms = self.model.firms
        return np.searchsorted(self.thresholds, firms.trailing_revenue[: firms.n], side="right")

    def mark_existing(self) -> None:
        """Firms already above a threshold are not paid for having crossed it ('first time')."""
        self.level = self._levels()

    def awards_due(self) -> np.ndarray:
        """Award (yuan) due to each firm row this month; updates which levels were paid."""
        firms = self.model.firms
        n = firms.n
        if self.level.size < n:
            self.level = np.concatenate([self.level, self._levels()[self.level.size : n]])
        levels = self._levels()
        if not self.active():
            self.level = np.maximum(self.level, levels)
            return np.zeros(n)
        ok = firms.alive[:n] & self.park_mask[firms.park[:n]] & self.sector_mask[firms.sector[:n]]
        new = np.where(ok, np.maximum(levels, self.level), self.level)
        due = self.cum_awards[new] - self.cum_awards[self.level]
        self.level = np.maximum(new, levels)
        return due


class LeadingEnterprisesPolicy(PolicyModule):
    """Leading enterprises settle on a schedule and draw follower firms to their park."""

    kind = "leading_enterprises"

    def __init__(self, spec: sc.LeadingEnterprises, model: ClusterModel):
        super().__init__(spec, model)
        months = self.end - self.start + 1
        self.arrivals = [self.start + (i * months) // max(1, spec.count) for i in range(spec.count)]
        self.park = model.params.park_ids.index(spec.park)
        self.sector = model.params.sector_ids.index(spec.sector)

    def anchors_this_month(self) -> int:
        """Number of leading enterprises settling this month."""
        return sum(1 for a in self.arrivals if a == self.model.month)

    def expected_followers(self) -> float:
        """Follower firms expected to arrive this month (real firms)."""
        span = self.model.params.leading.follower_months
        live = sum(1 for a in self.arrivals if a <= self.model.month < a + span)
        followers = self.spec.followers
        if followers is None:
            followers = self.model.params.leading.followers_per_anchor
        return live * followers / span


class ApplicationScenariosPolicy(PolicyModule):
    """Releases a number of public application-scenario projects each month."""

    kind = "application_scenarios"

    def __init__(self, spec: sc.ApplicationScenarios, model: ClusterModel):
        super().__init__(spec, model)
        self.sector_mask = self._index_mask(spec.sectors, model.params.sector_ids)
        self._carry = 0.0

    def releases_this_month(self) -> int:
        """Projects released this month (fractions carried over, so totals are exact)."""
        if not self.active():
            return 0
        self._carry += self.spec.per_month
        count = int(self._carry + 1e-9)
        self._carry -= count
        return count


class OfficeSupplyPolicy(PolicyModule):
    """Delivers office area to parks, evenly over the policy's months."""

    kind = "office_supply"

    def __init__(self, spec: sc.OfficeSupply, model: ClusterModel):
        super().__init__(spec, model)
        self.parks = [model.params.park_ids.index(p) for p in spec.parks]

    def delivery_this_month(self) -> float:
        """Area (m²) delivered to each listed park this month."""
        if not self.active():
            return 0.0
        months = self.end - self.start + 1
        return self.spec.area_m2 / months / len(self.parks)


POLICY_CLASSES: dict[str, type[PolicyModule]] = {
    cls.kind: cls
    for cls in (
        RentReductionPolicy,
        TalentPolicy,
        ScaleUpAwardsPolicy,
        LeadingEnterprisesPolicy,
        ApplicationScenariosPolicy,
        OfficeSupplyPolicy,
    )
}


def build_policies(specs: list, model: ClusterModel) -> list[PolicyModule]:
    """Instantiate the policy modules for a scenario's policy list."""
    return [POLICY_CLASSES[spec.kind](spec, model) for spec in specs]
