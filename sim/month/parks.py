"""2. Parks: office space delivered, rents adjusted; how much room parks have for firms.

A worker agent occupies ``scale x economy.m2_per_worker`` m² in its employer's park. Movers and
new hires only take space a park has free below ``offices.full_occupancy`` (claims granted in
random order: :func:`fit_in_parks`), so no park is ever fuller than that. The market outside
the parks has whatever space it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core import ClusterSim


def occupied_area(m: ClusterSim) -> np.ndarray:
    """Office area (m²) the firms of each park use."""
    f = m.firms
    n = f.n
    used = f.weight[:n] * m.firm_size_people() * m.params.economy.m2_per_worker * f.alive[:n]
    return np.bincount(f.park[:n], weights=used, minlength=m.n_parks)


def update_parks(m: ClusterSim) -> None:
    """Office space is delivered and rents adjust to occupancy.

    Space comes from policies (the ``parks`` hook: office programmes) and from developers
    where parks are nearly full (not in the programme's buildings, which the city supplies);
    rents drift up where occupancy is above its natural level and down where below.
    """
    p = m.params.offices
    parks = m.parks
    m.policies.run("parks")
    parks.occupied = occupied_area(m)
    if parks.outside >= 0:
        parks.area[parks.outside] = (
            parks.occupied[parks.outside] / m.params.parks[parks.outside].occupancy_2021
        )
    occupancy = parks.occupancy
    developing = parks.in_park & ~parks.programme & (occupancy > p.developer_trigger)
    parks.area[developing] *= 1 + p.developer_delivery
    adjust = np.exp(p.rent_adjustment / 12 * (occupancy - p.occupancy_target))
    parks.rent = np.where(parks.in_park, parks.rent * adjust, parks.rent)


def close_month(m: ClusterSim) -> None:
    """The parks' occupied area at the month's end, after hires, exits and departures."""
    m.parks.occupied = occupied_area(m)


def park_room(m: ClusterSim) -> np.ndarray:
    """Office area (m²) each park can still let; unlimited outside any park."""
    parks = m.parks
    free = m.params.offices.full_occupancy * parks.area - parks.occupied
    return np.where(parks.in_park, np.maximum(free, 0.0), np.inf)


def park_open(m: ClusterSim) -> np.ndarray:
    """Parks taking new tenants (not full); 'outside any park' always is."""
    return ~m.parks.in_park | (m.parks.occupancy < m.params.offices.full_occupancy)


def agent_area(m: ClusterSim) -> float:
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
    # only parks asked for more than they have are rationed, and only claims that ask for
    # something: one for nothing is granted nothing, and adds nothing to what those after it
    # in its park have asked (exactly so for whole amounts, which both callers claim)
    claims = np.flatnonzero(over[park] & (granted > 0))
    rank = claims[np.lexsort((order[claims], park[claims]))]
    asked = granted[rank].astype(float)
    cum = np.cumsum(asked)
    grp = park[rank]
    first = np.concatenate(([True], grp[1:] != grp[:-1]))  # (np.r_ costs 50 µs a call)
    base = np.maximum.accumulate(np.where(first, cum - asked, 0.0))  # cum before each park
    ahead = cum - asked - base  # asked by the claims before this one in its park
    left = room[grp] - ahead
    if partial:
        got = np.clip(left, 0.0, asked)
    else:
        got = np.where((asked == 0) | (asked <= left), asked, 0.0)
    granted[rank] = got.astype(granted.dtype)
    return granted
