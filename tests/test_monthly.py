"""A run's months as arrays read the same as the long-format table the analysis loads.

``cqsim run`` keeps its trajectories as :class:`sim.monthly.MonthlyValues` and writes
``trajectories.parquet`` and ``targets.csv`` without pandas; these tests hold the arrays,
the table, the file and the target figures to one another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import runner
from sim.monthly import TRAJECTORY_COLUMNS, MonthlyValues
from sim.targets import aggregate, target_table


@pytest.fixture(scope="module")
def short_result(baseline_path):
    """Two replicates of the baseline, to the end of the plan."""
    return runner.run(baseline_path, replicates=2)


@st.composite
def monthly_values(draw) -> MonthlyValues:
    """Any scenario's months: a few metrics (names in any script), replicates, NaN cells."""
    names = draw(
        st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5, unique=True).map(tuple)
    )
    n_reps = draw(st.integers(1, 3))
    n_months = draw(st.integers(1, 14))
    first = np.datetime64("2020-11", "M") + np.timedelta64(draw(st.integers(0, 3)), "M")
    dates = (first + np.arange(n_months).astype("timedelta64[M]")).astype("datetime64[D]")
    replicates = np.array(
        draw(st.lists(st.integers(0, 50), min_size=n_reps, max_size=n_reps, unique=True)),
        dtype=np.int32,
    )
    seeds = np.array(draw(st.lists(st.integers(0, 2**40), min_size=n_reps, max_size=n_reps)))
    cell = st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.just(float("nan")))
    flat = draw(
        st.lists(
            cell, min_size=n_reps * n_months * len(names), max_size=n_reps * n_months * len(names)
        )
    )
    values = np.array(flat, dtype=float).reshape(n_reps, n_months, len(names))
    scenario = draw(st.text(min_size=1, max_size=10))
    return MonthlyValues(scenario, names, dates, replicates, seeds.astype(np.int64), values)


def reference_frame(mv: MonthlyValues) -> pd.DataFrame:
    """The long table as a loop over cells would write it (the old pandas-built table)."""
    rows = [
        (mv.scenario, int(rep), int(seed), pd.Timestamp(date), name, mv.values[r, m, k])
        for r, (rep, seed) in enumerate(zip(mv.replicates, mv.seeds, strict=True))
        for m, date in enumerate(mv.dates)
        for k, name in enumerate(mv.names)
    ]
    frame = pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)
    frame["scenario"] = frame["scenario"].astype("category")
    frame["metric"] = pd.Categorical(frame["metric"], categories=sorted(mv.names))
    return frame.astype({"replicate": np.int32, "seed": np.int64, "date": "datetime64[ns]"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mv=monthly_values())
def test_the_table_holds_every_cell_with_its_labels(mv):
    got = mv.frame()
    expected = reference_frame(mv)
    got = got.astype({"date": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected, check_categorical=True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mv=monthly_values())
def test_the_parquet_file_reads_back_as_the_table(mv, tmp_path):
    path = tmp_path / "trajectories.parquet"
    mv.write_parquet(path)
    back = pd.read_parquet(path)
    expected = mv.frame()
    assert list(back.columns) == TRAJECTORY_COLUMNS
    for name in ("scenario", "metric"):
        assert list(back[name].astype(str)) == list(expected[name].astype(str))
    for name in ("replicate", "seed", "value"):
        np.testing.assert_array_equal(back[name].to_numpy(), expected[name].to_numpy())
    np.testing.assert_array_equal(
        back["date"].to_numpy().astype("datetime64[D]"),
        expected["date"].to_numpy().astype("datetime64[D]"),
    )


def test_stacked_replicates_must_record_the_same_months(short_result):
    one = short_result.values
    shifted = MonthlyValues(
        one.scenario,
        one.names,
        one.dates + np.timedelta64(31, "D"),
        one.replicates,
        one.seeds,
        one.values,
    )
    with pytest.raises(ValueError, match="different metrics or months"):
        MonthlyValues.stack([one, shifted])


def test_targets_from_the_arrays_equal_targets_from_the_table(short_result):
    """The verdicts ``cqsim run`` prints are the ones the analysis computes from the file."""
    values = short_result.values
    frame = values.frame()
    from_arrays = target_table(values)
    from_table = target_table(frame)
    pd.testing.assert_frame_equal(from_arrays, from_table)
    assert from_arrays["median"].notna().sum() >= 5  # the 2025 figures are in the run
    for metric in values.names[:5]:
        pd.testing.assert_series_equal(
            aggregate(values, metric, "december", 2021),
            aggregate(frame, metric, "december", 2021),
            check_index_type=False,
        )


def test_targets_csv_is_what_pandas_would_write(short_result, baseline_path, tmp_path):
    """targets.csv is written without pandas: the same bytes as the table's ``to_csv``, with
    figures in full precision and a target outside the run left empty."""
    from sim.targets import target_rows, write_target_csv

    for values in (short_result.values, runner.run(baseline_path, 1, end="2022-06").values):
        rows = target_rows(values)
        write_target_csv(rows, tmp_path / "targets.csv")
        expected = target_table(values).to_csv(index=False)
        assert (tmp_path / "targets.csv").read_text(encoding="utf-8") == expected
    assert any(r["median"] != r["median"] for r in rows)  # the short run: NaN figures
