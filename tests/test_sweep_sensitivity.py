"""Sensitivity indices from a sweep store (SALib), as a table, a CSV and a plot.

Requirements: `cqsim sensitivity STORE --metric M --year Y` reports Sobol or Morris indices of
the metric aggregated over the year, one row per factor; a store whose design is neither, an
incomplete sweep, an unknown metric or a year outside the runs give one clear message and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cqsim.cli import EXIT_BAD_INPUT, main
from sim.sweeps import read_table, run_sweep, sensitivity
from sim.sweeps.store import SweepStore

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

FACTORS = """
[[factors]]
path = "parameters.firms.hiring_speed"
min = 0.05
max = 0.6

[[factors]]
path = "parameters.labour.quit_rate"
min = 0.004
max = 0.03

[[factors]]
path = "policies.jinfeng_rent_cut.share"
min = 0.0
max = 1.0
"""
PATHS = [
    "parameters.firms.hiring_speed",
    "parameters.labour.quit_rate",
    "policies.jinfeng_rent_cut.share",
]


def sweep_file(tmp: Path, name: str, design: str, extra: str) -> Path:
    path = tmp / f"{name}.toml"
    base = json.dumps(str(SCENARIOS / "rent_cut_jinfeng.toml"))
    path.write_text(
        f'name = "{name}"\nbase = {base}\ndesign = "{design}"\nend = "2021-12"\n{extra}\n{FACTORS}'
    )
    return path


@pytest.fixture(scope="module")
def sobol_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sobol")
    path = sweep_file(tmp, "tiny_sobol", "sobol", "samples = 8\nreplicates = 1")
    store = tmp / "sobol.duckdb"
    run_sweep(path, store=store, workers=2)
    return store


@pytest.fixture(scope="module")
def morris_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("morris")
    path = sweep_file(tmp, "tiny_morris", "morris", "samples = 4\nlevels = 4")
    store = tmp / "morris.duckdb"
    run_sweep(path, store=store, workers=2)
    return store


def test_sobol_indices_have_a_row_per_factor(sobol_store):
    result = sensitivity(sobol_store, "workforce", 2021)
    assert result.method == "sobol" and result.agg == "december"  # workforce is a stock
    assert result.table["factor"].tolist() == PATHS
    assert list(result.table.columns) == ["factor", "S1", "S1_conf", "ST", "ST_conf"]
    assert np.isfinite(result.table[["S1", "ST"]].to_numpy()).all()
    st = result.table.set_index("factor")["ST"]
    # Hiring speed and quit rate move 2021 employment; a rent cut starting 2023 cannot.
    assert st["policies.jinfeng_rent_cut.share"] == pytest.approx(0.0, abs=1e-9)
    assert st["parameters.firms.hiring_speed"] > 0.05 or st["parameters.labour.quit_rate"] > 0.05


def test_sobol_output_is_the_replicate_mean_of_the_aggregate(sobol_store, monkeypatch):
    seen = {}
    from SALib.analyze import sobol

    real = sobol.analyze

    def spy(problem, y, **kw):
        seen["y"] = np.array(y)
        return real(problem, y, **kw)

    monkeypatch.setattr(sobol, "analyze", spy)
    sensitivity(sobol_store, "revenue_bn_yuan", 2021, agg="sum")
    traj = read_table(sobol_store, "trajectories")
    rev = traj[traj["metric"] == "revenue_bn_yuan"]
    expected = rev.groupby(["point", "replicate"])["value"].sum().groupby("point").mean()
    np.testing.assert_allclose(seen["y"], expected.to_numpy(), rtol=1e-12)


def test_morris_indices_and_the_command_writes_table_and_plot(morris_store, tmp_path, capsys):
    result = sensitivity(morris_store, "revenue_bn_yuan", 2021)
    assert result.method == "morris" and result.agg == "sum"
    assert result.table["factor"].tolist() == PATHS
    assert {"mu", "mu_star", "sigma", "mu_star_conf"} <= set(result.table.columns)
    mu_star = result.table.set_index("factor")["mu_star"]
    assert mu_star["policies.jinfeng_rent_cut.share"] == 0.0
    assert mu_star["parameters.firms.hiring_speed"] > 0
    out = tmp_path / "plots" / "m.png"
    args = ["--metric", "revenue_bn_yuan", "--year", "2021", "--out", str(out)]
    code = main(["sensitivity", str(morris_store), *args])
    assert code == 0
    printed = capsys.readouterr().out
    for factor in PATHS:
        assert factor in printed
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(out.with_suffix(".csv"))
    assert csv["factor"].tolist() == PATHS


def test_default_plot_goes_next_to_the_store(sobol_store, capsys):
    assert main(["sensitivity", str(sobol_store), "--metric", "firms", "--year", "2021"]) == 0
    png = sobol_store.parent / "sobol.sensitivity.firms.2021.png"
    assert png.is_file() and png.with_suffix(".csv").is_file()


@pytest.mark.parametrize(
    ("args", "key", "message"),
    [
        (["--metric", "revenu_bn_yuan", "--year", "2021"], "--metric", "did you mean"),
        (["--metric", "revenue_bn_yuan", "--year", "2022"], "--year", "2021-01 to 2021-12"),
    ],
)
def test_bad_metric_or_year_exits_2(sobol_store, capsys, args, key, message):
    assert main(["sensitivity", str(sobol_store), *args]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"cqsim: error: {key}: ") and message in err, err


def test_a_grid_store_is_refused(tmp_path, capsys):
    path = tmp_path / "g.toml"
    base = json.dumps(str(SCENARIOS / "baseline.toml"))
    path.write_text(
        f'name = "g"\nbase = {base}\ndesign = "grid"\nend = "2021-01"\n'
        '[[factors]]\npath = "parameters.labour.quit_rate"\nvalues = [0.01]\n'
    )
    store = tmp_path / "g.duckdb"
    run_sweep(path, store=store, workers=1)
    assert main(["sensitivity", str(store), "--metric", "firms", "--year", "2021"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"cqsim: error: {store}: design: sensitivity indices need a sobol")
    assert not list(tmp_path.glob("*.png"))


def test_an_incomplete_sweep_is_refused(tmp_path, capsys):
    from sim.sweeps import load_sweep

    path = sweep_file(tmp_path, "part", "morris", "samples = 2")
    store = tmp_path / "part.duckdb"
    db = SweepStore.open(store, load_sweep(path))  # design stored, no run yet
    db.close()
    assert main(["sensitivity", str(store), "--metric", "firms", "--year", "2021"]) == 2
    assert "not complete: 0 of 8 runs stored" in capsys.readouterr().err


def test_a_missing_store_is_reported(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main(["sensitivity", str(missing), "--metric", "firms", "--year", "2021"]) == 2
    assert capsys.readouterr().err.strip() == f"cqsim: error: {missing}: store not found"
    assert not missing.exists()
