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

from sim.month.draws import draw_from, firm_pay_and_costs, firm_productivity
from sim.month.location import choose_parks, park_utility, settler_utility, utilities_held
from sim.month.normal import normal_cdf, normal_quantile
from sim.month.parks import park_open
from sim.state import FirmKind

if TYPE_CHECKING:
    from sim.core import ClusterSim


def spawn_firms(
    m: ClusterSim,
    expected: float,
    size_median: float,
    size_sigma: float,
    kind: FirmKind,
    rng: np.random.Generator,
    park: int | None = None,
    sector: int | None = None,
    own_sector_share: float = 1.0,
    force_weight_one: bool = False,
    exact: bool = False,
    productivity_factor: float = 1.0,
    cash_months: float | None = None,
) -> float:
    """Create entrants: ``expected`` real firms on average; return the real firms created.

    Firms that will be at least ``scale x resolve_min_agents`` people enter one to one; smaller
    ones enter one in ``scale`` with weight ``scale``, as in the initial state. An entrant has
    no staff yet: it hires towards its target size from next month. ``exact``: create exactly
    ``expected`` firms (a schedule, not a rate); ``productivity_factor`` scales their revenue per
    person.
    """
    k = m.scale
    mu = np.log(size_median)
    if force_weight_one:
        cut = 0.0
        n_big = round(expected) if exact else int(rng.poisson(expected))
        n_small = 0
    else:
        z = (np.log(k * m.params.firms.resolve_min_agents) - mu) / max(size_sigma, 1e-9)
        cut = normal_cdf(z)
        n_big = int(rng.poisson(expected * (1 - cut)))
        n_small = int(rng.poisson(expected * cut / k))
    total = n_big + n_small
    if total == 0:
        return 0.0
    u = np.concatenate([cut + (1 - cut) * rng.random(n_big), cut * rng.random(n_small)]).clip(
        1e-12, 1 - 1e-12
    )
    target = np.maximum(1.0, np.exp(mu + size_sigma * normal_quantile(u)))
    weight = np.concatenate([np.ones(n_big), np.full(n_small, float(k))])
    return create_firms(
        m,
        target,
        weight,
        kind,
        rng,
        park=park,
        sector=sector,
        own_sector_share=own_sector_share,
        productivity_factor=productivity_factor,
        cash_months=cash_months,
    )


def create_firms(
    m: ClusterSim,
    target: np.ndarray,
    weight: np.ndarray,
    kind: FirmKind,
    rng: np.random.Generator,
    park: int | None = None,
    sector: int | None = None,
    own_sector_share: float = 1.0,
    productivity_factor: float = 1.0,
    cash_months: float | None = None,
    monthly_revenue: np.ndarray | None = None,
) -> float:
    """Add firm rows of the given target sizes (people) and weights; return real firms made.

    Each chooses a sector (the city's shares, or ``sector`` with ``own_sector_share``) and a
    park (the location choice, or ``park``), and draws its productivity, wage premium and other
    costs. Its demand is what its target staff can deliver (or ``monthly_revenue``: a booked
    revenue), with the usual slack.
    """
    p = m.params
    total = target.size
    if sector is None:
        secs = draw_from(rng, m.sector_cdf, total)
    else:
        own = rng.random(total) < own_sector_share
        secs = np.where(own, sector, draw_from(rng, m.sector_cdf, total))
    if park is not None:
        parks = np.full(total, park)
    else:
        parks = choose_parks(m, secs, target, weight * target * p.economy.m2_per_worker, rng)
    prod = firm_productivity(m, secs, rng) * productivity_factor
    wage_premium, other = firm_pay_and_costs(m, total, rng)
    prod_now = prod * m.parks.productivity[parks] * m.productivity_index
    monthly_cost = (
        target * (m.wage_index * wage_premium + p.economy.m2_per_worker * m.parks.rent[parks])
        + other * target * prod_now
    )
    demand = target * prod_now if monthly_revenue is None else monthly_revenue
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
        demand=demand * (1 + p.init.demand_slack),
        contract=0.0,
        revenue=0.0,
        trailing_revenue=0.0,
        cash=(p.init.cash_months if cash_months is None else cash_months) * monthly_cost,
        operated=False,
        effective=0.0,
    )
    m.firms.revenue_history[m.firms.n - rows.size : m.firms.n] = 0.0  # the rows just appended
    return float(weight.sum())


def branch_booked_revenue(entry, u: np.ndarray) -> np.ndarray:
    """Yearly revenue (yuan) a branch books: a Pareto above the modelled minimum, capped.

    ``u`` are uniform draws, one per branch; ``entry`` is the ``entry`` parameter group.
    """
    return (
        np.minimum(
            entry.branch_revenue_max_bn,
            entry.branch_revenue_min_bn * u ** (-1 / entry.branch_revenue_exponent),
        )
        * 1e9
    )


def spawn_branches(m: ClusterSim, rng: np.random.Generator) -> float:
    """Branches and regional headquarters of national groups, arriving with booked revenue.

    They arrive at ``entry.branch_rate`` a year; each books a yearly revenue from a Pareto of
    ``entry.branch_revenue_exponent`` above ``entry.branch_revenue_min_bn`` (capped at
    ``entry.branch_revenue_max_bn``), earns ``entry.branch_productivity`` times the city's
    revenue per person (revenue booked where the group settles, with few local staff), and
    hires the staff that revenue needs. Returns the firms made.
    """
    e = m.params.entry
    count = int(rng.poisson(e.branch_rate / 12))
    u = rng.random(count)
    if count == 0:
        return 0.0
    yearly = branch_booked_revenue(e, u)
    per_person = (
        m.params.init.productivity_yuan_per_person_month
        * e.branch_productivity
        * m.productivity_index
    )
    target = np.maximum(1.0, yearly / 12 / per_person)
    return create_firms(
        m,
        target,
        np.ones(count),
        FirmKind.BRANCH,
        rng,
        productivity_factor=e.branch_productivity,
        monthly_revenue=yearly / 12 / (1 + m.params.init.demand_slack),
    )


def enter_firms(m: ClusterSim) -> None:
    """New firms enter: local start-ups and micro-firms, inbound firms, branches, policies'.

    The month's registrations count them and the registered firms that never operate.
    """
    with utilities_held(m):  # entrants join with no staff: the parks' pull is the month's
        _enter_firms(m)


def _enter_firms(m: ClusterSim) -> None:
    """:func:`enter_firms` with the parks' utilities held."""
    p = m.params
    rng = m.stream("entry")
    e = p.entry
    created = 0.0
    workforce = m.workforce  # entrants have no staff yet: the same for every kind
    local = e.spinoff_rate * workforce / 1000.0
    created += spawn_firms(m, local, e.local_size_median, e.local_size_sigma, FirmKind.LOCAL, rng)
    micro = e.micro_rate * workforce / 1000.0
    created += spawn_firms(
        m,
        micro,
        e.micro_size_median,
        e.micro_size_sigma,
        FirmKind.MICRO,
        rng,
        productivity_factor=e.micro_productivity,
        cash_months=e.micro_cash_months,
    )

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
    # branches draw from a stream of their own: whether a giant arrives this month does not
    # depend on how many start-ups the month had, so scenarios compared on a seed share them
    created += spawn_branches(m, m.stream("branches"))
    created += m.policies.total("entry", rng)
    m.month_flows["firm_entries"] = created
    # Registrations also count the firms registered that never start operating (SAIC's 2017
    # survey: about 30% of new registrations were not operating a year later).
    shells = rng.poisson(created * e.never_operating_share / (1 - e.never_operating_share))
    m.month_flows["firm_registrations"] = created + float(shells)
