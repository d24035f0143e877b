"""Subsidised computing power: the city pays part of the computing costs of eligible firms.

Seed 002 (press conference, Dec 2025): Chongqing builds computing parks (Mingyue Lake, Jinfeng
Software Park) and an intelligent computing centre to offer firms capacity that is "lower-carbon,
more secure, and more cost-competitive". Modelled as a cut in the computing part of firms' other
costs: a share ``computing.share_of_other_costs`` of a firm's other costs is computing, and the
policy pays ``share`` of it for firms in the named parks and sectors. Acts on firms (profit, and
so survival and cash); the city books what it pays.
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


class ComputingPowerSpec(PolicySpec):
    """The city pays part of the computing costs of eligible firms (subsidised capacity)."""

    kind: Literal["computing_power"] = Field(description="the policy kind")
    share: float = Field(
        ge=0,
        le=1,
        description="share of eligible firms' computing costs paid by the city, 0-1 (computing "
        "is parameter computing.share_of_other_costs of a firm's other costs; a firm eligible "
        "for several such policies gets the largest share)",
    )
    parks: list[str] | None = Field(
        None, description="parks whose firms are eligible (default: all parks)"
    )
    sectors: list[str] | None = Field(
        None, description="sectors whose firms are eligible (default: all sectors)"
    )


class ComputingPower(Policy):
    """Pays a share of eligible firms' computing costs."""

    kind = "computing_power"
    label = "computing power"
    order = 70
    Spec = ComputingPowerSpec
    levers = (
        Lever(
            "computing_share", "Computing: share of compute costs paid", field="share", step=0.05
        ),
        Lever("computing_parks", "Computing: parks", default="all parks", choices="park groups"),
    )

    def __init__(self, spec: ComputingPowerSpec, model: ClusterSim):
        super().__init__(spec, model)
        self.park_mask = self.mask(spec.parks, model.params.park_ids)
        self.sector_mask = self.mask(spec.sectors, model.params.sector_ids)

    def other_cost_share(self) -> np.ndarray:
        """Share of each firm row's other costs paid (0 where not eligible or not in force)."""
        f = self.model.firms
        n = f.n
        out = np.zeros(n)
        if self.active():
            ok = self.park_mask[f.park[:n]] & self.sector_mask[f.sector[:n]]
            out[ok] = self.spec.share * self.model.params.computing.share_of_other_costs
        return out

    @classmethod
    def firm_costs(
        cls, m: ClusterSim, policies: list, rent: np.ndarray, other: np.ndarray
    ) -> FirmRelief:
        """The share of other costs paid (the best policy applies), and its cost to the city."""
        f = m.firms
        n = f.n
        share = np.zeros(n)
        for pol in policies:
            share = np.maximum(share, pol.other_cost_share())
        m.book_cost(cls.kind, np.sum(f.weight[:n] * other * share * f.alive[:n]))
        return FirmRelief(other=share)

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """Subsidised computing of the chosen share in the chosen parks."""
        if values["computing_share"] <= 0:
            return None
        return {
            "share": float(values["computing_share"]),
            "parks": parks[values["computing_parks"]],
        }
