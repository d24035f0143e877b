"""Calibration with ABC-SMC, posterior files, and runs that draw from a posterior."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from cqsim.cli import main
from sim.calibrate import calibrate, load_config
from sim.params import load_parameters
from sim.posterior import draw, load_posterior, summarise
from sim.scenario import ScenarioError

SCENARIOS = Path(sim.__file__).resolve().parent.parent / "scenarios"

TINY = f"""
name = "tiny"
scenario = "{SCENARIOS / "baseline.toml"}"
end = "2022-12"
scale = 20
population = 6
generations = 2
max_simulations = 200
max_minutes = 5
workers = 1
output = "post.parquet"

[[priors]]
parameter = "init.productivity_yuan_per_person_month"
low = 80000
high = 110000

[[priors]]
parameter = "migration.in_base"
low = 1000
high = 3000

[[targets]]
id = "cq_revenue_2021"
tolerance = 0.02

[[targets]]
id = "sc_firms_2022"
tolerance = 0.1
"""


def test_shipped_calibration_file_is_valid():
    config = load_config(SCENARIOS / "calibration.toml")
    assert config.priors and config.targets


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        (("low = 80000", "low = 120000"), "priors[0]", "low < high"),
        (("migration.in_base", "migration.in_bse"), "priors[1].parameter", "did you mean"),
        (('id = "sc_firms_2022"', 'id = "sc_firm_2022"'), "targets[1].id", "did you mean"),
        (("population = 6", "populaton = 6"), "populaton", "unknown key"),
        (("low = 1000\n", "low = -5\n"), "priors[1]", "range"),
        # a whole-number parameter's draws are rounded: a prior between whole numbers is refused
        (("low = 1000\n", "low = 1000.5\n"), "priors[1]", "whole number"),
    ],
)
def test_bad_calibration_files_name_file_and_key(tmp_path, edit, key, fragment):
    path = tmp_path / "cal.toml"
    path.write_text(TINY.replace(*edit))
    with pytest.raises(ScenarioError) as info:
        load_config(path)
    assert info.value.key == key
    assert fragment in info.value.message
    assert main(["calibrate", str(path)]) == 2
    assert not (tmp_path / "post.parquet").exists()


def test_tiny_calibration_writes_a_posterior_and_resumes(tmp_path):
    path = tmp_path / "cal.toml"
    path.write_text(TINY)
    first = calibrate(path, progress=False)
    posterior = pd.read_parquet(tmp_path / "post.parquet")
    assert set(posterior.columns) == {
        "init.productivity_yuan_per_person_month",
        "migration.in_base",
        "weight",
    }
    assert len(posterior) == 6
    assert posterior["weight"].sum() == pytest.approx(1.0)
    assert first["generations"] == 2 and not first["resumed"]
    # Asking for one more generation continues the stored history instead of starting over.
    path.write_text(TINY.replace("generations = 2", "generations = 3"))
    second = calibrate(path, progress=False)
    assert second["resumed"] and second["generations"] == 3
    assert second["simulations"] > first["simulations"]
    # A changed definition is refused rather than mixed into the old history.
    path.write_text(TINY.replace("tolerance = 0.02", "tolerance = 0.05"))
    with pytest.raises(ScenarioError, match="other settings"):
        calibrate(path, progress=False)


def base_posterior(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "migration.in_base": rng.uniform(1500, 2500, 50),
            "firms.focus_utility": rng.uniform(0, 1, 50),
            "weight": rng.uniform(0.5, 1.5, 50),
        }
    )
    path = tmp_path / "posterior.parquet"
    frame.to_parquet(path, index=False)
    return path


def test_draws_depend_on_the_seed_only(tmp_path):
    posterior = load_posterior(base_posterior(tmp_path), load_parameters())
    assert draw(posterior, 7) == draw(posterior, 7)
    assert len({tuple(draw(posterior, s).values()) for s in range(20)}) > 5
    summary = summarise(posterior).set_index("parameter")
    assert summary.loc["migration.in_base", "p5"] <= summary.loc["migration.in_base", "median"]


def test_runs_with_a_posterior_share_draws_across_scenarios(tmp_path):
    path = base_posterior(tmp_path)
    runs = {
        name: sim.run(
            SCENARIOS / f"{name}.toml", replicates=3, seed=5, end="2021-03", posterior=path
        )
        for name in ("baseline", "no_policy")
    }
    a = runs["baseline"].manifest["posterior_draws"]
    b = runs["no_policy"].manifest["posterior_draws"]
    assert a == b
    assert len({json.dumps(v, sort_keys=True) for v in a.values()}) == 3
    plain = sim.run(
        SCENARIOS / "baseline.toml", replicates=1, seed=5, end="2021-03", posterior=False
    )
    assert plain.manifest["posterior_draws"] is None


def test_bad_posterior_file_is_bad_input(tmp_path):
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"no_such.parameter": [1.0], "weight": [1.0]}).to_parquet(bad)
    out = tmp_path / "out"
    args = ["run", str(SCENARIOS / "baseline.toml"), "--end", "2021-02", "-n", "1"]
    assert main([*args, "--posterior", str(bad), "--out", str(out), "--quiet"]) == 2
    assert not out.exists()
    assert main([*args, "--posterior", str(tmp_path / "missing.parquet"), "--out", str(out)]) == 2
    assert not out.exists()


def test_tiny_calibration_runs_on_a_dask_cluster(tmp_path):
    from distributed import LocalCluster

    path = tmp_path / "cal.toml"
    path.write_text(TINY.replace("generations = 2", "generations = 1"))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        summary = calibrate(path, progress=False, scheduler=cluster.scheduler_address)
        ran_on_cluster = sum(
            sum(prefix.states.values()) + len(prefix.all_durations)
            for prefix in cluster.scheduler.task_prefixes.values()
        )
    assert ran_on_cluster > 0  # the simulations went to the cluster's workers
    posterior = pd.read_parquet(tmp_path / "post.parquet")
    assert summary["generations"] == 1 and len(posterior) == 6
    assert posterior["weight"].sum() == pytest.approx(1.0)
    low, high = 80000, 110000  # the prior's bounds
    values = posterior["init.productivity_yuan_per_person_month"]
    assert values.between(low, high).all()
