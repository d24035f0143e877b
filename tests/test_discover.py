"""`cqsim discover`: PRIM boxes over a sweep store, with the calibrated draws as uncertainties."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from analysis.discover import cases, discover
from cqsim.cli import main

LEVERS = Path(sim.__file__).resolve().parent.parent / "scenarios" / "optimize" / "levers.toml"
SWEEP = f"""
name = "disc"
base = "{LEVERS.as_posix()}"
design = "lhs"
samples = {{samples}}
replicates = {{replicates}}
seed = 7
end = "2025-12"
scale = 50
metrics = ["revenue_bn_yuan", "workforce"]

[[factors]]
path = "policies.extra_scenarios.per_month"
min = 0
max = 300

[[factors]]
path = "parameters.demand.growth_scale"
min = 0.4
max = 1.2
"""


def _store(tmp: Path, samples: int, replicates: int) -> Path:
    spec = tmp / "sweep.toml"
    spec.write_text(SWEEP.format(samples=samples, replicates=replicates), encoding="utf-8")
    store = tmp / "disc.duckdb"
    assert main(["sweep", str(spec), "--store", str(store), "--quiet"]) == 0
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """24 points of extra application scenarios and market growth, one seed each."""
    return _store(tmp_path_factory.mktemp("disc"), samples=24, replicates=1)


def test_the_box_for_the_revenue_target_asks_for_faster_market_growth(store):
    d = discover(store, "cq_revenue_2025", threshold=0.8)
    assert 0 < d.of_interest < d.cases  # the sweep's range spans the target
    box = d.limits.set_index("dimension")
    growth = box.loc["demand.growth_scale"]
    assert growth["restricted"] and growth["low"] > growth["range_low"]
    assert d.box["density"] > d.of_interest / d.cases  # denser than the runs as a whole


def test_discover_writes_the_plot_and_the_limits(store, tmp_path, capsys):
    out = tmp_path / "box.png"
    assert main(["discover", str(store), "--target", "cq_revenue_2025", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "met in" in text and "covers" in text
    table = pd.read_csv(out.with_suffix(".csv"))
    assert set(table["dimension"]) == {"extra_scenarios.per_month", "demand.growth_scale"}
    assert out.stat().st_size > 10_000
    # run again: cqsim replaces what it wrote itself
    assert main(["discover", str(store), "--out", str(out)]) == 0


def test_the_calibrated_draws_are_uncertain_dimensions(tmp_path):
    store = _store(tmp_path, samples=4, replicates=2)
    x, y, target = cases(store, "cq_new_practitioners_2025")
    assert len(x) == 8 and len(y) == 8
    assert "labour.switch_base" in x.columns  # drawn per seed from the posterior
    assert "demand.growth_scale" in x.columns  # swept: the factor's value, not the draw
    assert target["id"] == "cq_new_practitioners_2025"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--target", "cq_revenue_2052"], "unknown target 'cq_revenue_2052'"),
        (["--target", "sc_revenue_2025"], "lacks the metric"),
        (["--threshold", "0"], "a density from 0 to 1"),
    ],
)
def test_bad_questions_get_one_message_and_exit_2(store, tmp_path, capsys, args, words):
    out = tmp_path / "x.png"
    assert main(["discover", str(store), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert not out.exists()


def test_a_file_that_is_not_a_store_is_named(tmp_path, capsys):
    bad = tmp_path / "notes.duckdb"
    bad.write_text("my notes")
    assert main(["discover", str(bad), "--out", str(tmp_path / "x.png")]) == 2
    assert "notes.duckdb" in capsys.readouterr().err
    assert bad.read_text() == "my notes"
