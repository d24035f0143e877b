"""The words a probability of meeting a target is given, the same everywhere."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.targets import aggregate, aggregate_rule, verdict


@pytest.mark.parametrize(
    ("prob", "words"),
    [(1.0, "met"), (0.9, "met"), (0.7, "likely"), (0.5, "as likely as not"), (0.2, "unlikely")],
)
def test_a_coin_toss_is_not_called_likely(prob, words):
    assert verdict(prob) == words


def test_no_figure_no_verdict():
    assert verdict(float("nan")) == "not in run"


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.integers(0, 3),  # replicate
            st.integers(0, 30),  # month
            st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))),
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda c: (c[0], c[1]),
    ),
    year=st.integers(2021, 2023),
)
def test_a_figure_reads_the_months_as_a_pivot_of_the_trajectories_would(cells, year):
    """aggregate() sees each replicate's months as pandas' pivot_table does (gaps, NaN, order)."""
    frame = pd.DataFrame(cells, columns=["replicate", "month", "value"])
    frame = frame.sample(frac=1, random_state=0)  # in no particular order
    frame["date"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(frame.pop("month") * 31, "D")
    frame["date"] = frame["date"].dt.to_period("M").dt.to_timestamp()
    frame = frame.drop_duplicates(["replicate", "date"]).assign(metric="workforce")
    rule = aggregate_rule("december")
    wide = frame.pivot_table(index="replicate", columns="date", values="value", aggfunc="first")
    got = aggregate(frame, "workforce", "december", year)
    if wide.empty:  # nothing recorded: no replicate
        assert got.empty
        return
    wide = wide.sort_index(axis=1)
    values = rule.of(wide.to_numpy(), pd.DatetimeIndex(wide.columns), year)
    expected = pd.Series(values, index=wide.index, name="value").astype(float)
    pd.testing.assert_series_equal(got, expected, check_index_type=False)
