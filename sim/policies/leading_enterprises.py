"""Leading enterprises: large firms brought to a park on a schedule, and the firms they draw.

Acts on entry: each leading enterprise enters its park one to one at its target size (it then
hires like any firm), and draws follower firms to the same park over
``leading.follower_months`` (seed 000: Zhongguancun Zhiku brought 41 in just over a year). The
city books a settlement subsidy per leading enterprise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from sim.lazy import lazy_module
from sim.policies.base import Lever, Policy, PolicySpec
from sim.state import FirmKind

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters


class LeadingEnterprisesSpec(PolicySpec):
    """Leading enterprises settle in a park and draw follower firms after them."""

    kind: Literal["leading_enterprises"] = Field(description="the policy kind")
    count: int = Field(
        ge=0,
        le=100,
        description="number of leading enterprises, arriving evenly over the policy's months "
        "(the documents name one; 100 would be every national leader settling at once)",
    )
    park: str = Field(description="park they settle in")
    sector: str = Field(description="their sector")
    staff: float | None = Field(
        None,
        gt=0,
        le=20000,
        description="people per leading enterprise (default: parameter leading.anchor_staff)",
    )
    followers: float | None = Field(
        None,
        ge=0,
        le=500,
        description="follower firms per leading enterprise, arriving in its park over "
        "parameter leading.follower_months after it "
        "(default: parameter leading.followers_per_anchor)",
    )
    settlement_subsidy_m_yuan: float | None = Field(
        None,
        ge=0,
        le=10000,
        description="one-off settlement subsidy, million yuan per leading enterprise "
        "(default: parameter costs.anchor_settlement_yuan)",
    )

    def people_estimate(self, params: Parameters) -> float:
        """The leading enterprises' staff and their followers' (at the followers' mean size)."""
        staff = self.staff if self.staff is not None else params["leading.anchor_staff"]
        followers = (
            self.followers if self.followers is not None else params["leading.followers_per_anchor"]
        )
        follower_size = params["leading.follower_size_median"] * np.exp(
            params["leading.follower_size_sigma"] ** 2 / 2
        )
        return self.count * (staff + followers * follower_size)


class LeadingEnterprises(Policy):
    """Leading enterprises settle on a schedule and draw follower firms to their park."""

    kind = "leading_enterprises"
    label = "leading enterprises"
    order = 40
    Spec = LeadingEnterprisesSpec
    levers = (
        Lever("leading_count", "Leading enterprises", field="count", step=1, default=0),
        Lever(
            "leading_park",
            "Leading enterprises: park",
            default="Jinfeng Software Park",
            choices="parks",
        ),
    )

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """Leading enterprises in the chosen park, in its first focus sector but general IT."""
        if values["leading_count"] <= 0:
            return None
        park = parks[values["leading_park"]][0]
        spec = next(p for p in params.parks if p.id == park)
        general = params.sector_ids[0]
        sector = next((s for s in spec.focus if s != general), general)
        return {"count": int(values["leading_count"]), "park": park, "sector": sector}

    def __init__(self, spec: LeadingEnterprisesSpec, model: ClusterSim):
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

    @classmethod
    def entry(cls, m: ClusterSim, policies: list, rng: np.random.Generator) -> float:
        """The leading enterprises settling this month and their followers; real firms made."""
        from sim.month.entry import spawn_firms

        p = m.params
        lead = p.leading
        created = 0.0
        for pol in policies:
            anchors = pol.anchors_this_month()
            if anchors:
                staff = pol.spec.staff or lead.anchor_staff
                created += spawn_firms(
                    m,
                    anchors,
                    staff,
                    0.0,
                    FirmKind.LEADING,
                    rng,
                    park=pol.park,
                    sector=pol.sector,
                    force_weight_one=True,
                    exact=True,
                )
                subsidy = pol.spec.settlement_subsidy_m_yuan
                subsidy = p.costs.anchor_settlement_yuan if subsidy is None else subsidy * 1e6
                m.book_cost(cls.kind, anchors * subsidy)
            followers = pol.expected_followers()
            if followers > 0:
                created += spawn_firms(
                    m,
                    followers,
                    lead.follower_size_median,
                    lead.follower_size_sigma,
                    FirmKind.FOLLOWER,
                    rng,
                    park=pol.park,
                    sector=pol.sector,
                    own_sector_share=lead.follower_sector_share,
                )
        return created
