"""5. Entry: local start-ups and spin-offs, inbound firms, and the firms policies bring.

Local entry is in proportion to the workforce (``entry.spinoff_rate``). Inbound firms (branches,
relocations) arrive at ``entry.inbound_base`` a month, more when the city's parks are more
attractive to settlers: the lift of the logit inclusive value of its parks that rent relief
gives (``entry.inbound_logsum_weight``). Then each policy kind's ``entry`` hook (leading
enterprises and their followers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr, ndtri

from sim.month.draws import firm_pay_and_costs, firm_productivity
from sim.month.location import choose_parks, park_utility, settler_utility
from sim.month.parks import park_open
from sim.state import FirmKind

if TYPE_CHECKING:
    from sim.model import ClusterModel


def spawn_firms(
    m: ClusterModel,
    expected: float,
    size_median: float,
    size_sigma: float,
    kind: FirmKind,
    rng: np.random.Generator,
    park: int | None = None,
    sector: int | None = None,
    own_sector_share: float = 1.0,
    force_weight_one: bool = False,
) -> float:
    """Create entrants: ``expected`` real firms on average; return the real firms created.

    Firms that will be at least ``scale x resolve_min_agents`` people enter one to one; smaller
    ones enter one in ``scale`` with weight ``scale``, as in the initial state. An entrant has
    no staff yet: it hires towards its target size from next month.
    """
    p = m.params
    k = m.scale
    mu = np.log(size_median)
    if force_weight_one:
        cut = 0.0
        n_big, n_small = int(rng.poisson(expected)), 0
    else:
        z = (np.log(k * p.firms.resolve_min_agents) - mu) / max(size_sigma, 1e-9)
        cut = float(ndtr(z))
        n_big = int(rng.poisson(expected * (1 - cut)))
        n_small = int(rng.poisson(expected * cut / k))
    total = n_big + n_small
    if total == 0:
        return 0.0
    u = np.concatenate([cut + (1 - cut) * rng.random(n_big), cut * rng.random(n_small)]).clip(
        1e-12, 1 - 1e-12
    )
    target = np.maximum(1.0, np.exp(mu + size_sigma * ndtri(u)))
    weight = np.concatenate([np.ones(n_big), np.full(n_small, float(k))])
    if sector is None:
        secs = rng.choice(m.n_sectors, size=total, p=m.sector_share)
    else:
        own = rng.random(total) < own_sector_share
        secs = np.where(own, sector, rng.choice(m.n_sectors, size=total, p=m.sector_share))
    if park is not None:
        parks = np.full(total, park)
    else:
        parks = choose_parks(m, secs, target, weight * target * p.economy.m2_per_worker, rng)
    prod = firm_productivity(m, secs, rng)
    wage_premium, other = firm_pay_and_costs(m, total, rng)
    prod_now = prod * m.parks.productivity[parks] * m.productivity_index
    monthly_cost = (
        target * (m.wage_index * wage_premium + p.economy.m2_per_worker * m.parks.rent[parks])
        + other * target * prod_now
    )
    rows = m.firms.append(
        total,
        alive=True,
        weight=weight,
        park=parks,
        sector=secs,
        kind=kind,
        born=m.month,
        settled=m.month,
        staff=0,
        productivity=prod,
        wage_premium=wage_premium,
        other_cost_share=other,
        demand=target * prod_now * (1 + p.init.demand_slack),
        contract=0.0,
        revenue=0.0,
        trailing_revenue=0.0,
        cash=p.init.cash_months * monthly_cost,
    )
    m.firms.revenue_history[rows] = 0.0
    return float(weight.sum())


def enter_firms(m: ClusterModel) -> None:
    """New firms enter: local, inbound, then those the policies bring."""
    p = m.params
    rng = m.stream("entry")
    e = p.entry
    created = 0.0
    local = e.spinoff_rate * m.workforce / 1000.0
    created += spawn_firms(m, local, e.local_size_median, e.local_size_sigma, FirmKind.LOCAL, rng)

    small = m.parks.constant[0][:, None]  # most inbound firms are small
    with_policy = settler_utility(m) + small
    without = park_utility(m) + small
    is_open = park_open(m)[:, None]
    logsum = np.log(np.sum(np.where(is_open, np.exp(with_policy), 0.0), axis=0))
    logsum0 = np.log(np.sum(np.where(is_open, np.exp(without), 0.0), axis=0))
    lift = float(np.sum(m.sector_share * (logsum - logsum0)))
    inbound = e.inbound_base * np.exp(e.inbound_logsum_weight * lift)
    created += spawn_firms(
        m, inbound, e.inbound_size_median, e.inbound_size_sigma, FirmKind.INBOUND, rng
    )
    created += m.policies.total("entry", rng)
    m.month_flows["firm_entries"] = created
