"""Sweep files and designs: validation before anything runs, design points, paired seeds.

Requirements: a bad sweep file gives one message naming the file and key path, exit status 2,
and no store; grid, lhs, sobol and morris designs have the documented points; a factor path
reaches a parameter or a named policy's amount; replicate k of every point uses seed + k.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cqsim.cli import EXIT_BAD_INPUT, main
from sim.metrics import metric_names
from sim.params import load_parameters
from sim.scenario import ScenarioError
from sim.sweeps import execute, load_sweep, read_table, run_sweep

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
RENT_CUT = SCENARIOS / "rent_cut_jinfeng.toml"


def write_sweep(tmp_path: Path, body: str, name: str = "sweep.toml", base: Path = RENT_CUT) -> Path:
    """A sweep file in tmp_path; `base` is set unless the body sets it."""
    body = textwrap.dedent(body).lstrip("\n")
    head = (
        [] if body.startswith("base") or "\nbase" in body else [f"base = {json.dumps(str(base))}"]
    )
    if "name =" not in body:
        head.insert(0, 'name = "s"')
    path = tmp_path / name
    path.write_text("\n".join([*head, body]) + "\n", encoding="utf-8")
    return path


GRID = """
design = "grid"
replicates = 2
end = "2021-03"

[[factors]]
path = "policies.jinfeng_rent_cut.share"
values = [0.2, 0.5, 0.8]

[[factors]]
path = "parameters.labour.graduate_month"
values = [6, 7]
"""


def sampled(design: str, extra: str = "", samples: int = 4) -> str:
    return f"""
design = "{design}"
samples = {samples}
end = "2021-03"
{extra}
[[factors]]
path = "parameters.labour.quit_rate"
min = 0.005
max = 0.02

[[factors]]
path = "policies.jinfeng_rent_cut.share"
min = 0.0
max = 1.0

[[factors]]
path = "policies.jinfeng_rent_cut.new_settler_months"
min = 12
max = 48
"""


# ----------------------------------------------------------------------------------------------
# Bad sweep files: exit 2, one line naming file and key, no store, nothing written

BAD = [
    pytest.param(
        GRID.replace("labour.graduate_month", "labour.quit_rat").replace("[6, 7]", "[0.01]"),
        "factors[1].path",
        "unknown parameter 'labour.quit_rat'; did you mean 'labour.quit_rate'?",
        id="misspelt-parameter",
    ),
    pytest.param(
        GRID.replace("jinfeng_rent_cut.share", "jinfeng_rent_cutt.share"),
        "factors[0].path",
        "no policy named 'jinfeng_rent_cutt' in the base scenario; did you mean 'jinfeng_rent_cut'",
        id="unknown-policy",
    ),
    pytest.param(
        GRID.replace("jinfeng_rent_cut.share", "jinfeng_rent_cut.shares"),
        "factors[0].path",
        "has no field 'shares'; did you mean 'share'?",
        id="unknown-policy-field",
    ),
    pytest.param(
        GRID.replace("jinfeng_rent_cut.share", "jinfeng_rent_cut.parks"),
        "factors[0].path",
        "'parks' is not a number",
        id="policy-field-not-a-number",
    ),
    pytest.param(
        GRID.replace("policies.jinfeng_rent_cut.share", "run.scale"),
        "factors[0].path",
        "starts with 'parameters.' or 'policies.'",
        id="unknown-path-root",
    ),
    pytest.param(
        GRID.replace("[0.2, 0.5, 0.8]", "[0.2, 1.5]"),
        "factors[0].values[1]",
        "less than or equal to 1",
        id="policy-value-out-of-range",
    ),
    pytest.param(
        GRID.replace("[6, 7]", "[6, 13]"),
        "factors[1].values[1]",
        "above the maximum 12",
        id="parameter-value-above-max",
    ),
    pytest.param(
        GRID.replace("[6, 7]", "[6, 6.5]"),
        "factors[1].values[1]",
        "expected a whole number, got 6.5",
        id="integer-parameter-fraction",
    ),
    pytest.param(
        GRID.replace("[6, 7]", "[6, 6]"),
        "factors[1].values[1]",
        "listed twice",
        id="repeated-value",
    ),
    pytest.param(
        GRID.replace("[6, 7]", '[6, "7"]'),
        "factors[1].values[1]",
        "valid number",
        id="value-not-a-number",
    ),
    pytest.param(
        GRID.replace('design = "grid"', 'design = "sobl"'),
        "design",
        "unknown design 'sobl'; one of grid, lhs, sobol, morris; did you mean 'sobol'?",
        id="unknown-design",
    ),
    pytest.param(
        GRID.replace("replicates = 2", "replicats = 2"),
        "replicats",
        "unknown key 'replicats'; did you mean 'replicates'?",
        id="unknown-key",
    ),
    pytest.param(
        GRID.replace("values = [6, 7]", "valeus = [6, 7]"),
        "factors[1].valeus",
        "did you mean 'values'?",
        id="unknown-factor-key",
    ),
    pytest.param(
        GRID.replace("replicates = 2", "replicates = 0"),
        "replicates",
        "greater than or equal to 1",
        id="no-replicates",
    ),
    pytest.param(
        GRID.replace('end = "2021-03"', 'end = "2020-12"'),
        "end",
        "before the start 2021-01",
        id="end-before-start",
    ),
    pytest.param(
        GRID.replace('end = "2021-03"', 'end = "2021-13"'),
        "end",
        "01-12",
        id="bad-month",
    ),
    pytest.param(
        GRID.replace("labour.graduate_month", "jinfeng_rent_cut.share").replace(
            "parameters.", "policies."
        ),
        "factors[1].path",
        "already a factor",
        id="duplicate-factor",
    ),
    pytest.param("samples = 8\n" + GRID, "samples", "a grid has no samples", id="grid-samples"),
    pytest.param(
        GRID.replace("values = [6, 7]", "min = 5\nmax = 8"),
        "factors[1].min",
        "a grid design takes `values`",
        id="grid-range",
    ),
    pytest.param(
        sampled("lhs").replace("samples = 4\n", ""),
        "samples",
        "required key is missing",
        id="lhs-no-samples",
    ),
    pytest.param(
        sampled("sobol", samples=6), "samples", "power of 2, got 6 (try 4 or 8)", id="sobol-n"
    ),
    pytest.param(
        sampled("lhs").replace("min = 12\nmax = 48", "values = [12, 48]"),
        "factors[2].values",
        "takes a range (min and max), not values",
        id="lhs-values",
    ),
    pytest.param(
        sampled("lhs").replace("min = 12\n", ""),
        "factors[2].min",
        "required key is missing",
        id="range-without-min",
    ),
    pytest.param(
        sampled("morris").replace("max = 0.02", "max = 0.001"),
        "factors[0].max",
        "must be greater than min",
        id="max-below-min",
    ),
    pytest.param(
        sampled("lhs").replace("max = 0.02", "max = 1.5"),
        "factors[0].max",
        "above the maximum 1 of parameter 'labour.quit_rate'",
        id="range-beyond-parameter-max",
    ),
    pytest.param(
        sampled("lhs").replace("min = 0.0\nmax = 1.0", "min = -0.5\nmax = 1.0"),
        "factors[1].min",
        "greater than or equal to 0",
        id="range-beyond-policy-min",
    ),
    pytest.param(
        sampled("lhs").replace("min = 12\nmax = 48", "min = 0.2\nmax = 48"),
        "factors[2].min",
        "greater than or equal to 1",
        id="integer-field-rounds-out-of-range",
    ),
    pytest.param(
        'metrics = ["revenue_bn_yuan", "workfroce"]\n' + GRID,
        "metrics[1]",
        "no metric matches 'workfroce'; did you mean 'workforce'?",
        id="unknown-metric",
    ),
    pytest.param(
        'base = "missing.toml"\n' + GRID, "base", "file not found: missing.toml", id="no-base"
    ),
    pytest.param(GRID + "[[factors]]\n", "factors[2].path", "missing", id="factor-without-path"),
    pytest.param("design = 1\n" + GRID, "", "not valid TOML", id="not-toml"),
]


@pytest.mark.parametrize(("body", "key", "message"), BAD)
def test_bad_sweep_file_exits_2_with_one_message_and_no_store(
    tmp_path, monkeypatch, capsys, body, key, message
):
    monkeypatch.chdir(tmp_path)
    path = write_sweep(tmp_path, body)
    store = tmp_path / "store.duckdb"
    assert main(["sweep", str(path), "--store", str(store)]) == EXIT_BAD_INPUT
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    where = f"cqsim: error: {path}: {key}: " if key else f"cqsim: error: {path}: "
    assert err[0].startswith(where), err[0]
    assert message in err[0], err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.toml"]  # no store, no runs/


def test_error_in_the_base_scenario_names_the_base_file(tmp_path, capsys):
    base = tmp_path / "base.toml"
    base.write_text('name = "b"\n[run]\nscael = 3\n')
    path = write_sweep(tmp_path, GRID.replace("jinfeng_rent_cut.share", "x"), base=base)
    assert main(["sweep", str(path), "--store", str(tmp_path / "s.duckdb")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"cqsim: error: {base}: run.scael: unknown key"), err
    assert not (tmp_path / "s.duckdb").exists()


def test_workers_and_scheduler_are_exclusive(tmp_path, capsys):
    path = write_sweep(tmp_path, GRID)
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(path), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert exc.value.code == EXIT_BAD_INPUT
    assert "not allowed with argument" in capsys.readouterr().err


def test_unreachable_scheduler_is_reported_and_no_store_is_made(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(execute, "DASK_CONNECT_TIMEOUT", "1s")
    path = write_sweep(tmp_path, GRID)
    store = tmp_path / "s.duckdb"
    code = main(["sweep", str(path), "--store", str(store), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "--scheduler: cannot connect to a Dask scheduler at tcp://127.0.0.1:9" in err
    assert not store.exists()


def test_shipped_sweeps_are_valid():
    files = sorted((SCENARIOS / "sweeps").glob("*.toml"))
    designs = {load_sweep(f).design for f in files}
    assert {"grid", "sobol"} <= designs
    grid = load_sweep(SCENARIOS / "sweeps" / "rent_vs_talent_grid.toml")
    assert [f.path for f in grid.factors] == [
        "policies.jinfeng_rent_cut.share",
        "policies.city_housing_support.housing_subsidy_yuan_month",
    ]


def test_dry_run_shows_the_design_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = write_sweep(tmp_path, GRID)
    assert main(["sweep", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "grid design, 6 points x 2 replicates = 12 runs of 3 months" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.toml"]


# ----------------------------------------------------------------------------------------------
# Designs


def test_grid_is_every_combination_first_factor_slowest(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, GRID))
    assert sweep.n_points == 6 and sweep.n_runs == 12
    expected = [[a, b] for a in (0.2, 0.5, 0.8) for b in (6, 7)]
    np.testing.assert_array_equal(sweep.matrix, expected)


def test_lhs_puts_one_point_in_each_stratum_of_every_factor(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, sampled("lhs", samples=10)))
    assert sweep.matrix.shape == (10, 3)
    for j, f in enumerate(sweep.factors):
        u = (sweep.matrix[:, j] - f.low) / (f.high - f.low)
        assert sorted(np.floor(u * 10).astype(int)) == list(range(10))


def test_sobol_has_saltelli_size_and_depends_only_on_design_seed(tmp_path):
    a = load_sweep(write_sweep(tmp_path, sampled("sobol", samples=8), "a.toml"))
    assert a.matrix.shape == (8 * (3 + 2), 3)
    second = load_sweep(
        write_sweep(tmp_path, sampled("sobol", "second_order = true", samples=8), "b.toml")
    )
    assert second.matrix.shape == (8 * (2 * 3 + 2), 3)
    again = load_sweep(write_sweep(tmp_path, sampled("sobol", "seed = 5\ndesign_seed = 1", 8)))
    np.testing.assert_array_equal(a.matrix, again.matrix)
    other = load_sweep(write_sweep(tmp_path, sampled("sobol", "design_seed = 2", 8), "c.toml"))
    assert not np.array_equal(a.matrix, other.matrix)
    for j, f in enumerate(a.factors):
        assert f.low <= a.matrix[:, j].min() and a.matrix[:, j].max() <= f.high


def test_morris_trajectories_change_one_factor_at_a_time(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, sampled("morris", "levels = 4", samples=5)))
    d = len(sweep.factors)
    assert sweep.matrix.shape == (5 * (d + 1), d)
    for t in range(5):
        block = sweep.matrix[t * (d + 1) : (t + 1) * (d + 1)]
        changed = (np.diff(block, axis=0) != 0).sum(axis=1)
        assert changed.tolist() == [1] * d
        assert sorted(np.nonzero(np.diff(block, axis=0))[1].tolist()) == list(range(d))


def test_factor_values_reach_the_scenario_and_integers_round_half_up(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, sampled("lhs", samples=6)))
    months = sweep.factors[2]
    assert months.integer and not sweep.factors[0].integer
    assert months.apply_rounding(12.5) == 13 and months.apply_rounding(13.49) == 13
    for point in range(sweep.n_points):
        sc = sweep.scenario(point)
        x = sweep.matrix[point]
        assert sc.parameters["labour.quit_rate"] == x[0]
        (cut,) = [p for p in sc.policies if p.name == "jinfeng_rent_cut"]
        assert cut.share == x[1]
        assert cut.new_settler_months == math.floor(x[2] + 0.5)
        assert isinstance(cut.new_settler_months, int)
    assert sweep.base.policies == load_sweep(write_sweep(tmp_path, sampled("lhs"))).base.policies


def test_metrics_patterns_select_in_recorder_order(tmp_path):
    body = 'metrics = ["workforce", "park.*.occupancy", "revenue_bn_yuan"]\n' + GRID
    sweep = load_sweep(write_sweep(tmp_path, body))
    names = metric_names(load_parameters().park_ids)
    occupancy = [n for n in names if n.startswith("park.") and n.endswith(".occupancy")]
    assert sweep.metrics == ["revenue_bn_yuan", "workforce", *occupancy]


def test_changing_anything_that_shapes_results_changes_the_fingerprint(tmp_path):
    base = load_sweep(write_sweep(tmp_path, GRID, "a.toml")).fingerprint()
    same = load_sweep(write_sweep(tmp_path, 'description = "x"\n' + GRID, "b.toml"))
    assert same.fingerprint() == base
    for i, change in enumerate(
        [("replicates = 2", "replicates = 3"), ("0.8]", "0.9]"), ("2021-03", "2021-04")]
    ):
        other = load_sweep(write_sweep(tmp_path, GRID.replace(*change), f"c{i}.toml"))
        assert other.fingerprint() != base, change


def test_sweep_errors_are_scenario_errors(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_sweep(write_sweep(tmp_path, GRID.replace("[6, 7]", "[6, 13]")))
    assert exc.value.key == "factors[1].values[1]"


# ----------------------------------------------------------------------------------------------
# Paired seeds (common random numbers)


def test_replicate_k_of_every_point_uses_seed_plus_k_and_the_same_draws(tmp_path):
    # The rent cut starts in 2023, after this sweep ends: points differ only in a lever that is
    # not yet in force, so with paired seeds their trajectories must be identical.
    body = """
    design = "grid"
    replicates = 3
    seed = 40
    end = "2021-02"

    [[factors]]
    path = "policies.jinfeng_rent_cut.share"
    values = [0.2, 0.5, 0.8]
    """
    path = write_sweep(tmp_path, body)
    sweep = load_sweep(path)
    store = tmp_path / "s.duckdb"
    run_sweep(sweep, store=store, workers=1)
    runs = read_table(store, "runs")
    assert (runs["seed"] == 40 + runs["replicate"]).all()
    assert len(runs) == sweep.n_runs
    traj = read_table(store, "trajectories")
    wide = traj.pivot_table(
        index=["replicate", "date", "metric"], columns="point", values="value", dropna=False
    )
    for point in wide.columns[1:]:
        np.testing.assert_array_equal(wide[point].to_numpy(), wide[wide.columns[0]].to_numpy())
    by_rep = traj[traj["point"] == 0].pivot_table(
        index=["date", "metric"], columns="replicate", values="value"
    )
    assert not np.array_equal(by_rep[0].to_numpy(), by_rep[1].to_numpy())


def test_a_sweep_imports_no_pandas(tmp_path):
    """`cqsim sweep` with a posterior and an integer factor needs no pandas (0.3 s of its start)."""
    import subprocess
    import sys

    sweep = write_sweep(
        tmp_path,
        """
        design = "grid"
        replicates = 1
        end = "2021-02"

        [[factors]]
        path = "parameters.labour.graduate_month"
        values = [6, 7]
        """,
        base=SCENARIOS / "baseline.toml",
    )
    store = tmp_path / "s.duckdb"
    code = (
        "import sys\nfrom cqsim.cli import main\n"
        f"status = main(['sweep', {str(sweep)!r}, '--store', {str(store)!r}, '--workers', '2'])\n"
        "print(status, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.splitlines()[-1].split() == ["0", "False"], out.stderr[-2000:]
    assert len(read_table(store, "runs")) == 2


@settings(max_examples=60, deadline=None)
@given(
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30),
    ints=st.lists(st.integers(-(2**31), 2**31 - 1), max_size=30),
    names=st.lists(st.text(max_size=8), max_size=10),
    width=st.integers(1, 4),
)
def test_store_arrow_columns_hold_what_pyarrow_itself_would(floats, ints, names, width):
    """The store's Arrow arrays, built from buffers, are pyarrow's own conversions."""
    import pyarrow as pa

    from sim.sweeps.store import arrow_array, arrow_rows, arrow_strings

    for values in (np.array(floats, dtype=np.float64), np.array(ints, dtype=np.int32)):
        mine, theirs = arrow_array(values), pa.array(values)
        assert mine.type == theirs.type and mine.null_count == 0
        assert np.array_equal(mine.to_numpy(), values, equal_nan=True)
    dates = np.datetime64("2021-01-01") + np.arange(len(ints)).astype("timedelta64[D]")
    assert arrow_array(dates).equals(pa.array(dates))
    assert arrow_strings(names).equals(pa.array(names, type=pa.string()))
    matrix = np.array(floats[: len(floats) // width * width], dtype=np.float64).reshape(-1, width)
    rows = arrow_rows(matrix)
    assert rows.type == pa.list_(pa.float64()) and len(rows) == matrix.shape[0]
    assert str(rows.to_pylist()) == str(matrix.tolist())
    with pytest.raises(TypeError):
        arrow_array(np.array([True, False]))
