"""Talent: income-tax relief, housing and resettlement subsidies, school and training places.

Acts on migration: the package's value draws arrivals (the log-income gain, and school access
for families) and keeps those paid from leaving; training places retrain local people into
software. The city books the subsidies it pays, the places it funds and the resettlement of
arrivals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from sim.lazy import lazy_module
from sim.policies.base import Lever, Policy, PolicySpec
from sim.state import WorkerStatus

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters


class TalentSpec(PolicySpec):
    """Subsidies to practitioners who recently arrived (income-tax relief, housing, schools...)."""

    kind: Literal["talent"] = Field(description="the policy kind")
    parks: list[str] | None = Field(
        None,
        description="parks of the employers whose recently arrived staff are eligible "
        "(default: all parks)",
    )
    sectors: list[str] | None = Field(
        None,
        description="sectors of the employers whose recently arrived staff are eligible "
        "(default: all sectors)",
    )
    eligible_months: int | None = Field(
        None,
        ge=1,
        le=120,
        description="months since arrival in the city during which a person is eligible "
        "(default: parameter migration.arrival_history_months)",
    )
    income_tax_relief: float = Field(
        0.0, ge=0, le=1, description="share of income tax refunded, 0-1"
    )
    housing_subsidy_yuan_month: float = Field(
        0.0,
        ge=0,
        le=10000,
        description="housing subsidy, yuan per person per month (at most about a month's "
        "wage: Chinese cities pay 500-3,000)",
    )
    resettlement_subsidy_yuan: float = Field(
        0.0,
        ge=0,
        le=300000,
        description="one-off subsidy, yuan per arriving person (at most the top of city "
        "packages for doctoral graduates)",
    )
    school_places_per_year: float = Field(
        0.0,
        ge=0,
        le=50000,
        description="school places for practitioners' children per year (at most about one "
        "child per ten practitioners)",
    )
    training_places_per_year: float = Field(
        0.0,
        ge=0,
        le=100000,
        description="training places per year: local people retrained into software (at most "
        "about a fifth of the sector's size)",
    )

    def people_estimate(self, params: Parameters) -> float:
        """The trainees of the policy's months."""
        return self.training_places_per_year * self.months / 12


class Talent(Policy):
    """Income-tax relief, housing and resettlement subsidies, school and training places."""

    kind = "talent"
    label = "talent"
    order = 20
    Spec = TalentSpec
    levers = (
        Lever(
            "housing_subsidy_yuan_month",
            "Talent: housing, yuan/month",
            field="housing_subsidy_yuan_month",
            step=100,
        ),
        Lever(
            "income_tax_relief", "Talent: income-tax refund", field="income_tax_relief", step=0.05
        ),
        Lever(
            "resettlement_subsidy_yuan",
            "Talent: resettlement, yuan",
            field="resettlement_subsidy_yuan",
            step=5000,
        ),
        Lever(
            "school_places_per_year",
            "Talent: school places/year",
            field="school_places_per_year",
            step=100,
        ),
        Lever(
            "training_places_per_year",
            "Talent: training places/year",
            field="training_places_per_year",
            step=500,
        ),
    )

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """A city-wide talent package of the amounts set."""
        amounts = {lever.field: float(values[lever.name]) for lever in cls.levers}
        return amounts if any(v > 0 for v in amounts.values()) else None

    def __init__(self, spec: TalentSpec, model: ClusterSim):
        super().__init__(spec, model)
        self.park_mask = self.mask(spec.parks, model.params.park_ids)
        self.sector_mask = self.mask(spec.sectors, model.params.sector_ids)
        p = model.params
        self.eligible_months = spec.eligible_months or p.migration.arrival_history_months
        self._training_carry = 0.0
        self.trained_this_month = 0

    def eligible_among(self, employers: np.ndarray) -> np.ndarray | None:
        """Which recent arrivals in work, of these ``employers``, this package pays.

        Those whose firm is in its parks and sectors: a mask over ``employers``, or None when
        the package pays them all.
        """
        if self.spec.parks is None and self.spec.sectors is None:
            return None
        f = self.model.firms
        firm_ok = self.park_mask[f.park[: f.n]] & self.sector_mask[f.sector[: f.n]]
        return firm_ok[employers]

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

    # ---------------------------------------------------------------------------- hooks

    @classmethod
    def calendar(cls, m: ClusterSim, policies: list) -> None:
        """School places are paid for whether or not they are taken up."""
        for pol in policies:
            if pol.active() and pol.spec.school_places_per_year > 0:
                m.book_cost(
                    cls.kind,
                    pol.spec.school_places_per_year / 12 * m.params.costs.school_place_yuan,
                )

    @classmethod
    def attraction(cls, m: ClusterSim, policies: list, wage: float) -> float:
        """What the packages in force are worth to an arrival, in log income."""
        return sum(pol.arrival_gain(wage) for pol in policies if pol.active())

    @classmethod
    def departures(
        cls,
        m: ClusterSim,
        policies: list,
        rows: np.ndarray,
        threshold: np.ndarray,
        firm_wage: np.ndarray,
    ) -> None:
        """Each eligible person's subsidy is part of what keeps them; the city pays it."""
        mig = m.params.migration
        w = m.workers
        # employed people who arrived within so many months: their rows, employers and wages
        recent: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for pol in policies:
            if not pol.active():
                continue
            months = pol.eligible_months
            start = w.first_row_arrived_since(m.month - months + 1)
            if months not in recent:  # arrivals sit in arrival order: search the later rows only
                employed = w.status[start : w.n] == WorkerStatus.EMPLOYED
                arrived = w.arrived[start : w.n] > m.month - months
                rows_recent = start + np.flatnonzero(employed & arrived)
                employers = w.employer[rows_recent]
                recent[months] = (rows_recent, employers, firm_wage[employers])
            rows_recent, employers, wage = recent[months]
            paid_here = pol.eligible_among(employers)
            if paid_here is None:
                eligible = rows_recent
            else:
                eligible, wage = rows_recent[paid_here], wage[paid_here]
            value = pol.monthly_value(wage)
            m.book_cost(cls.kind, float(np.sum(value)) * m.scale)
            paid = _among(rows, eligible, start, w.n)  # the candidates to leave whom it pays
            wages = firm_wage[w.employer[rows[paid]]]
            net = wages * (1 - m.params.economy.income_tax_rate)
            threshold[paid] *= (1 + pol.monthly_value(wages) / net) ** -mig.income_elasticity

    @classmethod
    def trainees(cls, m: ClusterSim, policies: list) -> int:
        """Local people retrained into software this month."""
        total = 0
        for pol in policies:
            pol.trained_this_month = pol.trainees_this_month() if pol.active() else 0
            total += pol.trained_this_month
        return total

    @classmethod
    def arrivals(cls, m: ClusterSim, policies: list, arrived: int) -> None:
        """The city pays the training places used and the resettlement of arrivals."""
        trained = sum(pol.trained_this_month for pol in policies)
        if trained:
            m.book_cost(cls.kind, trained * m.params.costs.training_place_yuan)
        for pol in policies:
            if pol.active() and pol.spec.resettlement_subsidy_yuan > 0:
                m.book_cost(cls.kind, arrived * pol.spec.resettlement_subsidy_yuan * pol.reach())


def _among(rows: np.ndarray, members: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Positions in ascending ``rows`` of those that are ``members`` (rows in [start, stop))."""
    first = int(np.searchsorted(rows, start))
    marked = np.zeros(stop - start, dtype=bool)
    marked[members - start] = True
    return first + np.flatnonzero(marked[rows[first:] - start])
