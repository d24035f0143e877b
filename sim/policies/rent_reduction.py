"""Rent reduction: the city pays part of the rent of eligible firms in the named parks.

Acts on firms (the share of rent paid lowers their costs; the city books what it pays) and on
location (a park's net rent, for firms choosing where to settle or whether to move).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from sim.lazy import lazy_module
from sim.policies.base import FirmRelief, Lever, Policy, PolicySpec

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters

FIRMS_CHOICES = {"all tenants": "all", "new settlers only": "new_settlers"}


class RentReductionSpec(PolicySpec):
    """Government pays part of the rent of eligible firms in the named parks."""

    kind: Literal["rent_reduction"] = Field(description="the policy kind")
    parks: list[str] = Field(min_length=1, description="parks whose tenants are eligible")
    sectors: list[str] | None = Field(
        None, description="sectors whose firms are eligible (default: all sectors)"
    )
    share: float = Field(
        ge=0,
        le=1,
        description="share of rent paid by government, 0-1 (a firm eligible for several "
        "rent reductions gets the largest share)",
    )
    firms: Literal["all", "new_settlers"] = Field(
        "new_settlers",
        description="'new_settlers': only firms that settled in their park less than "
        "`new_settler_months` ago; 'all': every tenant",
    )
    new_settler_months: int = Field(
        36,
        ge=1,
        le=120,
        description="months since the firm settled in its park during which it counts as a "
        "new settler",
    )


class RentReduction(Policy):
    """Pays a share of eligible firms' rent in the named parks."""

    kind = "rent_reduction"
    label = "rent reduction"
    order = 10
    Spec = RentReductionSpec
    levers = (
        Lever("rent_share", "Rent cut: share the city pays", field="share", step=0.05),
        Lever("rent_parks", "Rent cut: parks", default="Science City parks", choices="park groups"),
        Lever(
            "rent_firms",
            "Rent cut: firms",
            default="all tenants",
            choices=tuple(FIRMS_CHOICES),
        ),
    )

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """A rent cut of the chosen share in the chosen parks."""
        if values["rent_share"] <= 0:
            return None
        return {
            "parks": parks[values["rent_parks"]],
            "share": float(values["rent_share"]),
            "firms": FIRMS_CHOICES[values["rent_firms"]],
        }

    def __init__(self, spec: RentReductionSpec, model: ClusterSim):
        super().__init__(spec, model)
        self.park_mask = self.mask(spec.parks, model.params.park_ids)
        self.sector_mask = self.mask(spec.sectors, model.params.sector_ids)

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

    @classmethod
    def firm_rent_relief(cls, m: ClusterSim, policies: list) -> np.ndarray:
        """The best discount each firm row has (a firm eligible for several gets the largest)."""
        out = np.zeros(m.firms.n)
        for pol in policies:
            out = np.maximum(out, pol.firm_discount())
        return out

    @classmethod
    def settler_rent_relief(cls, m: ClusterSim, policies: list) -> np.ndarray:
        """The best discount a settler would get, by (park, sector)."""
        out = np.zeros((m.n_parks, m.n_sectors))
        for pol in policies:
            out = np.maximum(out, pol.settler_discount())
        return out

    @classmethod
    def firm_costs(
        cls, m: ClusterSim, policies: list, rent: np.ndarray, other: np.ndarray
    ) -> FirmRelief:
        """The share of rent paid, and its cost to the city over the firms alive."""
        f = m.firms
        n = f.n
        share = cls.firm_rent_relief(m, policies)
        m.book_cost(cls.kind, np.sum(f.weight[:n] * rent * share * f.alive[:n]))
        return FirmRelief(rent=share)
