"""Random draws the processes share: unbiased rounding, and the attributes of a new firm."""

from __future__ import annotations

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


def lognormal_mean_one(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """Multiplicative spreads with mean 1 (a lognormal of log-sd ``sigma``)."""
    return rng.lognormal(-(sigma**2) / 2, sigma, size)


def firm_productivity(m: ClusterSim, sectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Revenue per person per month (yuan, at 2021 prices) of new firms: sector x own spread."""
    p = m.params
    return (
        p.init.productivity_yuan_per_person_month
        * m.sector_productivity[sectors]
        * lognormal_mean_one(rng, p.init.productivity_sigma, sectors.size)
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
