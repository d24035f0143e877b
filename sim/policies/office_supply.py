"""Office supply: office floor area delivered to parks, evenly over the policy's months.

Acts on parks: the space is added at the start of each month, before rents adjust and firms
look for room; the city books its public cost per m² delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from sim.policies.base import Lever, Policy, PolicySpec

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters


class OfficeSupplySpec(PolicySpec):
    """Office floor area delivered to parks, spread evenly over the policy's months."""

    kind: Literal["office_supply"] = Field(description="the policy kind")
    parks: list[str] = Field(
        min_length=1, description="parks that receive the space (not 'outside')"
    )
    area_m2: float = Field(
        ge=0,
        le=2e7,
        description="total m2 delivered, evenly over the policy's months and split equally "
        "among the parks",
    )
    cost_yuan_per_m2: float | None = Field(
        None,
        ge=0,
        le=50000,
        description="public cost, yuan per m2 delivered "
        "(default: parameter costs.office_public_cost_yuan_per_m2)",
    )

    @field_validator("parks")
    @classmethod
    def _in_parks(cls, parks: list[str]) -> list[str]:
        if "outside" in parks:
            raise ValueError("office space cannot be added 'outside' any park")
        return parks


class OfficeSupply(Policy):
    """Delivers office area to parks, evenly over the policy's months."""

    kind = "office_supply"
    label = "office supply"
    order = 60
    Spec = OfficeSupplySpec
    levers = (
        Lever("office_area_m2", "Office space added, m²", field="area_m2", step=20000),
        Lever(
            "office_parks",
            "Office space: parks",
            default="Science City parks",
            choices="park groups",
        ),
    )

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """Office space of the area set, split among the chosen parks."""
        area = float(values["office_area_m2"])
        return {"parks": parks[values["office_parks"]], "area_m2": area} if area > 0 else None

    def __init__(self, spec: OfficeSupplySpec, model: ClusterSim):
        super().__init__(spec, model)
        self.park_rows = [model.params.park_ids.index(p) for p in spec.parks]

    def delivery_this_month(self) -> float:
        """Area (m²) delivered to each listed park this month."""
        if not self.active():
            return 0.0
        months = self.end - self.start + 1
        return self.spec.area_m2 / months / len(self.park_rows)

    @classmethod
    def parks(cls, m: ClusterSim, policies: list) -> None:
        """Deliver the month's office space, and book its public cost."""
        for pol in policies:
            area = pol.delivery_this_month()
            if area > 0:
                m.parks.area[pol.park_rows] += area
                cost = pol.spec.cost_yuan_per_m2
                if cost is None:
                    cost = m.params.costs.office_public_cost_yuan_per_m2
                m.book_cost(cls.kind, area * len(pol.park_rows) * cost)
