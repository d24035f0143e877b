"""The initial state: the January-2021 cluster of firms in parks and sectors, and its workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.month.draws import firm_pay_and_costs, firm_productivity, stochastic_round
from sim.month.entry import branch_booked_revenue
from sim.month.location import calibrate_park_constants
from sim.month.normal import normal_quantile
from sim.month.parks import occupied_area
from sim.month.ramp import add_shortfall
from sim.state import (
    NEVER_ARRIVED,
    TRAILING_MONTHS,
    FirmKind,
    WorkerStatus,
    twelve_month_totals,
)

if TYPE_CHECKING:
    from sim.core import ClusterSim


def populate(m: ClusterSim) -> None:
    """Build the Jan-2021 cluster: firms in parks and sectors, their staff, and job seekers.

    Established firms' sizes are drawn from a Pareto of exponent ``init.body_exponent`` from
    the smallest firm up (the official counts of firms by revenue class fall off as a power
    law from 5 m yuan up), or, with that exponent 0, from a lognormal body with a Pareto upper
    tail (the largest ``init.tail_share`` of them: firm sizes are close to Zipf at the top,
    Axtell 2001),
    micro-firms' (``init.micro_firms_jan_2021``) as micro entrants'; firms of
    at least ``scale x resolve_min_agents`` people are kept one to one, smaller ones are sampled
    one in ``scale`` with weight ``scale``.
    Established sizes are rescaled so the workforce is exactly ``init.workforce_jan_2021``;
    productivities so
    that revenue shares of parks are the stated/assumed 2021 shares and the city's revenue per
    person is ``init.productivity_yuan_per_person_month``. Young parks (the Science City's, set
    up in 2020) hold recent arrivals only: entrant-sized firms at the city's productivity.
    """
    p = m.params
    rng = m.stream("init")
    k = m.scale
    w0 = p.init.workforce_jan_2021
    f0 = int(p.init.firms_jan_2021)
    cap = w0 * p.init.max_firm_share
    if p.init.body_exponent > 0:  # a heavy-tailed body: Pareto from the smallest firm up
        sizes = pareto_body(rng.random(f0), w0 / f0, p.init.body_exponent, cap)
    else:  # a lognormal body with a Pareto top
        sigma = p.init.firm_size_sigma
        median = w0 / f0 * np.exp(-(sigma**2) / 2)
        sizes = np.maximum(1.0, rng.lognormal(np.log(median), sigma, f0))
        sizes = pareto_tail(sizes, median, sigma, rng, p.init.tail_share, p.init.tail_exponent, cap)
    # Micro-firms (one to a few people) besides: most firms by number, few of the workforce.
    e = p.entry
    n_micro = int(p.init.micro_firms_jan_2021)
    micro_sizes = np.maximum(
        1.0, rng.lognormal(np.log(e.micro_size_median), e.micro_size_sigma, n_micro)
    )
    # Branches of national groups that settled before 2021: the stock the branch process
    # (entry.branch_rate) left over init.branch_stock_years, with the revenue it books.
    booked = branch_stock(m, rng)
    branch_people = np.maximum(
        1.0, booked / 12 / (p.init.productivity_yuan_per_person_month * e.branch_productivity)
    )
    sizes = np.concatenate([sizes, micro_sizes, branch_people])
    is_micro = (np.arange(sizes.size) >= f0) & (np.arange(sizes.size) < f0 + n_micro)
    is_branch = np.arange(sizes.size) >= f0 + n_micro
    threshold = k * p.firms.resolve_min_agents
    big = (sizes >= threshold) | is_branch  # each branch is kept: one giant is not a sample
    keep = big | (rng.random(sizes.size) < 1.0 / k)
    sizes, big, is_micro, is_branch = sizes[keep], big[keep], is_micro[keep], is_branch[keep]
    weight = np.where(big, 1.0, float(k))
    fixed_people = np.sum(weight * sizes * (is_micro | is_branch))
    established = ~is_micro & ~is_branch
    sizes[established] *= (w0 - fixed_people) / np.sum((weight * sizes)[established])
    n = sizes.size

    # Parks: the largest firms go where revenue is most short of its 2021 share, the rest by
    # each park's share of firms. Young parks (set up in the last year or two) hold only recent
    # arrivals: their firms have the size of entrants, and their revenue share is what those
    # firms earn at the city's productivity (the share they free goes to firms outside parks).
    young = m.parks.young
    outside = np.array([pk.batch == "outside" for pk in p.parks])
    rev_share = np.array([pk.revenue_share_2021 for pk in p.parks])
    rev_share = rev_share / rev_share.sum()
    firm_share = np.array([pk.firm_share_2021 for pk in p.parks])
    firm_share = firm_share / firm_share.sum()
    park = rng.choice(m.n_parks, size=n, p=firm_share)
    order = np.argsort(-sizes * weight, kind="stable")
    heavy = order[((sizes * weight)[order] > p.init.heavy_firm_share * w0) | is_branch[order]]
    assigned = np.zeros(m.n_parks)
    shortfall_target = np.where(young | m.parks.founded_later, -np.inf, rev_share * w0)
    for row in heavy.tolist():  # the few dozen largest firms, one by one
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

    # Sectors: the city's shares, tilted towards each park's focus sectors.
    tilt = np.where(m.parks.focus, p.init.focus_sector_tilt, 1.0) * m.sector_share
    tilt /= tilt.sum(axis=1, keepdims=True)
    cum = np.cumsum(tilt, axis=1)
    sector = (rng.random(n)[:, None] > cum[park]).sum(axis=1).clip(0, m.n_sectors - 1)

    # Firm productivity: sector x idiosyncratic. Park productivity: one factor per park, set so
    # that 2021 revenue shares of parks are the stated/assumed ones and the city's revenue per
    # person is the calibrated one. It belongs to the place: entrants and movers get it too.
    prod = firm_productivity(m, sector, rng) * np.where(is_micro, e.micro_productivity, 1.0)
    # a branch earns what it books: its revenue per person is the branch process's
    prod[is_branch] = p.init.productivity_yuan_per_person_month * e.branch_productivity
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
    m.parks.productivity = park_factor

    agents = np.maximum(1, stochastic_round(sizes * weight / k, rng))
    wage_premium, other = firm_pay_and_costs(m, n, rng)
    size_people = agents * k / weight
    capacity = size_people * prod * m.parks.productivity[park]
    monthly_cost = (
        size_people * p.economy.wage_2021_yuan_month * wage_premium
        + other * capacity
        + size_people * p.economy.m2_per_worker * m.parks.rent[park]
    )
    oldest = int(p.init.max_firm_age_months)
    age = rng.integers(1, oldest + 1, n)
    age[in_young] = rng.integers(1, p.init.young_park_months + 1, int(in_young.sum()))
    f = m.firms
    rows = f.append(
        n,
        alive=True,
        weight=weight,
        park=park,
        sector=sector,
        kind=np.select([is_micro, is_branch], [FirmKind.MICRO, FirmKind.BRANCH], FirmKind.INITIAL),
        born=-age,
        settled=-rng.integers(1, oldest + 1, n).clip(max=age),
        staff=agents,
        productivity=prod,
        wage_premium=wage_premium,
        other_cost_share=other,
        demand=capacity * (1 + p.init.demand_slack),
        cash=np.where(is_micro, e.micro_cash_months, p.init.cash_months) * monthly_cost,
        operated=True,
    )
    growth = float(np.sum(m.sector_share * m.sector_growth))  # the market's growth before 2021
    back = (1 + growth) ** (-(np.arange(TRAILING_MONTHS)[::-1] + 1) / 12)
    f.revenue_by_month[:, rows] = back[:, None] * capacity[None, :]
    f.trailing_revenue[rows] = twelve_month_totals(f.revenue_by_month[:, rows])

    occupied = occupied_area(m)
    occupancy = np.array([pk.occupancy_2021 for pk in p.parks])
    m.parks.area = occupied / occupancy
    m.parks.occupied = occupied
    calibrate_park_constants(m)

    employer = np.repeat(rows, agents)
    seekers = round(w0 * p.init.job_seekers_share / k)
    total = employer.size + seekers
    # Tenure with the current employer: the stationary spread under quits at labour.quit_rate;
    # with no quits at all, everyone has been there since the firm was founded.
    # time in the job: geometric at the quit rate, never longer than the firm has existed
    firm_age = -m.firms.born[employer]
    if p.labour.quit_rate > 0:
        tenure = np.minimum(rng.geometric(p.labour.quit_rate, employer.size), firm_age)
    else:
        tenure = firm_age
    rows = m.workers.add(
        total,
        status=np.concatenate(
            [
                np.full(employer.size, WorkerStatus.EMPLOYED, np.int8),
                np.full(seekers, WorkerStatus.SEEKING, np.int8),
            ]
        ),
        employer=np.concatenate([employer, np.full(seekers, -1)]),
        family=rng.random(total) < p.migration.family_share,
        hired=np.concatenate([-tenure, np.full(seekers, NEVER_ARRIVED)]).astype(np.int32),
        outside_hukou=rng.random(total) < p.init.outside_hukou_share,
        practitioner=True,
    )
    add_shortfall(m, rows[: employer.size], employer, +1)


def branch_stock(m: ClusterSim, rng: np.random.Generator) -> np.ndarray:
    """Yearly revenue (yuan) booked by the branches of national groups present in Jan 2021.

    The same arrival process as after 2021 (``entry.branch_rate`` a year, booked revenue from
    :func:`~sim.month.entry.branch_booked_revenue`), run over ``init.branch_stock_years``
    before 2021: the stock it leaves, net of departures.
    """
    e = m.params.entry
    count = int(rng.poisson(e.branch_rate * m.params.init.branch_stock_years))
    return branch_booked_revenue(e, rng.random(count))


def capped_pareto_mean(smallest: float, exponent: float, cap: float) -> float:
    """Mean of ``min(X, cap)`` for X Pareto of ``exponent`` from ``smallest``."""
    if smallest >= cap:
        return cap
    if abs(exponent - 1.0) < 1e-9:
        return smallest * (1.0 + np.log(cap / smallest))
    return smallest + smallest**exponent * (cap ** (1 - exponent) - smallest ** (1 - exponent)) / (
        1 - exponent
    )


def pareto_body(u: np.ndarray, mean: float, exponent: float, cap: float) -> np.ndarray:
    """Firm sizes (people) Pareto of ``exponent``, capped at ``cap``, with the given mean.

    ``u`` are uniforms, one per firm. The smallest size is the one that gives the mean (found by
    bisection); sizes are at least one person.
    """
    low, high = 1e-6, mean
    for _ in range(100):  # a scalar bisection: the mean rises with the smallest size
        mid = 0.5 * (low + high)
        if capped_pareto_mean(mid, exponent, cap) < mean:
            low = mid
        else:
            high = mid
    smallest = 0.5 * (low + high)
    return np.maximum(1.0, np.minimum(cap, smallest * u ** (-1.0 / exponent)))


def pareto_tail(
    sizes: np.ndarray,
    median: float,
    sigma: float,
    rng: np.random.Generator,
    share: float,
    exponent: float,
    cap: float,
) -> np.ndarray:
    """Firm sizes with a Pareto upper tail instead of the lognormal's thin one.

    The sizes above the body's (1 - ``share``) quantile are redrawn from a Pareto of
    ``exponent`` starting there, capped at ``cap`` people.
    """
    u = rng.random(sizes.size)
    if share <= 0:
        return sizes
    start = median * np.exp(sigma * normal_quantile(1 - share))
    tail = sizes >= start
    out = sizes.copy()
    out[tail] = np.minimum(cap, start * u[tail] ** (-1 / exponent))
    return out
