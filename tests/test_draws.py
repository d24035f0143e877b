"""The thinned draws of separations and departures: exact in distribution, and common random
numbers kept (a scenario with a few more rows leaves every other row's draw where it was)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.month.draws import candidates, geometric_gaps, row_uniforms


def test_each_row_is_a_candidate_with_the_rate():
    rng = np.random.default_rng(5)
    n, rate, trials = 400, 0.05, 20_000
    hits = np.zeros(n)
    counts = np.empty(trials)
    for t in range(trials):
        rows = candidates(rng, n, rate)
        hits[rows] += 1
        counts[t] = rows.size
    share = hits / trials
    se = np.sqrt(rate * (1 - rate) / trials)
    assert np.abs(share - rate).max() < 5 * se  # every row, the first and last included
    # binomial count: mean n*rate, variance n*rate*(1-rate)
    assert abs(counts.mean() - n * rate) < 5 * np.sqrt(n * rate * (1 - rate) / trials)
    assert abs(counts.var() / (n * rate * (1 - rate)) - 1) < 0.05


def test_rows_are_chosen_independently():
    # pairs of neighbouring rows are candidates together with probability rate**2
    rng = np.random.default_rng(6)
    n, rate, trials = 200, 0.2, 20_000
    both = 0
    for _ in range(trials):
        chosen = np.zeros(n, dtype=bool)
        chosen[candidates(rng, n, rate)] = True
        both += np.count_nonzero(chosen[:-1] & chosen[1:])
    expected = (n - 1) * trials * rate**2
    assert abs(both - expected) < 5 * np.sqrt(expected)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 3000),
    extra=st.integers(0, 500),
    rate=st.floats(0.001, 0.999),
)
def test_more_rows_extend_the_candidates_and_leave_the_generator_in_place(seed, n, extra, rate):
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    short, long = candidates(a, n, rate), candidates(b, n + extra, rate)
    assert np.all(np.diff(long) > 0) and (long.size == 0 or 0 <= long[0] <= long[-1] < n + extra)
    np.testing.assert_array_equal(long[long < n], short)
    assert a.random() == b.random()  # the draws after them do not move with the row count


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    p=st.floats(1e-12, 0.999),
    size=st.sampled_from([0, 1, 30, 511, 512, 700, 3000]),
    cap=st.integers(1, 10**6),
)
def test_geometric_gaps_are_numpys_geometric_draws(seed, p, size, cap):
    """The gaps between candidates are numpy's own geometric draws (capped), from the same state."""
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = np.minimum(a.geometric(p, size=size), cap)
    np.testing.assert_array_equal(geometric_gaps(b, p, size, cap), expected)
    assert a.random() == b.random()


def test_rates_at_the_ends():
    rng = np.random.default_rng(1)
    assert candidates(rng, 100, 0.0).size == 0
    np.testing.assert_array_equal(candidates(rng, 7, 1.0), np.arange(7))
    assert candidates(rng, 0, 0.5).size == 0


def test_row_uniforms_are_uniform_and_belong_to_their_row():
    rows = np.arange(200_000)
    u = row_uniforms(12345, rows)
    assert (u >= 0).all() and (u < 1).all()
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    assert np.abs(counts - rows.size / 20).max() < 5 * np.sqrt(rows.size / 20)
    # a row's draw is the same in any subset it is drawn in, and differs with the key
    subset = rows[::7]
    np.testing.assert_array_equal(row_uniforms(12345, subset), u[::7])
    assert np.mean(row_uniforms(54321, rows) == u) < 1e-4


def test_a_hook_that_raises_a_chance_of_leaving_is_refused(monkeypatch):
    # thinning is exact only while no chance exceeds the cap: policies may only lower them
    import pytest

    from sim.policies.talent import Talent
    from sim.runner import resolve, simulate

    def raising(cls, m, policies, rows, threshold, firm_wage):
        threshold *= 100

    monkeypatch.setattr(Talent, "departures", classmethod(raising))
    with pytest.raises(RuntimeError, match="departures hook"):
        baseline = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
        simulate(resolve(baseline, end="2021-02", posterior=False), 1)
