"""The stylised-fact statistics measure what they claim, on samples whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stylised import excess_kurtosis, volatility_slope, zipf_exponent


@pytest.mark.parametrize("exponent", [0.8, 1.0, 1.5])
def test_zipf_exponent_recovers_a_pareto_tail(exponent):
    rng = np.random.default_rng(1)
    sizes = rng.pareto(exponent, 20000) + 1
    assert zipf_exponent(sizes, top=500) == pytest.approx(exponent, rel=0.15)


def test_zipf_exponent_counts_weighted_rows_as_many_firms():
    rng = np.random.default_rng(2)
    sizes = rng.pareto(1.0, 4000) + 1
    repeated = np.repeat(sizes, 3)
    one = zipf_exponent(repeated, top=300)
    weighted = zipf_exponent(sizes, top=300, weights=np.full(sizes.size, 3.0))
    assert weighted == pytest.approx(one, rel=0.05)


def test_excess_kurtosis_tells_laplace_from_gaussian():
    rng = np.random.default_rng(3)
    assert excess_kurtosis(rng.normal(size=200000)) == pytest.approx(0, abs=0.1)
    assert excess_kurtosis(rng.laplace(size=200000)) == pytest.approx(3, abs=0.3)


def test_volatility_slope_recovers_the_size_scaling():
    rng = np.random.default_rng(4)
    people = np.exp(rng.uniform(0, 8, 50000))
    growth = rng.normal(size=people.size) * 0.5 * people**-0.2
    slope = volatility_slope(pd.DataFrame({"people": people, "growth": growth}))
    assert slope == pytest.approx(-0.2, abs=0.03)
