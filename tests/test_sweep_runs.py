"""Running sweeps: the store's values do not depend on how runs were executed, a killed sweep
resumes without losing or repeating a run, a store of another sweep is refused, export.

Requirements: 1 worker, 2 workers and a Dask LocalCluster give identical stored values; a sweep
killed with SIGKILL and started again with the same command runs only what is missing and ends
with the same values as an uninterrupted sweep; ``--export`` writes the store's tables as
Parquet.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cqsim.cli import EXIT_BAD_INPUT, main
from sim.sweeps import load_sweep, read_table, run_sweep
from sim.sweeps.store import TABLES

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
VALUE_TABLES = ("points", "runs", "trajectories")

# 3 lhs points x 2 replicates of a 4-month run, varying a parameter and a policy amount.
SMALL = """
name = "small"
base = {base}
design = "lhs"
samples = 3
replicates = 2
seed = 11
end = "2021-04"

[[factors]]
path = "parameters.firms.hiring_speed"
min = 0.1
max = 0.5

[[factors]]
path = "policies.science_city_rent_relief.share"
min = 0.2
max = 0.9
"""

# 4 x 4 grid x 3 replicates = 48 runs of 18 months, a subset of metrics: long enough to kill.
LONGER = """
name = "longer"
base = {base}
design = "grid"
replicates = 3
seed = 5
end = "2022-06"
metrics = ["revenue_bn_yuan", "workforce", "firms", "park.*.occupancy"]

[[factors]]
path = "parameters.labour.quit_rate"
values = [0.008, 0.012, 0.016, 0.02]

[[factors]]
path = "policies.city_housing_support.housing_subsidy_yuan_month"
values = [0, 600, 1200, 2400]
"""


def write(tmp_path: Path, template: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(template.format(base=json.dumps(str(SCENARIOS / "baseline.toml"))))
    return path


def tables(store: Path) -> dict[str, pd.DataFrame]:
    return {t: read_table(store, t) for t in VALUE_TABLES}


def assert_same_values(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for name in VALUE_TABLES:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """The small sweep file and its store, run in this process (1 worker)."""
    tmp = tmp_path_factory.mktemp("small")
    path = write(tmp, SMALL, "small.toml")
    store = tmp / "one.duckdb"
    summary = run_sweep(path, store=store, workers=1)
    assert summary.ran == 6 and summary.complete
    return path, store


@pytest.fixture(scope="module")
def longer(tmp_path_factory) -> tuple[Path, Path]:
    """The longer sweep file and its store, run uninterrupted with 2 workers."""
    tmp = tmp_path_factory.mktemp("longer")
    path = write(tmp, LONGER, "longer.toml")
    store = tmp / "ref.duckdb"
    run_sweep(path, store=store, workers=2)
    return path, store


# ----------------------------------------------------------------------------------------------
# Results do not depend on how they were run


def test_store_holds_every_run_once_with_its_design(small):
    path, store = small
    sweep = load_sweep(path)
    t = tables(store)
    assert len(t["points"]) == 3
    assert list(t["points"].columns) == [
        "point",
        "parameters.firms.hiring_speed",
        "policies.science_city_rent_relief.share",
        "sample",
    ]
    for row in t["points"].itertuples(index=False):
        assert list(row[3]) == list(sweep.matrix[row[0]])
    assert sorted(zip(t["runs"]["point"], t["runs"]["replicate"], strict=True)) == [
        (p, k) for p in range(3) for k in range(2)
    ]
    traj = t["trajectories"]
    assert list(traj.columns) == [
        "point",
        "scenario",
        "replicate",
        "seed",
        "date",
        "metric",
        "value",
    ]
    assert len(traj) == 6 * 4 * len(sweep.metrics)
    assert set(traj["scenario"]) == {"baseline"}
    assert traj["date"].dt.day.eq(1).all()
    assert not traj.duplicated(["point", "replicate", "date", "metric"]).any()


def test_two_workers_and_a_dask_cluster_store_the_same_values(small, tmp_path):
    from distributed import LocalCluster

    path, one = small
    two = tmp_path / "two.duckdb"
    run_sweep(path, store=two, workers=2)
    assert_same_values(one, two)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = tmp_path / "dask.duckdb"
        summary = run_sweep(path, store=dask, scheduler=cluster.scheduler_address)
        assert summary.ran == 6
    assert_same_values(one, dask)


def test_a_stored_run_equals_a_plain_run_of_its_scenario(small):
    import sim

    path, store = small
    sweep = load_sweep(path)
    traj = read_table(store, "trajectories")
    got = traj[(traj["point"] == 2) & (traj["replicate"] == 1)]
    plain = sim.run(sweep.scenario(2), replicates=2, seed=11).trajectories
    plain = plain[plain["replicate"] == 1].sort_values(["date", "metric"])
    assert got["value"].to_numpy().tolist() == plain["value"].to_numpy().tolist()
    assert (got["seed"] == 12).all()


# ----------------------------------------------------------------------------------------------
# Resume


def test_running_a_complete_sweep_again_runs_nothing(small, capsys):
    path, store = small
    before = tables(store)
    assert main(["sweep", str(path), "--store", str(store), "--quiet"]) == 0
    assert "nothing to run" in capsys.readouterr().out
    after = tables(store)
    for name in VALUE_TABLES:
        pd.testing.assert_frame_equal(before[name], after[name], check_exact=True)


def test_a_store_of_another_sweep_is_refused_and_left_alone(small, tmp_path, capsys):
    path, store = small
    changed = tmp_path / "changed.toml"
    changed.write_text(path.read_text().replace("replicates = 2", "replicates = 3"))
    size = store.stat().st_size
    assert main(["sweep", str(changed), "--store", str(store)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"cqsim: error: {store}: manifest: this store holds another sweep")
    assert "differ in: replicates" in err
    assert store.stat().st_size == size
    assert len(read_table(store, "runs")) == 6


def _sweep_command(path: Path, store: Path, workers: int) -> list[str]:
    cli = [sys.executable, "-m", "cqsim", "sweep", str(path)]
    return [*cli, "--store", str(store), "--workers", str(workers)]


def _start_and_stop_after(
    cmd: list[str], runs: int, sig: int, cwd: Path, group: bool = False
) -> tuple[subprocess.Popen, list[int], str]:
    """Start a sweep; once its progress bar shows `runs` runs done, send it `sig`.

    With `group`, the sweep runs in its own session and the signal goes to its whole process
    group, as Ctrl-C in a terminal does. Returns the process, the ids of its worker processes at
    that moment, and its stderr.
    """
    proc = subprocess.Popen(cmd, cwd=cwd, stderr=subprocess.PIPE, start_new_session=group)
    seen = threading.Event()
    chunks: list[bytes] = []

    def read() -> None:
        pattern = re.compile(rb"(\d+)/\d+ runs")
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):
            chunks.append(chunk)
            done = [int(n) for n in pattern.findall(b"".join(chunks)[-400:])]
            if done and max(done) >= runs:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert seen.wait(timeout=120), b"".join(chunks).decode(errors="replace")
    children = _children(proc.pid)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    return proc, children, b"".join(chunks).decode(errors="replace")


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _check_consistent(store: Path, n_values: int) -> int:
    """Every stored run has all its rows and no rows lack a run; returns the runs stored."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        runs = con.execute(
            "SELECT count(*), count(DISTINCT (point, replicate)) FROM runs"
        ).fetchone()
        assert runs[0] == runs[1]
        bad = con.execute(
            "SELECT count(*) FROM (SELECT point, replicate, count(*) AS n FROM trajectories "
            "GROUP BY ALL) t FULL JOIN runs r USING (point, replicate) "
            "WHERE r.seed IS NULL OR t.n IS DISTINCT FROM ?",
            [n_values],
        ).fetchone()[0]
        assert bad == 0
    finally:
        con.close()
    return runs[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigkilled_sweep_resumes_with_nothing_lost_or_repeated(longer, tmp_path):
    path, reference = longer
    sweep = load_sweep(path)
    n_values = sweep.months * len(sweep.metrics)
    store = tmp_path / "killed.duckdb"
    proc, children, _ = _start_and_stop_after(
        _sweep_command(path, store, workers=2), 8, signal.SIGKILL, tmp_path
    )
    assert proc.returncode == -signal.SIGKILL
    assert len(children) >= 2  # the worker processes
    deadline = time.monotonic() + 10
    while not all(_gone(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(c) for c in children), "worker processes outlived the killed sweep"
    stored = _check_consistent(store, n_values)
    assert 8 <= stored < sweep.n_runs
    summary = run_sweep(path, store=store, workers=2)
    assert summary.already_done == stored
    assert summary.ran == sweep.n_runs - stored
    assert _check_consistent(store, n_values) == sweep.n_runs
    assert_same_values(reference, store)


# Ctrl-C in a terminal: SIGINT to the sweep and its workers (Python's handler made explicit,
# since a shell may start background processes with SIGINT ignored).
CTRL_C = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from cqsim.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize(
    ("sig", "workers", "group"),
    [(signal.SIGTERM, 1, False), (signal.SIGINT, 2, True)],
    ids=["sigterm-1-worker", "ctrl-c-2-workers"],
)
def test_sigterm_or_ctrl_c_stops_cleanly_and_says_how_to_resume(
    longer, tmp_path, sig, workers, group
):
    path, reference = longer
    store = tmp_path / "stopped.duckdb"
    cmd = _sweep_command(path, store, workers)
    if group:
        cmd = [sys.executable, "-c", CTRL_C, *cmd[3:]]
    proc, _, err = _start_and_stop_after(cmd, 5, sig, tmp_path, group=group)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    match = re.search(r"interrupted; (\d+) of 48 runs are stored in .*run the same command", err)
    assert match, err
    sweep = load_sweep(path)
    stored = _check_consistent(store, sweep.months * len(sweep.metrics))
    assert stored == int(match.group(1))
    manifest = read_table(store, "manifest").set_index("key")["value"]
    log = json.loads(manifest["sessions"])
    assert log[-1]["interrupted"] and log[-1]["runs"] == stored
    assert main(["sweep", str(path), "--store", str(store), "--quiet", "--workers", "2"]) == 0
    assert_same_values(reference, store)


# ----------------------------------------------------------------------------------------------
# Export


def test_export_writes_the_store_tables_as_parquet(small, tmp_path, capsys):
    path, store = small
    out = tmp_path / "exported"
    assert main(["sweep", str(path), "--store", str(store), "--export", str(out)]) == 0
    assert "as Parquet to" in capsys.readouterr().out
    tables = sorted(f"{t}.parquet" for t in TABLES)
    assert sorted(p.name for p in out.iterdir()) == sorted([*tables, "manifest.json"])
    mark = json.loads((out / "manifest.json").read_text())["cqsim_output"]
    assert mark["kind"] == "sweep-export" and sorted(mark["files"]) == sorted(
        [*tables, "manifest.json"]
    )  # the folder is cqsim's: a later export may replace it, and keeps the user's files
    for name in VALUE_TABLES:
        stored = read_table(store, name)
        written = pd.read_parquet(out / f"{name}.parquet")
        if name == "points":
            stored["sample"] = stored["sample"].map(list)
            written["sample"] = written["sample"].map(list)
        pd.testing.assert_frame_equal(written, stored, check_exact=True, obj=name)
    manifest = pd.read_parquet(out / "manifest.parquet").set_index("key")["value"]
    assert json.loads(manifest["name"]) == "small"
    assert json.loads(manifest["runs"]) == 6


def test_export_to_a_file_is_refused_before_running(small, tmp_path, capsys):
    path, _ = small
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = tmp_path / "new.duckdb"
    code = main(["sweep", str(path), "--store", str(store), "--export", str(blocker)])
    assert code == EXIT_BAD_INPUT
    assert "--export: " in capsys.readouterr().err
    assert not store.exists()


def test_default_store_is_under_runs(small, tmp_path, monkeypatch):
    path, _ = small
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", str(path), "--quiet", "--workers", "1"]) == 0
    assert (tmp_path / "runs" / "small.duckdb").is_file()
    assert os.listdir(tmp_path / "runs") == ["small.duckdb"]


# ----------------------------------------------------------------------------------------------
# A base scenario with a posterior; a run that fails


def test_posterior_draws_follow_the_seed_and_factors_keep_their_values(tmp_path):
    import sim

    pd.DataFrame(
        {
            "labour.quit_rate": [0.006, 0.012, 0.02],
            "firms.hiring_speed": [0.1, 0.3, 0.5],
            "weight": [1.0, 1.0, 1.0],
        }
    ).to_parquet(tmp_path / "post.parquet")
    base = tmp_path / "base.toml"
    base.write_text(
        f'name = "with_posterior"\nextends = {json.dumps(str(SCENARIOS / "baseline.toml"))}\n'
        '[run]\nposterior = "post.parquet"\n'
    )
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "p"\nbase = "base.toml"\ndesign = "grid"\nreplicates = 3\nseed = 21\n'
        'end = "2021-03"\n[[factors]]\npath = "parameters.firms.hiring_speed"\n'
        "values = [0.2, 0.4]\n"
    )
    sweep = load_sweep(path)
    store = tmp_path / "p.duckdb"
    run_sweep(sweep, store=store, workers=1)
    traj = read_table(store, "trajectories")
    for point in (0, 1):
        scenario = sweep.scenario(point)
        assert scenario.run.posterior
        plain = sim.run(scenario, replicates=3, seed=21).trajectories
        plain = plain.sort_values(["replicate", "date", "metric"])
        got = traj[traj["point"] == point]
        assert got["value"].tolist() == plain["value"].tolist()
        drawn = sweep.run_scenario(scenario, 1).parameters
        assert drawn["firms.hiring_speed"] == [0.2, 0.4][point]
        assert drawn["labour.quit_rate"] in (0.006, 0.012, 0.02)
    assert sweep.definition()["posterior_sha256"]


def test_a_failing_run_stops_the_sweep_and_keeps_the_runs_before_it(
    small, tmp_path, monkeypatch, capsys
):
    from sim.sweeps import execute

    path, _ = small
    real = execute.simulate

    def fail_on_third_point(scenario, seed, params):
        if scenario.parameters["firms.hiring_speed"] == load_sweep(path).matrix[2, 0]:
            raise FloatingPointError("boom")
        return real(scenario, seed, params)

    monkeypatch.setattr(execute, "simulate", fail_on_third_point)
    store = tmp_path / "f.duckdb"
    code = main(["sweep", str(path), "--store", str(store), "--workers", "1", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("cqsim: error: run of design point 2, replicate 0 (seed 11) failed:")
    assert "FloatingPointError: boom" in err and err.endswith("are stored")
    assert len(read_table(store, "runs")) == 4


def test_a_stopped_sweep_cancels_its_tasks_on_the_dask_cluster(longer, tmp_path):
    """SIGTERM of a sweep running on a cluster: the tasks it had sent are cancelled (issue 14)."""
    from distributed import Client, LocalCluster

    path, _ = longer
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster.scheduler_address) as client,
    ):
        cmd = [sys.executable, "-m", "cqsim", "sweep", str(path), "--store", "d.duckdb"]
        cmd += ["--scheduler", cluster.scheduler_address]
        proc, _, _ = _start_and_stop_after(cmd, 4, signal.SIGTERM, tmp_path)
        assert proc.returncode == 130

        def tasks(dask_scheduler) -> int:
            return sum(1 for key in dask_scheduler.tasks if "cqsim-run" in str(key))

        deadline = time.monotonic() + 10
        while client.run_on_scheduler(tasks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(tasks) == 0, "tasks of the stopped sweep are left queued"
