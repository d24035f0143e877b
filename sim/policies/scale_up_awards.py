"""Scale-up awards: a one-off award when a firm's yearly revenue first crosses a threshold.

Acts on firms after profit: the award is cash, and part of it buys demand (marketing, product),
at ``awards.revenue_per_award_yuan``. Firms already above a threshold when the run starts are
not paid for it (the awards are for crossing a threshold "for the first time").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from sim.lazy import lazy_module
from sim.policies.base import Lever, Policy, PolicySpec

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters

# The thresholds and awards are lists, whose items pydantic fields cannot bound: their ranges.
MAX_AWARD_THRESHOLD_BN_YUAN = 1000.0
MAX_AWARD_M_YUAN = 1000.0
# The app pays awards at the revenue classes the metrics count (100 m, 1 bn, 10 bn yuan a year).
APP_THRESHOLDS_BN_YUAN = (0.1, 1.0, 10.0)


class ScaleUpAwardsSpec(PolicySpec):
    """One-off awards to firms whose trailing-12-month revenue first crosses a threshold."""

    kind: Literal["scale_up_awards"] = Field(description="the policy kind")
    thresholds_bn_yuan: list[float] = Field(
        min_length=1,
        description="trailing-12-month revenue thresholds, bn yuan; each > 0 and at most 1000, "
        "in increasing order",
    )
    awards_m_yuan: list[float] = Field(
        min_length=1,
        description="one-off award, million yuan, paid when a firm first crosses the threshold "
        "at the same position; each 0-1000, as many as thresholds",
    )
    parks: list[str] | None = Field(
        None, description="parks whose firms are eligible (default: all parks)"
    )
    sectors: list[str] | None = Field(
        None, description="sectors whose firms are eligible (default: all sectors)"
    )

    @model_validator(mode="after")
    def _paired(self) -> ScaleUpAwardsSpec:
        if len(self.thresholds_bn_yuan) != len(self.awards_m_yuan):
            raise ValueError("thresholds_bn_yuan and awards_m_yuan must have the same length")
        if any(not 0 < t <= MAX_AWARD_THRESHOLD_BN_YUAN for t in self.thresholds_bn_yuan):
            raise ValueError(
                f"thresholds must be > 0 and at most {MAX_AWARD_THRESHOLD_BN_YUAN:g} bn yuan"
            )
        if any(not 0 <= a <= MAX_AWARD_M_YUAN for a in self.awards_m_yuan):
            raise ValueError(f"awards must be 0-{MAX_AWARD_M_YUAN:g} m yuan each")
        pairs = zip(self.thresholds_bn_yuan, self.thresholds_bn_yuan[1:], strict=False)
        if any(b <= a for a, b in pairs):
            raise ValueError("thresholds_bn_yuan must be strictly increasing")
        return self


class ScaleUpAwards(Policy):
    """One-off awards when a firm's trailing-12-month revenue first crosses a threshold."""

    kind = "scale_up_awards"
    label = "scale-up awards"
    order = 30
    Spec = ScaleUpAwardsSpec
    levers = tuple(
        Lever(name, label, step=step, low=0.0, high=MAX_AWARD_M_YUAN)
        for name, label, step in (
            ("award_100m_m_yuan", "Award at 100 m revenue, m yuan", 0.25),
            ("award_1bn_m_yuan", "Award at 1 bn revenue, m yuan", 1),
            ("award_10bn_m_yuan", "Award at 10 bn revenue, m yuan", 5),
        )
    )

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """Awards of the amounts set at 100 m, 1 bn and 10 bn yuan of yearly revenue."""
        awards = [float(values[lever.name]) for lever in cls.levers]
        if not any(a > 0 for a in awards):
            return None
        return {"thresholds_bn_yuan": list(APP_THRESHOLDS_BN_YUAN), "awards_m_yuan": awards}

    def __init__(self, spec: ScaleUpAwardsSpec, model: ClusterSim):
        super().__init__(spec, model)
        self.thresholds = np.array(spec.thresholds_bn_yuan) * 1e9
        self.awards = np.array(spec.awards_m_yuan) * 1e6
        self.cum_awards = np.concatenate([[0.0], np.cumsum(self.awards)])
        self.park_mask = self.mask(spec.parks, model.params.park_ids)
        self.sector_mask = self.mask(spec.sectors, model.params.sector_ids)
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
        levels = self._levels()
        if self.level.size < n:  # new firms: what they had crossed when they came
            self.level = np.concatenate([self.level, levels[self.level.size :]])
        if not self.active():
            self.level = np.maximum(self.level, levels)
            return np.zeros(n)
        ok = firms.alive[:n] & self.park_mask[firms.park[:n]] & self.sector_mask[firms.sector[:n]]
        new = np.where(ok, np.maximum(levels, self.level), self.level)
        due = self.cum_awards[new] - self.cum_awards[self.level]
        self.level = np.maximum(new, levels)
        return due

    # ---------------------------------------------------------------------------- hooks

    @classmethod
    def setup(cls, m: ClusterSim, policies: list) -> None:
        """Remember which thresholds the firms of January 2021 have crossed already."""
        for pol in policies:
            pol.mark_existing()

    @classmethod
    def firm_rewards(cls, m: ClusterSim, policies: list) -> None:
        """Pay the awards due: cash, and the demand part of it buys."""
        f = m.firms
        n = f.n
        for pol in policies:
            due = pol.awards_due()
            if due.any():
                f.cash[:n] += due
                f.demand[:n] += due * m.params.awards.revenue_per_award_yuan / 12
                m.book_cost(cls.kind, np.sum(f.weight[:n] * due))
