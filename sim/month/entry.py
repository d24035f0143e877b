"""5. Entry: local start-ups and spin-offs, inbound firms, and the firms policies bring.

Local entry is in proportion to the workforce (``entry.spinoff_rate``). Inbound firms (branches,
relocations) arrive at ``entry.inbound_base`` a month, more when the city's parks are more
attractive to settlers: the lift of the logit inclusive value of its parks that rent relief
gives (``entry.inbound_logsum_weight``). Then each policy kind's ``entry`` hook (leading
enterprises and their followers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.month.draws import firm_pay_and_costs, lognormal_mean_one, productivity_with_spread
from sim.month.location import choose_parks, park_utility, settler_utility, utilities_held
from sim.month.normal import normal_cdf, normal_quantile
from sim.month.parks import park_open
from sim.state import FirmKind

if TYPE_CHECKING:
    from sim.core import ClusterSim


@dataclass
class Entrants:
    """A group of entrants, drawn but not yet added (:func:`draw_entrants`, :func:`add_entrants`).

    The random draws are made when the group is drawn, in the order they always were; what
    follows from them (sector, park, costs) is computed when groups are added, several at once.
    """

    target: np.ndarray  # staff each is to reach (people)
    weight: np.ndarray  # real firms a row stands for
    kind: FirmKind
    sector_draw: np.ndarray  # uniform draws of the city's sector shares
    own_sector: np.ndarray | None  # True: in ``sector`` (when a sector is given)
    sector: int | None
    park: int | None
    gumbel: np.ndarray | None  # the location choice's draws (rows x parks), if it chooses
    spread: np.ndarray  # productivity spread (mean 1)
    wage_premium: np.ndarray
    other_cost_share: np.ndarray
    productivity_factor: float
    cash_months: float | None
    monthly_revenue: np.ndarray | None

    @property
    def firms(self) -> float:
        """Real firms in the group."""
        return float(self.weight.sum())


def draw_spawn(
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
) -> Entrants | None:
    """Draw entrants: ``expected`` real firms on average (None when none come).

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
        return None
    u = np.concatenate([cut + (1 - cut) * rng.random(n_big), cut * rng.random(n_small)]).clip(
        1e-12, 1 - 1e-12
    )
    target = np.maximum(1.0, np.exp(mu + size_sigma * normal_quantile(u)))
    weight = np.concatenate([np.ones(n_big), np.full(n_small, float(k))])
    return draw_entrants(
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


def spawn_firms(m: ClusterSim, expected: float, *args, **kwargs) -> float:
    """Create entrants (:func:`draw_spawn`'s arguments); return the real firms created."""
    group = draw_spawn(m, expected, *args, **kwargs)
    return 0.0 if group is None else add_entrants(m, [group])


def draw_entrants(
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
) -> Entrants:
    """The draws of firms of the given target sizes (people) and weights, to be added.

    Each chooses a sector (the city's shares, or ``sector`` with ``own_sector_share``) and a
    park (the location choice, or ``park``), and draws its productivity, wage premium and other
    costs. Its demand is what its target staff can deliver (or ``monthly_revenue``: a booked
    revenue), with the usual slack.
    """
    total = target.size
    own = None if sector is None else rng.random(total) < own_sector_share
    sector_draw = rng.random(total)  # (draw_from's uniforms)
    gumbel = None if park is not None else rng.gumbel(size=(total, m.n_parks))
    spread = lognormal_mean_one(rng, m.params.init.productivity_sigma, total)
    wage_premium, other = firm_pay_and_costs(m, total, rng)
    return Entrants(
        target=target,
        weight=weight,
        kind=kind,
        sector_draw=sector_draw,
        own_sector=own,
        sector=sector,
        park=park,
        gumbel=gumbel,
        spread=spread,
        wage_premium=wage_premium,
        other_cost_share=other,
        productivity_factor=productivity_factor,
        cash_months=cash_months,
        monthly_revenue=monthly_revenue,
    )


def create_firms(m: ClusterSim, target: np.ndarray, weight: np.ndarray, *args, **kwargs) -> float:
    """Add firms (:func:`draw_entrants`'s arguments) at once; return the real firms made."""
    return add_entrants(m, [draw_entrants(m, target, weight, *args, **kwargs)])


def _joined(groups: list[Entrants], name: str, per_row=None) -> np.ndarray:
    """A field of every group, one row per firm (``per_row``: a group's value for each row)."""
    if per_row is None:
        parts = [getattr(g, name) for g in groups]
    else:
        parts = [np.full(g.target.size, per_row(g)) for g in groups]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def add_entrants(m: ClusterSim, groups: list[Entrants]) -> float:
    """Add drawn groups of entrants as firm rows, in order; return the real firms made.

    Entry within one month does not change the parks' utilities or room (entrants have no staff
    yet), so groups added together settle as they would one by one, in fewer, larger steps.
    """
    p = m.params
    target, weight = _joined(groups, "target"), _joined(groups, "weight")
    secs = m.sector_cdf.searchsorted(_joined(groups, "sector_draw"), side="right")
    for start, g in _starts(groups):
        if g.sector is not None:
            rows = slice(start, start + g.target.size)
            secs[rows] = np.where(g.own_sector, g.sector, secs[rows])
    parks = np.zeros(target.size, dtype=np.intp)
    if all(g.gumbel is not None for g in groups):  # every firm chooses its park
        area = weight * target * p.economy.m2_per_worker
        parks[:] = choose_parks(m, secs, target, area, _joined(groups, "gumbel"))
    elif any(g.gumbel is not None for g in groups):  # some do
        mine = _joined(groups, "gumbel", lambda g: g.gumbel is not None)
        gumbel = np.concatenate([g.gumbel for g in groups if g.gumbel is not None])
        area = weight[mine] * target[mine] * p.economy.m2_per_worker
        parks[mine] = choose_parks(m, secs[mine], target[mine], area, gumbel)
    for start, g in _starts(groups):
        if g.park is not None:
            parks[start : start + g.target.size] = g.park
    spread = _joined(groups, "spread")
    prod = productivity_with_spread(m, secs, spread) * _joined(
        groups, "productivity_factor", lambda g: g.productivity_factor
    )
    wage_premium, other = _joined(groups, "wage_premium"), _joined(groups, "other_cost_share")
    prod_now = prod * m.parks.productivity[parks] * m.productivity_index
    monthly_cost = (
        target * (m.wage_index * wage_premium + p.economy.m2_per_worker * m.parks.rent[parks])
        + other * target * prod_now
    )
    demand = target * prod_now
    for start, g in _starts(groups):
        if g.monthly_revenue is not None:
            demand[start : start + g.target.size] = g.monthly_revenue
    cash_months = _joined(
        groups,
        "cash_months",
        lambda g: p.init.cash_months if g.cash_months is None else g.cash_months,
    )
    m.firms.append(
        target.size,
        alive=True,
        weight=weight,
        park=parks,
        sector=secs,
        kind=_joined(groups, "kind", lambda g: g.kind),
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
        cash=cash_months * monthly_cost,
        operated=False,
        effective=0.0,
    )
    m.firms.revenue_by_month[:, m.firms.n - target.size : m.firms.n] = 0.0  # the rows appended
    return sum(g.firms for g in groups)


def _starts(groups: list[Entrants]):
    """Each group with its first row among the groups' rows."""
    start = 0
    for g in groups:
        yield start, g
        start += g.target.size


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
    workforce = m.workforce  # entrants have no staff yet: the same for every kind
    local = e.spinoff_rate * workforce / 1000.0
    groups = [draw_spawn(m, local, e.local_size_median, e.local_size_sigma, FirmKind.LOCAL, rng)]
    micro = e.micro_rate * workforce / 1000.0
    groups.append(
        draw_spawn(
            m,
            micro,
            e.micro_size_median,
            e.micro_size_sigma,
            FirmKind.MICRO,
            rng,
            productivity_factor=e.micro_productivity,
            cash_months=e.micro_cash_months,
        )
    )

    small = m.parks.constant[0][:, None]  # most inbound firms are small
    with_policy = settler_utility(m) + small
    without = park_utility(m) + small
    is_open = park_open(m)[:, None]
    logsum = np.log(np.sum(np.where(is_open, np.exp(with_policy), 0.0), axis=0))
    logsum0 = np.log(np.sum(np.where(is_open, np.exp(without), 0.0), axis=0))
    lift = float(np.sum(m.sector_share * (logsum - logsum0)))
    inbound = e.inbound_base * np.exp(e.inbound_logsum_weight * lift)
    groups.append(
        draw_spawn(m, inbound, e.inbound_size_median, e.inbound_size_sigma, FirmKind.INBOUND, rng)
    )
    # Each group's draws were made in turn, as for firms added one group at a time (so local
    # entrants' draws come before the inbound count, which rent relief moves); they settle
    # together: their parks' utilities and room are the month's either way.
    drawn = [g for g in groups if g is not None]
    created = add_entrants(m, drawn) if drawn else 0.0
    # branches draw from a stream of their own: whether a giant arrives this month does not
    # depend on how many start-ups the month had, so scenarios compared on a seed share them
    created += spawn_branches(m, m.stream("branches"))
    created += m.policies.total("entry", rng)
    m.month_flows["firm_entries"] = created
    # Registrations also count the firms registered that never start operating (SAIC's 2017
    # survey: about 30% of new registrations were not operating a year later).
    shells = rng.poisson(created * e.never_operating_share / (1 - e.never_operating_share))
    m.month_flows["firm_registrations"] = created + float(shells)
