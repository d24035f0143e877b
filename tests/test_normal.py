"""The normal CDF and quantile the model draws firm sizes with agree with scipy's."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import ndtr, ndtri

from sim.month.normal import normal_cdf, normal_quantile


@given(st.floats(min_value=1e-300, max_value=1 - 1e-16, exclude_max=False))
def test_quantile_agrees_with_scipy(p: float):
    expected = ndtri(p)
    assert abs(float(normal_quantile(p)) - expected) <= 1e-14 * max(1.0, abs(expected))


def test_quantile_of_arrays_in_every_region():
    # the central region, the tails and the far tails of AS 241, and the two ends
    p = np.array([1e-300, 1e-20, 1e-5, 0.02, 0.075, 0.5, 0.9, 0.925, 1 - 1e-12, 0.0, 1.0])
    np.testing.assert_allclose(normal_quantile(p), ndtri(p), rtol=1e-14)


def test_quantile_inverts_the_cdf():
    # up to z = 5: above, 1 - p is below what a double near 1 resolves
    z = np.linspace(-8, 5, 131)
    p = np.array([normal_cdf(x) for x in z])
    np.testing.assert_allclose(normal_quantile(p), z, rtol=1e-9, atol=1e-9)


@given(st.floats(min_value=-38, max_value=38))
def test_cdf_agrees_with_scipy(z: float):
    assert abs(normal_cdf(z) - ndtr(z)) <= 1e-15
