"""3. Demand: each firm's market grows; public projects are released, won and delivered.

A firm's demand follows its own proportional-growth process: its sector's growth, a sector-wide
shock and a shock of its own, steadier for larger and older firms (growth volatility falls with
size as size^-0.2, Stanley et al. 1996; young firms' is larger, as they learn their market).
Contracts won from public projects add revenue while they run and leave lasting demand behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core import ClusterSim


class ContractBook:
    """Contracts being delivered: firm row, yuan per month (to the firm, and paid publicly), end."""

    def __init__(self):
        self.firm = np.zeros(0, dtype=np.int64)
        self.monthly = np.zeros(0)
        self.public_monthly = np.zeros(0)
        self.end = np.zeros(0, dtype=np.int64)

    def add(self, firm: np.ndarray, monthly: np.ndarray, public_monthly: np.ndarray, end: int):
        """Start contracts (firm -1: won by a firm outside the cluster)."""
        self.firm = np.concatenate([self.firm, firm])
        self.monthly = np.concatenate([self.monthly, monthly])
        self.public_monthly = np.concatenate([self.public_monthly, public_monthly])
        self.end = np.concatenate([self.end, np.full(firm.size, end, dtype=np.int64)])

    def close_expired(self, month: int) -> tuple[np.ndarray, np.ndarray]:
        """Remove contracts that ended before this month; return their (firm, monthly value)."""
        done = self.end < month
        out = (self.firm[done], self.monthly[done])
        keep = ~done
        self.firm, self.monthly = self.firm[keep], self.monthly[keep]
        self.public_monthly, self.end = self.public_monthly[keep], self.end[keep]
        return out

    def by_firm(self, n_firms: int) -> np.ndarray:
        """Contract revenue due to each firm row this month."""
        local = self.firm >= 0
        return np.bincount(self.firm[local], weights=self.monthly[local], minlength=n_firms)[
            :n_firms
        ]


def grow_demand(m: ClusterSim) -> None:
    """Firms' markets grow; finished contracts leave demand; policies release projects."""
    p = m.params
    d = p.demand
    rng = m.stream("demand")
    f = m.firms
    n = f.n
    size = np.maximum(m.firm_size_people(), 1.0)
    young = (m.month - f.born[:n]) < d.young_months
    sigma = np.clip(
        d.idiosyncratic_sigma
        * (size / d.reference_firm_people) ** (-d.size_elasticity_of_sigma)
        * np.where(young, d.young_sigma_multiplier, 1.0),
        d.sigma_min,
        d.sigma_max,
    )
    sector_shock = rng.normal(0.0, d.sector_sigma, m.n_sectors)
    eps = rng.standard_normal(n)
    sector = f.sector[:n]
    trend = np.log1p(m.sector_growth) / 12  # per sector, then looked up: log1p once a sector
    drift = trend[sector] - sigma**2 / 2 + sector_shock[sector]
    f.demand[:n] *= np.exp(np.where(f.alive[:n], drift + sigma * eps, 0.0))

    expired_firm, expired_value = m.contracts.close_expired(m.month)
    local = expired_firm >= 0
    np.add.at(
        f.demand, expired_firm[local], expired_value[local] * p.scenarios.lasting_demand_share
    )
    m.policies.run("demand")
    f.contract[:n] = m.contracts.by_firm(n)
