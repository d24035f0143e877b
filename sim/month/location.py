"""Where firms are: the location choice of settlers and movers among parks with room.

A firm choosing a park weighs (a logit choice) the park's size (the log of its floor area: more
sites), its net rent after any rent relief (``firms.rent_utility_per_yuan``), the pull of its
sector's concentration there (``firms.agglomeration_utility`` times the log location quotient)
and of the park's focus sectors (``firms.focus_utility``), plus a constant per park and size
class, calibrated at start-up so that, without policy, choosers spread over parks like the
2021 stock (:func:`calibrate_park_constants`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from sim.month.parks import agent_area, fit_in_parks, park_room

if TYPE_CHECKING:
    from sim.core import ClusterSim

CONSTANT_ITERATIONS = 50  # fixed-point steps of the park-constant calibration (converged by 20)
TARGET_FLOOR = 1e-3  # firms added to every park's 2021 count so an empty park keeps a finite log


@contextmanager
def utilities_held(m: ClusterSim) -> Iterator[None]:
    """Within the block the parks' utilities are computed once and reused.

    For blocks in which no firm's staff, park, sector or status changes and rents stay put (new
    firms join with no staff, so they add nothing to the utilities): entry, and the location
    choice of the month's movers before they move.
    """
    m.utility_cache = {}
    try:
        yield
    finally:
        m.utility_cache = None


def park_utility(m: ClusterSim, discount: np.ndarray | None = None) -> np.ndarray:
    """Deterministic utility of each (park, sector) for a firm choosing where to be.

    ``discount``: the share of rent relief a chooser would get, by (park, sector).
    """
    cache = m.utility_cache
    if discount is None and cache is not None:
        if "plain" not in cache:
            cache["plain"] = _park_utility(m, None)
        return cache["plain"]
    return _park_utility(m, discount)


def _park_utility(m: ClusterSim, discount: np.ndarray | None) -> np.ndarray:
    """:func:`park_utility`, computed (the terms that do not depend on rent relief once a block)."""
    p = m.params.firms
    parks = m.parks
    net_rent = parks.rent[:, None] * (1 - (0.0 if discount is None else discount))
    cache = m.utility_cache
    terms = cache.get("terms") if cache is not None else None
    if terms is None:
        terms = _place_terms(m)
        if cache is not None:
            cache["terms"] = terms
    size, agglomeration, focus = terms
    return size - p.rent_utility_per_yuan * net_rent + agglomeration + focus


def _place_terms(m: ClusterSim) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The utility terms of size, agglomeration and focus, by (park, sector) where they vary."""
    p = m.params.firms
    f = m.firms
    n = f.n
    parks = m.parks
    heads = f.weight[:n] * m.firm_size_people() * f.alive[:n]
    cell = f.park[:n].astype(np.int64) * m.n_sectors + f.sector[:n]
    by_cell = np.bincount(cell, weights=heads, minlength=m.n_parks * m.n_sectors).reshape(
        m.n_parks, m.n_sectors
    )
    in_park = by_cell / np.maximum(by_cell.sum(axis=1, keepdims=True), 1.0)
    in_city = by_cell.sum(axis=0) / max(by_cell.sum(), 1.0)
    smooth = p.quotient_smoothing
    quotient = (in_park + smooth) / (in_city[None, :] + smooth)
    return (
        np.log(np.maximum(parks.area, 1.0))[:, None],
        p.agglomeration_utility * np.log(quotient),
        p.focus_utility * parks.focus,
    )


def size_class(m: ClusterSim, people: np.ndarray) -> np.ndarray:
    """0 for small firms, 1 for large ones (at least ``firms.large_firm_people``)."""
    return (people >= m.params.firms.large_firm_people).astype(np.int64)


def calibrate_park_constants(m: ClusterSim) -> None:
    """Calibrate the park constants of the location choice, one set per size class.

    Each constant is set so that, at 2021 rents and without policy, firms of a size class that
    choose a park spread over parks as that class does in the 2021 stock (large firms are
    concentrated in the first-batch parks, which hold ~70% of revenue).
    """
    f = m.firms
    n = f.n
    cls = size_class(m, m.firm_size_people())
    m.parks.constant = np.zeros((2, m.n_parks))
    for c in (0, 1):
        mine = f.alive[:n] & (cls == c)
        if not mine.any():
            continue
        target = np.bincount(f.park[:n][mine], weights=f.weight[:n][mine], minlength=m.n_parks)
        target = (target + TARGET_FLOOR) / (target + TARGET_FLOOR).sum()
        sectors = np.bincount(f.sector[:n][mine], weights=f.weight[:n][mine], minlength=m.n_sectors)
        sectors = sectors / sectors.sum()
        for _ in range(CONSTANT_ITERATIONS):
            utility = park_utility(m) + m.parks.constant[c][:, None]
            prob = np.exp(utility - utility.max(axis=0, keepdims=True))
            prob /= prob.sum(axis=0, keepdims=True)
            m.parks.constant[c] += np.log(target) - np.log(prob @ sectors)
    # A place with no firms in 2021 (the programme's buildings) is, other things equal, as
    # attractive as the parks of 2021 on average: its pull comes from its size, rent and tenants.
    later = m.parks.founded_later
    if later.any():
        weights = np.array([pk.firm_share_2021 for pk in m.params.parks]) * m.parks.in_park
        for c in (0, 1):
            mean = np.sum(m.parks.constant[c] * weights) / weights.sum()
            m.parks.constant[c][later] = mean


def settler_utility(m: ClusterSim) -> np.ndarray:
    """Utility of each (park, sector) to a firm settling now, with the rent relief it would get."""
    cache = m.utility_cache
    if cache is None:
        return park_utility(m, m.policies.largest("settler_rent_relief"))
    if "settler" not in cache:
        cache["settler"] = park_utility(m, m.policies.largest("settler_rent_relief"))
    return cache["settler"]


def choose_parks(
    m: ClusterSim,
    sectors: np.ndarray,
    people: np.ndarray,
    area_needed: np.ndarray,
    rng: np.random.Generator | np.ndarray,
    current: np.ndarray | None = None,
    current_discount: np.ndarray | None = None,
    room: np.ndarray | None = None,
) -> np.ndarray:
    """Logit choice of park for firms of the given sectors, among parks with room for them.

    Firms already in a park (``current``) keep the rent relief they have there
    (``current_discount``) if they stay, and pay the moving cost if they go. ``room`` is the
    area (m²) each park can still let (default :func:`~sim.month.parks.park_room`). ``rng``
    draws the choice's Gumbel noise, or is that noise already drawn (firms x parks).
    """
    constant = m.parks.constant[size_class(m, people)]  # (firms, parks)
    utility = settler_utility(m).T[sectors] + constant
    room = park_room(m) if room is None else room
    fits = room[None, :] >= area_needed[:, None]
    if current is not None:
        stay = np.arange(m.n_parks)[None, :] == current[:, None]
        base = park_utility(m).T[sectors, current] + constant[np.arange(current.size), current]
        kept = m.params.firms.rent_utility_per_yuan * m.parks.rent[current] * current_discount
        utility = np.where(stay, (base + kept)[:, None], utility)
        utility = utility - m.params.firms.moving_cost_utility * ~stay
        fits |= stay
    utility = np.where(fits, utility, -np.inf)
    noise = rng.gumbel(size=utility.shape) if isinstance(rng, np.random.Generator) else rng
    return np.argmax(utility + noise, axis=1)


def relocate_firms(m: ClusterSim) -> np.ndarray:
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
    relief = m.policies.largest("firm_rent_relief")
    with utilities_held(m):
        new = choose_parks(
            m,
            f.sector[movers],
            people,
            need * unit,
            rng,
            current=current,
            current_discount=np.zeros(movers.size) if relief is None else relief[movers],
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
