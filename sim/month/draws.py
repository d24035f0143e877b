"""Random draws the processes share: unbiased rounding, and the attributes of a new firm."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core import ClusterSim


def stochastic_round(values: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """Round to integers up or down at random so that the expectation is unchanged."""
    values = np.asarray(values, dtype=float)
    low = np.floor(values)
    return (low + (rng.random(values.shape) < (values - low))).astype(np.int64)


def cumulative(p: np.ndarray) -> np.ndarray:
    """The cumulative distribution of probabilities ``p``, as :func:`draw_from` takes it."""
    cdf = np.cumsum(p, dtype=float)
    cdf /= cdf[-1]
    return cdf


def draw_from(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    """``size`` indices drawn with replacement from the distribution of cumulative ``cdf``.

    The same draws as ``rng.choice(len(p), size, p=p)`` with ``cdf = cumulative(p)`` (numpy's
    own method: one uniform per index, looked up in the cumulative), without its checks of
    ``p`` on every call.
    """
    return cdf.searchsorted(rng.random(size), side="right")


def candidates(rng: np.random.Generator, n: int, p_max: float) -> np.ndarray:
    """Rows of ``range(n)`` each chosen independently with probability ``p_max``, ascending.

    The first step of thinning: when every row's chance of an event is at most ``p_max``, the
    rows with the event are the candidates, each kept with its chance over ``p_max``. Exactly
    the same distribution as a uniform draw per row, with draws for about ``n * p_max`` rows
    only: the gaps between successive candidates of Bernoulli trials are geometric.
    """
    # The gaps come from a generator of their own (one draw of ``rng`` seeds it), so ``rng``
    # goes on at the same place whatever ``n`` is: a scenario with a few more rows does not
    # shift the draws that follow (common random numbers).
    own = np.random.Generator(np.random.PCG64(int(rng.integers(2**63))))
    if n == 0 or p_max <= 0:
        return np.zeros(0, dtype=np.int64)
    if p_max >= 1:
        return np.arange(n, dtype=np.int64)
    expected = n * p_max
    chunk = int(expected + 4 * np.sqrt(expected)) + 16  # enough at once almost always
    parts, last = [], -1
    while last < n:
        gaps = geometric_gaps(own, p_max, chunk, cap=n + 1)
        rows = last + np.cumsum(gaps)
        parts.append(rows)
        last = int(rows[-1])
    rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return rows[: np.searchsorted(rows, n)]


GEOMETRIC_BY_INVERSION_BELOW = 1 / 3
"""numpy draws a geometric by inversion of an exponential below this success chance."""

GEOMETRIC_OVER_ARRAY_FROM = 512
"""Draws from which the array form of :func:`geometric_gaps` is the faster (a matter of speed:
at 30 draws it costs 7.7 µs against numpy's 2.6, at 3,000 27 µs against 49-82)."""


def geometric_gaps(rng: np.random.Generator, p: float, size: int, cap: int) -> np.ndarray:
    """``rng.geometric(p, size)``, the same draws, with values above ``cap`` lowered to ``cap``.

    Below a chance of 1/3 numpy's geometric is ``ceil(-E / log1p(-p))`` of one standard
    exponential E each, computed element by element with ``log1p`` every time; here the same
    exponentials in one call and the same arithmetic over the array, about twice as fast.
    ``cap`` (at least 1) keeps the cumulative sum of the gaps from overflowing; a caller that
    stops at ``cap`` sees the same rows.
    """
    if p >= GEOMETRIC_BY_INVERSION_BELOW or size < GEOMETRIC_OVER_ARRAY_FROM:
        return np.minimum(rng.geometric(p, size=size), cap)
    z = rng.standard_exponential(size)
    z /= -math.log1p(-p)
    np.ceil(z, out=z)
    np.minimum(z, cap, out=z)
    return z.astype(np.int64)


def row_uniforms(key: int, rows: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) for each of ``rows``, a function of ``key`` and the row alone.

    For draws on a subset of rows that differs between scenarios: a row's draw does not move
    when other rows join or leave the subset (as a draw per row of the whole table would not),
    so comparisons on a seed keep their common random numbers. SplitMix64 of ``key + row``.
    """
    z = np.asarray(rows, dtype=np.uint64) + np.uint64(key)
    z += np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)) * (1.0 / 2**53)


def lognormal_mean_one(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """Multiplicative spreads with mean 1 (a lognormal of log-sd ``sigma``)."""
    return rng.lognormal(-(sigma**2) / 2, sigma, size)


def firm_productivity(m: ClusterSim, sectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Revenue per person per month (yuan, at 2021 prices) of new firms: sector x own spread."""
    spread = lognormal_mean_one(rng, m.params.init.productivity_sigma, sectors.size)
    return productivity_with_spread(m, sectors, spread)


def productivity_with_spread(m: ClusterSim, sectors: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """:func:`firm_productivity` of firms whose own spread (mean 1) is already drawn."""
    return (
        m.params.init.productivity_yuan_per_person_month * m.sector_productivity[sectors] * spread
    )


def firm_pay_and_costs(m: ClusterSim, size: int, rng: np.random.Generator):
    """Wage premium (mean 1) and share of revenue spent on other costs of ``size`` new firms."""
    e = m.params.economy
    wage_premium = lognormal_mean_one(rng, e.wage_sigma, size)
    other = np.clip(
        rng.normal(e.other_cost_share_mean, e.other_cost_share_sd, size),
        0,
        e.other_cost_share_max,
    )
    return wage_premium, other
