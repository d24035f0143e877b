"""`cqsim optimize`: bad files refused before anything runs, a search that is reproducible,
resumable and writes scenario files `cqsim run` accepts, and the front it reports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from cqsim.cli import main
from sim.scenario import load_scenario

LEVERS = Path(sim.__file__).resolve().parent.parent / "scenarios" / "optimize" / "levers.toml"
SHIPPED = LEVERS.parent

TINY = f"""
name = "tiny"
base = "{LEVERS.as_posix()}"
candidates = {{candidates}}
population = 2
seeds = 2
seed = 500
check_seeds = 2
check_packages = 2
scale = 50

[[levers]]
path = "policies.extra_talent.housing_subsidy_yuan_month"
min = 0
max = 3000
step = 100

[[levers]]
path = "policies.extra_scenarios.per_month"
min = 0
max = 300
step = 10

[[objectives]]
minimize = "cost"

[[objectives]]
maximize = "mean:cq_new_practitioners_2025"

[[constraints]]
metric = "extra_cost"
max = {{budget}}
"""


def _write(tmp_path: Path, candidates: int = 4, budget: float = 30.0, name="tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(TINY.format(candidates=candidates, budget=budget), encoding="utf-8")
    return path


def _optimize(tmp_path: Path, opt: Path, *extra: str, tag: str = "a") -> int:
    return main(
        [
            "optimize",
            str(opt),
            "--store",
            str(tmp_path / f"{tag}.optuna.db"),
            "--out",
            str(tmp_path / f"out_{tag}"),
            "--quiet",
            *extra,
        ]
    )


# ---------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (("candidates = 4", "candidatez = 4"), "candidatez", "unknown key 'candidatez'"),
        (('minimize = "cost"', 'minimize = "kost"'), "objectives[0].minimize", "did you mean"),
        (
            ("mean:cq_new_practitioners_2025", "mean:cq_new_practitioner_2025"),
            "objectives[1].maximize",
            "unknown target",
        ),
        (
            ("extra_talent.housing", "extra_talnt.housing"),
            "levers[0].path",
            "no policy named 'extra_talnt'",
        ),
        (("max = 3000", "max = -5"), "levers[0].max", "must be greater than min"),
        (("max = 300\n", "max = 5000\n"), "levers[1].max", "less than or equal to 2000"),
        (('metric = "extra_cost"', 'metric = "p_all"'), "constraints[0]", "probability"),
        (("seeds = 2", 'seeds = "two"'), "seeds", "integer"),
    ],
)
def test_bad_optimisation_files_get_one_message_and_exit_2(tmp_path, capsys, change, key, words):
    opt = _write(tmp_path)
    opt.write_text(opt.read_text().replace(*change, 1))
    assert _optimize(tmp_path, opt) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "tiny.toml" in err[0] and key in err[0] and words in err[0], err[0]
    assert not (tmp_path / "a.optuna.db").exists()
    assert not (tmp_path / "out_a").exists()


def test_a_missing_base_scenario_is_named(tmp_path, capsys):
    opt = _write(tmp_path)
    opt.write_text(opt.read_text().replace(LEVERS.as_posix(), "nowhere.toml"))
    assert _optimize(tmp_path, opt) == 2
    assert "base: file not found: nowhere.toml" in capsys.readouterr().err


def test_shipped_optimisation_files_check(capsys):
    for path in sorted(SHIPPED.glob("*.toml")):
        if path.name == "levers.toml":
            continue
        assert main(["optimize", str(path), "--dry-run"]) == 0, path
    out = capsys.readouterr().out
    assert "cheapest_all_targets" in out and "budget_practitioners" in out


def test_a_store_that_is_not_an_optimisation_is_refused(tmp_path, capsys):
    opt = _write(tmp_path)
    (tmp_path / "a.optuna.db").write_text("my notes")
    assert _optimize(tmp_path, opt) == 2
    assert "not a cqsim optimisation store" in capsys.readouterr().err
    assert (tmp_path / "a.optuna.db").read_text() == "my notes"


# ----------------------------------------------------------------------------- a real search


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A four-package search, and the same search run again with two workers."""
    tmp = tmp_path_factory.mktemp("opt")
    opt = _write(tmp)
    assert _optimize(tmp, opt, "--workers", "1", tag="one") == 0
    assert _optimize(tmp, opt, "--workers", "2", tag="two") == 0
    return tmp, opt


def test_the_search_is_the_same_whatever_the_number_of_workers(searched):
    tmp, _ = searched
    one = pd.read_csv(tmp / "out_one" / "candidates.csv")
    two = pd.read_csv(tmp / "out_two" / "candidates.csv")
    assert len(one) == 4
    pd.testing.assert_frame_equal(one, two)


def test_the_first_candidate_is_the_base_and_costs_nothing_extra(searched):
    tmp, _ = searched
    table = pd.read_csv(tmp / "out_one" / "candidates.csv")
    first = table.iloc[0]
    assert first["policies.extra_talent.housing_subsidy_yuan_month"] == 0
    assert first["extra_cost"] == 0
    # a package that pays more housing support or releases more projects costs more
    dearer = table[
        (table["policies.extra_talent.housing_subsidy_yuan_month"] > 0)
        | (table["policies.extra_scenarios.per_month"] > 0)
    ]
    assert len(dearer) > 0 and (dearer["extra_cost"] > 0).all()


def test_the_front_is_non_dominated_and_its_packages_run(searched, capsys):
    tmp, _ = searched
    out = tmp / "out_one"
    front = pd.read_csv(out / "front.csv")
    cands = pd.read_csv(out / "candidates.csv")
    feasible = cands[cands["feasible"]]
    # written out pairwise, not with the module's own non_dominated: a feasible package is on
    # the front when no other is as cheap and adds as many practitioners, and better in one
    cost = feasible["cost"].to_numpy()
    added = feasible["mean:cq_new_practitioners_2025"].to_numpy()
    on_front = {
        int(c)
        for i, c in enumerate(feasible["candidate"])
        if not any(
            cost[j] <= cost[i]
            and added[j] >= added[i]
            and (cost[j] < cost[i] or added[j] > added[i])
            for j in range(len(cost))
        )
    }
    assert set(front["candidate"]) == on_front
    files = sorted((out / "packages").glob("*.toml"))
    assert len(files) == len(front)
    scenario = load_scenario(files[0])
    assert scenario.run.end == "2030-12"  # the base's horizon, not the search's
    assert main(["validate", str(files[0])]) == 0
    summary = (out / "summary.md").read_text()
    assert summary.splitlines()[2].startswith("The cheapest package that meets extra_cost <= 30")
    check = pd.read_csv(out / "fresh_seed_check.csv")
    assert len(check) == min(2, len(front)) and (check["seeds"] == 2).all()
    assert (out / "pareto.png").stat().st_size > 10_000


def test_a_figure_of_the_search_is_what_cqsim_run_gives_for_that_package(searched):
    tmp, _ = searched
    out = tmp / "out_one"
    cands = pd.read_csv(out / "candidates.csv")
    row = cands.iloc[-1]
    doc = (out / "packages").glob("*.toml")
    del doc
    from sim.optimize.spec import load_optimization

    opt = load_optimization(_write(tmp, name="again.toml"))
    values = {lv.path: row[lv.path] for lv in opt.levers}
    values = {k: (int(v) if float(v).is_integer() else float(v)) for k, v in values.items()}
    result = sim.run(opt.scenario(values), replicates=2, seed=500)
    costs = (
        result.trajectories.query("metric == 'policy_cost_bn_yuan'")
        .assign(year=lambda d: pd.to_datetime(d["date"]).dt.year)
        .query("year <= 2025")
        .groupby("replicate")["value"]
        .sum()
    )
    assert costs.mean() == pytest.approx(row["cost"], rel=1e-12)


def test_more_candidates_resume_the_stored_search(searched):
    tmp, _ = searched
    opt = _write(tmp, candidates=5)
    store = tmp / "one.optuna.db"
    before = pd.read_csv(tmp / "out_one" / "candidates.csv")
    t0 = time.perf_counter()
    assert _optimize(tmp, opt, "--workers", "1", tag="one") == 0
    after = pd.read_csv(tmp / "out_one" / "candidates.csv")
    assert len(after) == 5
    pd.testing.assert_frame_equal(after.iloc[:4].reset_index(drop=True), before)
    assert store.exists()
    assert time.perf_counter() - t0 < 60


def test_a_changed_file_does_not_resume_another_search(searched, capsys):
    tmp, _ = searched
    opt = _write(tmp, budget=10.0, name="changed.toml")
    assert _optimize(tmp, opt, tag="one") == 2
    assert "another version of this file" in capsys.readouterr().err


def test_a_killed_search_continues_without_losing_or_repeating_a_package(tmp_path):
    opt = _write(tmp_path, candidates=6)
    cmd = [
        sys.executable,
        "-m",
        "cqsim",
        "optimize",
        str(opt),
        "--store",
        str(tmp_path / "k.db"),
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "2",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import sqlite3

    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
        if (tmp_path / "k.db").exists():
            try:
                con = sqlite3.connect(tmp_path / "k.db")
                done = con.execute(
                    "SELECT count(*) FROM trials WHERE state = 'COMPLETE'"
                ).fetchone()[0]
                con.close()
            except sqlite3.Error:
                continue
            if done >= 2:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 2
    assert not (tmp_path / "out").exists()  # nothing half-written
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    table = pd.read_csv(tmp_path / "out" / "candidates.csv")
    assert len(table) == 6
    assert table["candidate"].is_unique


def test_cqsim_report_on_the_result_puts_the_answer_first(searched):
    tmp, _ = searched
    out = tmp / "out_two"
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    answer = page.index("The answer")
    assert page.index("The cheapest package that meets extra_cost") > answer
    assert page.index("The Pareto front") > page.index("The cheapest package")
    assert "data:image/png;base64," in page


def test_a_search_on_a_dask_cluster_finds_the_same_packages(searched, tmp_path):
    from distributed import LocalCluster

    tmp, _ = searched
    opt = _write(tmp_path)  # the fixture's four packages (its file may have been extended since)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True
    ) as cluster:
        assert _optimize(tmp_path, opt, "--scheduler", cluster.scheduler_address, tag="dask") == 0
    dask = pd.read_csv(tmp_path / "out_dask" / "candidates.csv")
    two = pd.read_csv(tmp / "out_two" / "candidates.csv")
    assert len(dask) == 4
    pd.testing.assert_frame_equal(dask, two)


def test_the_front_keeps_only_packages_no_other_feasible_package_beats():
    from types import SimpleNamespace

    from sim.optimize.results import pareto_front
    from sim.optimize.spec import Objective

    opt = SimpleNamespace(
        levers=[SimpleNamespace(path="lever")],
        objectives=[Objective("cost", "minimize"), Objective("p_all", "maximize")],
    )
    table = pd.DataFrame(
        {
            "candidate": [0, 1, 2, 3, 4, 5],
            "lever": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "cost": [10.0, 12.0, 12.0, 20.0, 5.0, 30.0],
            "p_all": [0.5, 0.8, 0.6, 0.9, 1.0, 0.85],
            "feasible": [True, True, True, True, False, True],
        }
    )
    # 2 is beaten by 1 (as dear, less likely), 5 by 3; 4 beats all but is infeasible
    assert pareto_front(opt, table)["candidate"].tolist() == [0, 1, 3]
    none = table.assign(feasible=False)  # nothing feasible: the front of all packages
    assert pareto_front(opt, none)["candidate"].tolist() == [4]
