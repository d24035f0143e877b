"""The month's rules, each a vectorised pass over the model's arrays.

Every function here takes the model and changes its state for the current month. No function
loops in Python over workers; loops run over parks, sectors or policies (a handful each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr, ndtri

from sim.state import EMPLOYED, GONE, SEEKING

if TYPE_CHECKING:
    from sim.model import ClusterModel


def stochastic_round(values: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """Round to integers up or down at random so that the expectation is unchanged."""
    values = np.asarray(values, dtype=float)
    low = np.floor(values)
    return (low + (rng.random(values.shape) < (values - low))).astype(np.int64)


class ContractBook:
    """Application-scenario contracts being delivered: firm row, yuan per month, last month."""

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


# ---------------------------------------------------------------------------------------------
# Initial state


def _lognormal_mean_one(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    return rng.lognormal(-(sigma**2) / 2, sigma, size)


def populate(m: ClusterModel) -> None:
    """Build the Jan-2021 cluster: firms in parks and sectors, their staff, and job seekers.

    Firm sizes are drawn from a lognormal; firms of at least ``scale x resolve_min_agents``
    people are kept one to one, smaller ones are sampled one in ``scale`` with weight ``scale``.
    Sizes are rescaled so the workforce is exactly ``init.workforce_jan_2021``; productivities so
    that revenue shares of parks are the stated/assumed 2021 shares and the city's revenue per
    person is ``init.productivity_yuan_per_person_month``. Young parks (the Science City's, set
    up in 2020) hold recent arrivals only: entrant-sized firms at the city's productivity.
    """
    p = m.params
    rng = m.stream("init")
    k = m.scale
    w0 = p.init.workforce_jan_2021
    f0 = int(p.init.firms_jan_2021)
    sigma = p.init.firm_size_sigma
    median = w0 / f0 * np.exp(-(sigma**2) / 2)
    sizes = np.maximum(1.0, rng.lognormal(np.log(median), sigma, f0))
    threshold = k * p.firms.resolve_min_agents
    big = sizes >= threshold
    keep = big | (rng.random(f0) < 1.0 / k)
    sizes, big = sizes[keep], big[keep]
    weight = np.where(big, 1.0, float(k))
    sizes *= w0 / np.sum(weight * sizes)
    n = sizes.size

    # Parks: the largest firms go where revenue is most short of its 2021 share, the rest by
    # each park's share of firms. Young parks (set up in the last year or two) hold only recent
    # arrivals: their firms have the size of entrants, and their revenue share is what those
    # firms earn at the city's productivity (the share they free goes to firms outside parks).
    young = np.array([pk.young for pk in p.parks])
    outside = np.array([pk.batch == "outside" for pk in p.parks])
    rev_share = np.array([pk.revenue_share_2021 for pk in p.parks])
    rev_share = rev_share / rev_share.sum()
    firm_share = np.array([pk.firm_share_2021 for pk in p.parks])
    firm_share = firm_share / firm_share.sum()
    park = rng.choice(m.n_parks, size=n, p=firm_share)
    order = np.argsort(-sizes * weight, kind="stable")
    heavy = order[(sizes * weight)[order] > 0.002 * w0]
    assigned = np.zeros(m.n_parks)
    shortfall_target = np.where(young, -np.inf, rev_share * w0)
    for row in heavy.tolist():
        target = int(np.argmax(shortfall_target - assigned))
        park[row] = target
        assigned[target] += sizes[row] * weight[row]
    in_young = young[park]
    if in_young.any():
        entrant = np.maximum(
            1.0,
            rng.lognormal(
                np.log(p.entry.local_size_median), p.entry.local_size_sigma, int(in_young.sum())
            ),
        )
        sizes[in_young] = entrant
        sizes *= w0 / np.sum(weight * sizes)

    # Sectors: the city's shares, tilted 3:1 towards each park's focus sectors.
    tilt = np.where(m.park_focus, 3.0, 1.0) * m.sector_share
    tilt /= tilt.sum(axis=1, keepdims=True)
    cum = np.cumsum(tilt, axis=1)
    sector = (rng.random(n)[:, None] > cum[park]).sum(axis=1).clip(0, m.n_sectors - 1)

    # Firm productivity: sector x idiosyncratic. Park productivity: one factor per park, set so
    # that 2021 revenue shares of parks are the stated/assumed ones and the city's revenue per
    # person is the calibrated one. It belongs to the place: entrants and movers get it too.
    prod = (
        p.init.productivity_yuan_per_person_month
        * m.sector_productivity[sector]
        * _lognormal_mean_one(rng, p.init.productivity_sigma, n)
    )
    people_rev = weight * sizes * prod
    realised = np.bincount(park, weights=people_rev, minlength=m.n_parks)
    if young.any():  # young parks earn at the city's productivity; outside parks take the rest
        young_share = realised[young] / realised.sum()
        rev_share = rev_share.copy()
        freed = rev_share[young].sum() - young_share.sum()
        rev_share[young] = young_share
        rev_share[outside] += freed * rev_share[outside] / rev_share[outside].sum()
    park_factor = np.where(
        realised > 0, rev_share / np.maximum(realised / realised.sum(), 1e-12), 1.0
    )
    park_factor *= (
        p.init.productivity_yuan_per_person_month * w0 / np.sum(people_rev * park_factor[park])
    )
    m.park_productivity = park_factor

    agents = np.maximum(1, stochastic_round(sizes * weight / k, rng))
    wage_premium = _lognormal_mean_one(rng, p.economy.wage_sigma, n)
    other = np.clip(
        rng.normal(p.economy.other_cost_share_mean, p.economy.other_cost_share_sd, n), 0, 0.97
    )
    size_people = agents * k / weight
    capacity = size_people * prod * m.park_productivity[park]
    monthly_cost = (
        size_people * p.economy.wage_2021_yuan_month * wage_premium
        + other * capacity
        + size_people * p.economy.m2_per_worker * m.park_rent[park]
    )
    age = rng.integers(1, 121, n)
    age[in_young] = rng.integers(1, p.init.young_park_months + 1, int(in_young.sum()))
    f = m.firms
    rows = f.append(
        n,
        alive=True,
        weight=weight,
        park=park,
        sector=sector,
        kind=0,
        born=-age,
        settled=-rng.integers(1, 121, n).clip(max=age),
        staff=agents,
        productivity=prod,
        wage_premium=wage_premium,
        other_cost_share=other,
        demand=capacity * (1 + p.init.demand_slack),
        cash=p.init.cash_months * monthly_cost,
    )
    growth = float(np.sum(m.sector_share * m.sector_growth))  # the market's growth before 2021
    back = (1 + growth) ** (-(np.arange(12)[::-1] + 1) / 12)
    f.revenue_history[rows] = capacity[:, None] * back[None, :]
    f.trailing_revenue[rows] = f.revenue_history[rows].sum(axis=1)
    m.add_firm_agents(rows)

    occupied = np.bincount(
        park, weights=weight * size_people * p.economy.m2_per_worker, minlength=m.n_parks
    )
    occupancy = np.array([pk.occupancy_2021 for pk in p.parks])
    m.park_area = occupied / occupancy
    m.park_occupied = occupied
    calibrate_park_constants(m)

    employer = np.repeat(rows, agents)
    seekers = round(w0 * p.init.job_seekers_share / k)
    total = employer.size + seekers
    m.workers.add(
        total,
        status=np.concatenate(
            [np.full(employer.size, EMPLOYED, np.int8), np.full(seekers, SEEKING, np.int8)]
        ),
        employer=np.concatenate([employer, np.full(seekers, -1)]),
        family=rng.random(total) < p.migration.family_share,
    )


# ---------------------------------------------------------------------------------------------
# 1. Policy calendar


def apply_policy_calendar(m: ClusterModel) -> None:
    """Policies in force this month take effect; standing programme costs are booked.

    Rent discounts, subsidies, releases and arrivals are read from the active policies by the
    mechanisms below; here the costs that do not depend on take-up (school places) are booked.
    """
    p = m.params
    for pol in m.policies_of("talent"):
        if pol.active() and pol.spec.school_places_per_year > 0:
            m.book_cost("talent", pol.spec.school_places_per_year / 12 * p.costs.school_place_yuan)


# ---------------------------------------------------------------------------------------------
# 2. Parks


def park_occupied_area(m: ClusterModel) -> np.ndarray:
    """Office area (m²) used by the firms of each park."""
    f = m.firms
    n = f.n
    used = f.weight[:n] * m.firm_size_people() * m.params.economy.m2_per_worker * f.alive[:n]
    return np.bincount(f.park[:n], weights=used, minlength=m.n_parks)


def update_parks(m: ClusterModel) -> None:
    """Office space is delivered and rents adjust to occupancy.

    Space comes from office_supply policies and from developers where parks are nearly full;
    rents drift up where occupancy is above its natural level and down where below.
    """
    p = m.params.offices
    for pol in m.policies_of("office_supply"):
        area = pol.delivery_this_month()
        if area > 0:
            m.park_area[pol.parks] += area
            cost = pol.spec.cost_yuan_per_m2
            if cost is None:
                cost = m.params.costs.office_public_cost_yuan_per_m2
            m.book_cost("office_supply", area * len(pol.parks) * cost)
    m.park_occupied = park_occupied_area(m)
    if m.outside >= 0:  # the market outside parks has whatever space it needs
        m.park_area[m.outside] = (
            m.park_occupied[m.outside] / m.params.parks[m.outside].occupancy_2021
        )
    occupancy = m.park_occupied / np.maximum(m.park_area, 1.0)
    developing = m.park_in_park & (occupancy > p.developer_trigger)
    m.park_area[developing] *= 1 + p.developer_delivery
    adjust = np.exp(p.rent_adjustment / 12 * (occupancy - p.occupancy_target))
    m.park_rent = np.where(m.park_in_park, m.park_rent * adjust, m.park_rent)


# ---------------------------------------------------------------------------------------------
# 3. Demand and application scenarios


def grow_demand(m: ClusterModel) -> None:
    """Firms' markets grow and application scenarios are awarded.

    Each firm's demand grows with its sector, with sector-wide and firm-specific shocks (larger
    and older firms' demand is steadier). Scenarios released this month are won by firms able to
    deliver them; finished ones leave lasting demand behind.
    """
    p = m.params
    rng = m.stream("demand")
    f = m.firms
    n = f.n
    size = np.maximum(m.firm_size_people(), 1.0)
    young = (m.month - f.born[:n]) < p.demand.young_months
    sigma = np.clip(
        p.demand.idiosyncratic_sigma
        * (size / 10.0) ** (-p.demand.size_elasticity_of_sigma)
        * np.where(young, p.demand.young_sigma_multiplier, 1.0),
        0.005,
        0.5,
    )
    sector_shock = rng.normal(0.0, p.demand.sector_sigma, m.n_sectors)
    eps = rng.standard_normal(n)
    sector = f.sector[:n]
    growth = m.sector_growth[sector] * p.demand.growth_scale
    drift = np.log1p(growth) / 12 - sigma**2 / 2 + sector_shock[sector]
    f.demand[:n] *= np.exp(np.where(f.alive[:n], drift + sigma * eps, 0.0))

    expired_firm, expired_value = m.contracts.close_expired(m.month)
    local = expired_firm >= 0
    np.add.at(
        f.demand, expired_firm[local], expired_value[local] * p.scenarios.lasting_demand_share
    )
    released = 0
    for pol in m.policies_of("application_scenarios"):
        count = pol.releases_this_month()
        if count:
            award_scenarios(m, pol, count)
            released += count
    m.month_flows["application_scenarios_released"] = released
    public = m.contracts.public_monthly.sum()
    if public:
        m.book_cost("application_scenarios", public)
    f.contract[:n] = m.contracts.by_firm(n)


def award_scenarios(m: ClusterModel, pol, count: int) -> None:
    """Award ``count`` projects: a sector for each, then a capable firm in it (odds by size)."""
    p = m.params
    rng = m.stream("scenarios")
    f = m.firms
    n = f.n
    value = pol.spec.value_m_yuan * 1e6
    months = int(p.scenarios.contract_months)
    weights = m.sector_share * pol.sector_mask
    sectors = rng.choice(m.n_sectors, size=count, p=weights / weights.sum())
    won_locally = rng.random(count) < p.scenarios.local_share
    size = m.firm_size_people()
    able = f.alive[:n] & (size >= p.scenarios.min_staff_to_deliver)
    winners = np.full(count, -1, dtype=np.int64)
    for s in np.unique(sectors[won_locally]).tolist():
        slots = np.flatnonzero(won_locally & (sectors == s))
        cands = np.flatnonzero(able & (f.sector[:n] == s))
        if cands.size == 0:
            continue
        odds = f.weight[cands] * size[cands]
        winners[slots] = rng.choice(cands, size=slots.size, p=odds / odds.sum())
    # A firm agent standing for w firms gets 1/w of the contract (one of its w firms won it).
    per_agent = np.where(winners >= 0, value / months / f.weight[np.maximum(winners, 0)], 0.0)
    public = np.full(count, value / months * p.scenarios.public_share)
    m.contracts.add(winners, per_agent, public, m.month + months - 1)


# ---------------------------------------------------------------------------------------------
# 4. Firms


def rent_discount(m: ClusterModel) -> np.ndarray:
    """Share of each firm's rent paid by rent-reduction policies (the best one applies)."""
    out = np.zeros(m.firms.n)
    for pol in m.policies_of("rent_reduction"):
        out = np.maximum(out, pol.firm_discount())
    return out


def operate_firms(m: ClusterModel) -> None:
    """Firms produce, pay, exit, relocate and plan.

    Firms sell what their staff can deliver up to their demand, pay wages, rent and other costs,
    collect scale-up awards, exit when cash runs out, when their market no longer supports one
    person, or when they never staff up, may relocate, and plan hiring or lay-offs. Movers and
    hiring only take office space a park has free below ``offices.full_occupancy``, so no park
    is ever fuller than that (see :func:`relocate_firms` and :func:`fit_in_parks`).
    """
    p = m.params
    rng = m.stream("firms")
    f = m.firms
    n = f.n
    alive = f.alive[:n]
    size = m.firm_size_people()
    prod_now = m.firm_productivity()
    capacity = size * prod_now
    wanted = f.demand[:n] + f.contract[:n]
    revenue = np.where(alive, np.minimum(wanted, capacity), 0.0)
    f.revenue[:n] = revenue

    full_rent = size * p.economy.m2_per_worker * m.park_rent[f.park[:n]]
    discount = rent_discount(m)
    m.book_cost("rent_reduction", np.sum(f.weight[:n] * full_rent * discount * alive))
    profit = (
        revenue * (1 - f.other_cost_share[:n]) - size * m.firm_wage() - full_rent * (1 - discount)
    )
    f.profit[:n] = np.where(alive, profit, 0.0)
    f.cash[:n] += f.profit[:n]
    f.revenue_history[:n, m.month % 12] = revenue
    f.trailing_revenue[:n] = f.revenue_history[:n].sum(axis=1)

    for pol in m.policies_of("scale_up_awards"):
        due = pol.awards_due()
        if due.any():
            f.cash[:n] += due
            f.demand[:n] += due * p.awards.revenue_per_award_yuan / 12
            m.book_cost("scale_up_awards", np.sum(f.weight[:n] * due))

    age = m.month - f.born[:n]
    exiting = alive & (
        (f.cash[:n] < 0)
        | (wanted < p.demand.min_viable_staff * prod_now)
        | ((f.staff[:n] == 0) & (age >= 6))
    )
    exit_rows = np.flatnonzero(exiting)
    f.alive[exit_rows] = False
    f.died[exit_rows] = m.month
    f.vacancies[:n] = 0
    f.layoff_share[:n] = 0.0
    m.month_flows["firm_exits"] = float(f.weight[exit_rows].sum())
    m.remove_firm_agents(exit_rows)
    alive = f.alive[:n]
    moved_in = relocate_firms(m)

    desired = wanted / prod_now
    gap = desired - size
    hires = np.where(alive & (gap > 0), gap * p.firms.hiring_speed, 0.0)
    # Expansion in place needs free office space in the park: what is left below full occupancy
    # once this month's movers are in (the space a mover leaves is let again next month).
    need = np.bincount(
        f.park[:n], weights=f.weight[:n] * hires * p.economy.m2_per_worker, minlength=m.n_parks
    )
    free = np.maximum(0.0, p.offices.full_occupancy * m.park_area - m.park_occupied - moved_in)
    room = np.where(
        m.park_in_park & (need > 0), np.minimum(1.0, free / np.maximum(need, 1e-9)), 1.0
    )
    hires *= room[f.park[:n]]
    vacancies = stochastic_round(hires * f.weight[:n] / m.scale, rng)
    # Rounding to whole worker agents must not take a park past its free room: where it would,
    # the park's firms (in random order) keep their vacancies while they fit.
    free_agents = np.where(m.park_in_park, np.floor(free / agent_area(m)), np.inf)
    vacancies = fit_in_parks(f.park[:n], vacancies, free_agents, rng.random(n), partial=True)
    f.vacancies[:n] = vacancies
    excess = np.where(alive & (gap < 0), -gap * p.firms.layoff_speed, 0.0)
    f.layoff_share[:n] = np.where(size > 0, np.clip(excess / np.maximum(size, 1e-9), 0, 1), 0.0)


def settler_discount(m: ClusterModel) -> np.ndarray:
    """Rent share a firm settling now would have paid for it, by (park, sector)."""
    discount = np.zeros((m.n_parks, m.n_sectors))
    for pol in m.policies_of("rent_reduction"):
        discount = np.maximum(discount, pol.settler_discount())
    return discount


def park_utility(m: ClusterModel, discount: np.ndarray | None = None) -> np.ndarray:
    """Deterministic utility of each (park, sector) for a firm choosing where to be.

    The log of the park's floor area (bigger parks offer more sites), minus net rent (after the
    given rent discounts), plus the pull of the sector's relative concentration in the park
    (location quotient) and of the park's focus sectors. Choosers add the park constant of their
    size class (:func:`calibrate_park_constants`).
    """
    p = m.params.firms
    f = m.firms
    n = f.n
    net_rent = m.park_rent[:, None] * (1 - (0.0 if discount is None else discount))
    heads = f.weight[:n] * m.firm_size_people() * f.alive[:n]
    by_cell = np.zeros((m.n_parks, m.n_sectors))
    np.add.at(by_cell, (f.park[:n], f.sector[:n]), heads)
    in_park = by_cell / np.maximum(by_cell.sum(axis=1, keepdims=True), 1.0)
    in_city = by_cell.sum(axis=0) / max(by_cell.sum(), 1.0)
    quotient = (in_park + 0.01) / (in_city[None, :] + 0.01)
    return (
        np.log(np.maximum(m.park_area, 1.0))[:, None]
        - p.rent_utility_per_yuan * net_rent
        + p.agglomeration_utility * np.log(quotient)
        + p.focus_utility * m.park_focus
    )


def size_class(m: ClusterModel, people: np.ndarray) -> np.ndarray:
    """0 for small firms, 1 for large ones (at least ``firms.large_firm_people``)."""
    return (people >= m.params.firms.large_firm_people).astype(np.int64)


def calibrate_park_constants(m: ClusterModel, iterations: int = 50) -> None:
    """Calibrate the park constants of the location choice, one set per size class.

    Each constant is set so that, at 2021 rents and without policy, firms of a size class that
    choose a park spread over parks as that class does in the 2021 stock (large firms are
    concentrated in the first-batch parks, which hold ~70% of revenue).
    """
    f = m.firms
    n = f.n
    cls = size_class(m, m.firm_size_people())
    m.park_constant = np.zeros((2, m.n_parks))
    for c in (0, 1):
        mine = f.alive[:n] & (cls == c)
        if not mine.any():
            continue
        target = np.bincount(f.park[:n][mine], weights=f.weight[:n][mine], minlength=m.n_parks)
        target = (target + 1e-3) / (target + 1e-3).sum()
        sectors = np.bincount(f.sector[:n][mine], weights=f.weight[:n][mine], minlength=m.n_sectors)
        sectors = sectors / sectors.sum()
        for _ in range(iterations):
            utility = park_utility(m) + m.park_constant[c][:, None]
            prob = np.exp(utility - utility.max(axis=0, keepdims=True))
            prob /= prob.sum(axis=0, keepdims=True)
            m.park_constant[c] += np.log(target) - np.log(prob @ sectors)


def park_room(m: ClusterModel) -> np.ndarray:
    """Office area (m²) each park can still let; unlimited outside any park."""
    free = m.params.offices.full_occupancy * m.park_area - m.park_occupied
    return np.where(m.park_in_park, np.maximum(free, 0.0), np.inf)


def agent_area(m: ClusterModel) -> float:
    """Office area (m²) one worker agent occupies: ``scale`` people at ``m2_per_worker`` each."""
    return m.scale * m.params.economy.m2_per_worker


def fit_in_parks(
    park: np.ndarray, amount: np.ndarray, room: np.ndarray, order: np.ndarray, partial: bool
) -> np.ndarray:
    """Grant claims on parks' room in a given order within each park, while they fit.

    Args:
        park: the park each claim is on.
        amount: what each claim asks for (>= 0, in the unit of ``room``).
        room: what each park can still grant (``inf``: no limit).
        order: sort key of the claims within their park (e.g. uniform random draws).
        partial: grant the claim that no longer fits in full what is left (vacancies), or
            nothing (a firm moving in needs room for all its staff).

    Returns:
        The amount granted to each claim; within each park the grants sum to at most its room.

    """
    granted = np.array(amount)
    over = np.bincount(park, weights=granted, minlength=room.size) > room
    if not over.any():  # every claim fits
        return granted
    claims = np.flatnonzero(over[park])  # only parks asked for more than they have are rationed
    rank = claims[np.lexsort((order[claims], park[claims]))]
    asked = granted[rank].astype(float)
    cum = np.cumsum(asked)
    grp = park[rank]
    first = np.r_[True, grp[1:] != grp[:-1]]
    base = np.maximum.accumulate(np.where(first, cum - asked, 0.0))  # cum before each park
    ahead = cum - asked - base  # asked by the claims before this one in its park
    left = room[grp] - ahead
    if partial:
        got = np.clip(left, 0.0, asked)
    else:
        got = np.where((asked == 0) | (asked <= left), asked, 0.0)
    granted[rank] = got.astype(granted.dtype)
    return granted


def park_open(m: ClusterModel) -> np.ndarray:
    """Parks taking new tenants (not full); 'outside any park' always is."""
    occupancy = m.park_occupied / np.maximum(m.park_area, 1.0)
    return ~m.park_in_park | (occupancy < m.params.offices.full_occupancy)


def choose_parks(
    m: ClusterModel,
    sectors: np.ndarray,
    people: np.ndarray,
    area_needed: np.ndarray,
    rng: np.random.Generator,
    current: np.ndarray | None = None,
    current_discount: np.ndarray | None = None,
    room: np.ndarray | None = None,
) -> np.ndarray:
    """Logit choice of park for firms of the given sectors, among parks with room for them.

    Firms already in a park (``current``) keep the rent discount they have there
    (``current_discount``) if they stay, and pay the moving cost if they go. ``room`` is the
    area (m²) each park can still let (default :func:`park_room`).
    """
    constant = m.park_constant[size_class(m, people)]  # (firms, parks)
    utility = park_utility(m, settler_discount(m)).T[sectors] + constant
    room = park_room(m) if room is None else room
    fits = room[None, :] >= area_needed[:, None]
    if current is not None:
        stay = np.arange(m.n_parks)[None, :] == current[:, None]
        base = park_utility(m).T[sectors, current] + constant[np.arange(current.size), current]
        kept = m.params.firms.rent_utility_per_yuan * m.park_rent[current] * current_discount
        utility = np.where(stay, (base + kept)[:, None], utility)
        utility = utility - m.params.firms.moving_cost_utility * ~stay
        fits |= stay
    utility = np.where(fits, utility, -np.inf)
    return np.argmax(utility + rng.gumbel(size=utility.shape), axis=1)


def relocate_firms(m: ClusterModel) -> np.ndarray:
    """A few firms each month reconsider their location and may move to a better park.

    Firms move before they plan this month's hiring, and a mover needs room for its staff where
    it goes. A park's free area is shared among all of the month's movers into it: in random
    order, a mover is admitted while it still fits; one that no longer does stays where it is.

    Returns:
        The office area (m²) the admitted movers take in each park. Until next month their old
        park counts their space too.

    """
    f = m.firms
    n = f.n
    rng = m.stream("relocation")
    draws = rng.random(n)
    movers = np.flatnonzero(f.alive[:n] & (draws < m.params.firms.relocation_probability))
    if movers.size == 0:
        return np.zeros(m.n_parks)
    people = m.firm_size_people()[movers]
    unit = agent_area(m)
    current = f.park[movers].astype(np.int64)
    free_agents = np.floor(park_room(m) / unit)  # room in whole worker agents (inf outside)
    need = f.staff[movers]  # worker agents a mover brings
    new = choose_parks(
        m,
        f.sector[movers],
        people,
        need * unit,
        rng,
        current=current,
        current_discount=rent_discount(m)[movers],
        room=free_agents * unit,
    )
    going = np.flatnonzero(new != current)
    admitted = fit_in_parks(new[going], need[going], free_agents, rng.random(going.size), False)
    refused = going[admitted < need[going]]
    new[refused] = current[refused]
    moved = movers[new != current]
    f.park[moved] = new[new != current]
    f.settled[moved] = m.month
    m.month_flows["firm_relocations"] = float(f.weight[moved].sum())
    return np.bincount(new[going], weights=admitted * unit, minlength=m.n_parks)


# ---------------------------------------------------------------------------------------------
# 5. Entry


def spawn_firms(
    m: ClusterModel,
    expected: float,
    size_median: float,
    size_sigma: float,
    kind: int,
    rng: np.random.Generator,
    park: int | None = None,
    sector: int | None = None,
    own_sector_share: float = 1.0,
    force_weight_one: bool = False,
) -> float:
    """Create entrants: ``expected`` real firms on average; return the real firms created.

    Firms that will be at least ``scale x resolve_min_agents`` people enter one to one; smaller
    ones enter one in ``scale`` with weight ``scale``, as in the initial state.
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
    prod = (
        p.init.productivity_yuan_per_person_month
        * m.sector_productivity[secs]
        * _lognormal_mean_one(rng, p.init.productivity_sigma, total)
    )
    wage_premium = _lognormal_mean_one(rng, p.economy.wage_sigma, total)
    other = np.clip(
        rng.normal(p.economy.other_cost_share_mean, p.economy.other_cost_share_sd, total), 0, 0.97
    )
    prod_now = prod * m.park_productivity[parks] * m.productivity_index
    monthly_cost = (
        target * (m.wage_index * wage_premium + p.economy.m2_per_worker * m.park_rent[parks])
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
    m.add_firm_agents(rows)
    return float(weight.sum())


def enter_firms(m: ClusterModel) -> None:
    """New firms enter.

    Local start-ups and spin-offs (in proportion to the workforce); inbound firms (more when the
    city's parks are more attractive, e.g. with rent reductions); leading enterprises on the
    policy calendar, and the follower firms each leading enterprise draws.
    """
    p = m.params
    rng = m.stream("entry")
    e = p.entry
    created = 0.0
    local = e.spinoff_rate * m.workforce / 1000.0
    created += spawn_firms(m, local, e.local_size_median, e.local_size_sigma, 1, rng)

    small = m.park_constant[0][:, None]  # most inbound firms are small
    with_policy = park_utility(m, settler_discount(m)) + small
    without = park_utility(m) + small
    is_open = park_open(m)[:, None]
    logsum = np.log(np.sum(np.where(is_open, np.exp(with_policy), 0.0), axis=0))
    logsum0 = np.log(np.sum(np.where(is_open, np.exp(without), 0.0), axis=0))
    lift = float(np.sum(m.sector_share * (logsum - logsum0)))
    inbound = e.inbound_base * np.exp(e.inbound_logsum_weight * lift)
    created += spawn_firms(m, inbound, e.inbound_size_median, e.inbound_size_sigma, 2, rng)

    lead = p.leading
    for pol in m.policies_of("leading_enterprises"):
        anchors = pol.anchors_this_month()
        if anchors:
            staff = pol.spec.staff or lead.anchor_staff
            created += spawn_firms(
                m,
                anchors,
                staff,
                0.0,
                3,
                rng,
                park=pol.park,
                sector=pol.sector,
                force_weight_one=True,
            )
            subsidy = pol.spec.settlement_subsidy_m_yuan
            subsidy = p.costs.anchor_settlement_yuan if subsidy is None else subsidy * 1e6
            m.book_cost("leading_enterprises", anchors * subsidy)
        followers = pol.expected_followers()
        if followers > 0:
            created += spawn_firms(
                m,
                followers,
                lead.follower_size_median,
                lead.follower_size_sigma,
                4,
                rng,
                park=pol.park,
                sector=pol.sector,
                own_sector_share=lead.follower_sector_share,
            )
    m.month_flows["firm_entries"] = created


# ---------------------------------------------------------------------------------------------
# 6. Labour market


def match_labour(m: ClusterModel) -> None:
    """Separations, then matching of job seekers to vacancies.

    Workers of closed firms, those laid off and those who quit join the job seekers; seekers and
    vacancies then meet through a Cobb-Douglas matching function, and the local wage level drifts
    with the ratio of vacancies to seekers.
    """
    p = m.params.labour
    rng = m.stream("labour")
    w = m.workers
    f = m.firms
    n = w.n
    status = w.status[:n]
    employed = status == EMPLOYED
    # Per firm, the chance that one of its workers separates this month: everyone if the firm
    # closed, else its lay-off share plus the quit rate. (Employer -1 rows are masked out.)
    alive = f.alive[: f.n]
    firm_threshold = np.where(alive, f.layoff_share[: f.n] + p.quit_rate, 2.0)
    u = rng.random(n, dtype=np.float32)
    separated = employed & (u < firm_threshold[w.employer[:n]])
    status[separated] = SEEKING
    w.employer[:n][separated] = -1
    m.month_flows["separations"] = float(np.count_nonzero(separated) * m.scale)

    vac = np.where(f.alive[: f.n], f.vacancies[: f.n], 0)
    seekers = np.flatnonzero(status == SEEKING)
    v_total, u_total = int(vac.sum()), seekers.size
    m.tightness = (v_total + 1.0) / (u_total + 1.0)
    if v_total and u_total:
        flow = (
            p.matching_efficiency
            * v_total**p.matching_elasticity
            * u_total ** (1 - p.matching_elasticity)
        )
        matches = int(min(v_total, u_total, stochastic_round(flow, rng)))
        hired = rng.choice(seekers, size=matches, replace=False)
        # Which vacancies are filled: `matches` of the v_total slots, drawn without replacement
        # as counts per firm (multivariate hypergeometric), so no array of every slot is built
        # however many vacancies firms post. The seekers were drawn in random order.
        hiring = np.flatnonzero(vac)
        filled = rng.multivariate_hypergeometric(vac[hiring], matches, method="marginals")
        firms_hiring = np.repeat(hiring, filled)
        status[hired] = EMPLOYED
        w.employer[hired] = firms_hiring
    else:
        matches = 0
    m.vacancies_total = v_total - matches
    m.month_flows["hires"] = float(matches * m.scale)
    f.staff[: f.n] = m.employed_count()
    m.relative_wage = float(
        np.clip(
            m.relative_wage * np.exp(p.wage_tightness_response / 12 * np.log(m.tightness)), 0.5, 2.0
        )
    )


# ---------------------------------------------------------------------------------------------
# 7. Migration


def migrate(m: ClusterModel) -> None:
    """People arrive and leave.

    People weigh the city's wages and talent-policy benefits against outside options: migrants
    and local graduates arrive (more when jobs are plentiful and packages generous), trainees
    join from other occupations, and workers leave (fewer when they receive subsidies).
    """
    p = m.params
    mig = p.migration
    rng = m.stream("migration")
    w = m.workers
    n = w.n
    k = m.scale
    talent = [pol for pol in m.policies_of("talent") if pol.active()]
    wage = m.wage_index
    gain = sum(pol.arrival_gain(wage) for pol in talent)
    attraction = np.exp(mig.income_elasticity * (np.log(m.relative_wage) + gain))

    # Departures, with each eligible person's subsidy as part of what keeps them.
    status = w.status[:n]
    employed = status == EMPLOYED
    firm_wage = m.firm_wage()
    keep_factor = np.exp(-mig.income_elasticity * np.log(m.relative_wage))
    by_status = np.zeros(3)
    by_status[EMPLOYED] = mig.out_rate_employed * keep_factor
    by_status[SEEKING] = mig.out_rate_seeker * keep_factor
    threshold = by_status[status]
    for pol in talent:
        eligible = np.flatnonzero(pol.eligible_workers())
        wages = firm_wage[w.employer[eligible]]
        value = pol.monthly_value(wages)
        m.book_cost("talent", float(np.sum(value)) * k)
        net = wages * (1 - p.economy.income_tax_rate)
        threshold[eligible] *= (1 + value / net) ** -mig.income_elasticity
    leave = rng.random(n, dtype=np.float32) < threshold
    left_jobs = w.employer[:n][leave & employed]
    m.firms.staff[: m.firms.n] -= np.bincount(left_jobs, minlength=m.firms.n)[: m.firms.n]
    status[leave] = GONE
    w.employer[:n][leave] = -1
    m.month_flows["out_migrants"] = float(np.count_nonzero(leave) * k)

    # Arrivals.
    inflow = mig.in_base * attraction * m.tightness**mig.tightness_elasticity
    migrants = int(rng.poisson(inflow / k))
    calendar_month = (m.start_month + m.month) % 12 + 1
    graduates = 0
    if calendar_month == int(p.labour.graduate_month):
        stay = min(1.0, p.labour.graduate_stay_share * attraction)
        graduates = int(stochastic_round(p.labour.graduates_per_year * stay / k, rng))
    trainees_people = sum(pol.trainees_this_month() for pol in talent)
    trainees = int(stochastic_round(trainees_people / k, rng)) if trainees_people else 0
    if trainees_people:
        m.book_cost("talent", trainees_people * p.costs.training_place_yuan)
    for pol in talent:
        if pol.spec.resettlement_subsidy_yuan > 0:
            m.book_cost(
                "talent",
                (migrants + graduates) * k * pol.spec.resettlement_subsidy_yuan * pol.reach(),
            )
    total = migrants + graduates + trainees
    if total:
        arrived = np.full(total, m.month, dtype=np.int32)
        arrived[migrants + graduates :] = -(10**6)  # trainees are locals, not new talent
        w.add(
            total,
            status=SEEKING,
            employer=-1,
            arrived=arrived,
            family=rng.random(total) < mig.family_share,
        )
    m.month_flows["in_migrants"] = float(migrants * k)
    m.month_flows["graduates_entering"] = float(graduates * k)
    m.month_flows["trainees"] = float(trainees * k)

    if np.count_nonzero(w.status[: w.n] == GONE) > 0.3 * w.n:
        w.keep(w.status[: w.n] != GONE)
