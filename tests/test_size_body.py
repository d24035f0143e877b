"""The January-2021 firm sizes: a Pareto body (the official class counts) or a lognormal one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core import ClusterSim
from sim.month.initial import capped_pareto_mean, pareto_body
from sim.params import load_parameters
from sim.runner import resolve
from sim.state import FirmKind

SCENARIO = Path(sim.__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


@settings(max_examples=60, deadline=None)
@given(
    exponent=st.floats(0.4, 2.0),
    mean=st.floats(5.0, 300.0),
    cap_ratio=st.floats(5.0, 200.0),
)
def test_pareto_body_has_the_asked_mean_and_cap(exponent, mean, cap_ratio):
    """The sizes average the asked mean (before the one-person floor) and never pass the cap."""
    cap = mean * cap_ratio
    u = np.random.default_rng(1).random(400_000)
    sizes = pareto_body(u, mean, exponent, cap)
    assert sizes.max() <= cap
    assert sizes.min() >= 1.0
    # the floor of one person only adds, and at most one person a firm: the mean is the asked
    # one (to sampling error) or up to one more
    assert mean * 0.95 <= sizes.mean() <= mean * 1.05 + 1.0, (sizes.mean(), mean)


def test_capped_mean_is_the_integral_of_the_survival_function():
    """``capped_pareto_mean`` is E[min(X, cap)]: checked against a Monte Carlo estimate."""
    rng = np.random.default_rng(2)
    for exponent in (0.6, 1.0, 1.5):
        x = 3.0 * rng.random(2_000_000) ** (-1 / exponent)
        assert capped_pareto_mean(3.0, exponent, 500.0) == pytest.approx(
            np.minimum(x, 500.0).mean(), rel=0.01
        )


def test_pareto_body_has_its_exponent():
    """The share of firms larger than s falls as s to the minus exponent (a Hill estimate)."""
    u = np.random.default_rng(3).random(200_000)
    cap = 1e6
    sizes = pareto_body(u, 90.0, 0.7, cap)
    above = sizes[(sizes >= 5.0) & (sizes < cap)]  # past the one-person floor, below the cap
    hill = 1.0 / np.mean(np.log(above / 5.0))
    assert hill == pytest.approx(0.7, rel=0.03)


def _established_sizes(body_exponent: float, seed: int) -> np.ndarray:
    params = load_parameters()
    base = resolve(SCENARIO, end="2021-01", scale=1, posterior=False, params=params)
    scenario = base.model_copy(
        update={"parameters": {**base.parameters, "init.body_exponent": body_exponent}}
    )
    m = ClusterSim(scenario, seed=seed, params=params)
    f = m.firms
    rows = np.flatnonzero((f.kind[: f.n] == FirmKind.INITIAL) & ~m.parks.young[f.park[: f.n]])
    return f.staff[rows].astype(float)


def test_the_pareto_body_puts_fewer_firms_in_the_middle_and_more_at_the_bottom():
    """Against the lognormal body: a lower median firm, the same workforce, a heavier top."""
    for seed in (1, 2):
        pareto = _established_sizes(0.7, seed)
        lognormal = _established_sizes(0.0, seed)
        assert np.median(pareto) < 0.7 * np.median(lognormal), seed
        assert pareto.sum() == pytest.approx(lognormal.sum(), rel=0.05)
        # the slope of log rank on log size among firms above 50 people: near the exponent
        big = np.sort(pareto[pareto >= 50])[::-1]
        slope = -np.polyfit(np.log(big), np.log(np.arange(1, big.size + 1) - 0.5), 1)[0]
        assert 0.5 < slope < 0.95, (seed, slope)
