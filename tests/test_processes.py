"""No worker outlives its command: SIGKILL, SIGTERM or SIGHUP of `cqsim run`, `compare` or
`calibrate` (pyabc's processes too) leaves no worker alive within a few seconds, and nothing
half-written (issue 14). Sweeps are covered in test_sweep_runs.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
CQSIM = [sys.executable, "-m", "cqsim"]
GONE_WITHIN_S = 3.0


def descendants(pid: int) -> list[int]:
    """Every live process below pid (children, grandchildren...)."""
    parent_of: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parent_of[int(stat.parent.name)] = int(fields[1])
    out, frontier = [], [pid]
    while frontier:
        here = frontier.pop()
        kids = [p for p, pp in parent_of.items() if pp == here]
        out += kids
        frontier += kids
    return out


def alive(pid: int) -> bool:
    """Running (a zombie waiting for this machine's init to reap it is dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _default_stop_signals() -> None:
    """In the child: SIGTERM, SIGHUP and SIGINT at their defaults, as from a shell.

    An ignored signal is inherited across exec, and cqsim keeps an ignored SIGTERM or SIGHUP
    ignored (as under nohup): the command must not depend on what earlier tests in the same
    pytest process left behind at the OS level.
    """
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)


def stop_when_workers_run(cmd: list[str], cwd: Path, sig: int, workers: int = 2):
    """Start cmd, wait until it has `workers` live descendants, send sig; return (proc, pids)."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_default_stop_signals,
    )
    deadline = time.monotonic() + 90
    kids: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        kids = descendants(proc.pid)
        if len(kids) >= workers:
            break
        time.sleep(0.05)
    assert len(kids) >= workers, f"workers never started: {proc.stderr.read().decode()}"
    time.sleep(0.5)  # let them get into their runs
    kids = descendants(proc.pid)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    return proc, kids


def assert_all_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + GONE_WITHIN_S
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    assert not left, f"processes outlived their command: {left}"


RUN = [*CQSIM, "run", str(SCENARIOS / "baseline.toml"), "-n", "6", "--workers", "2"]
RUN += ["--scale", "2", "--quiet", "--out", "out"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_stopped_run_leaves_no_worker_and_no_output(tmp_path, sig):
    proc, kids = stop_when_workers_run(RUN, tmp_path, sig)
    assert_all_gone(kids)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130
        assert "interrupted; no output written" in proc.stderr.read().decode()
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no half-written folder, hidden or not


def test_terminated_compare_leaves_no_worker(tmp_path):
    cmd = [*CQSIM, "compare", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "no_policy.toml")]
    cmd += ["-n", "4", "--workers", "2", "--scale", "2", "--quiet", "--out", "cmp"]
    proc, kids = stop_when_workers_run(cmd, tmp_path, signal.SIGTERM)
    assert_all_gone(kids)
    assert proc.returncode == 130
    assert list(tmp_path.iterdir()) == []


CALIBRATION = """
name = "tiny"
scenario = {scenario}
end = "2022-12"
scale = 5
population = 20
generations = 3
max_simulations = 400
max_minutes = 5
workers = 2
output = "tiny.parquet"

[[priors]]
parameter = "labour.matching_efficiency"
low = 0.3
high = 0.9

[[targets]]
id = "cq_revenue_2021"
tolerance = 0.02
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_stopped_calibration_leaves_no_pyabc_worker(tmp_path, sig):
    path = tmp_path / "tiny.toml"
    path.write_text(CALIBRATION.format(scenario=json.dumps(str(SCENARIOS / "baseline.toml"))))
    _, kids = stop_when_workers_run([*CQSIM, "calibrate", str(path)], tmp_path, sig)
    assert_all_gone(kids)
    assert not (tmp_path / "tiny.parquet").exists()


def test_a_stop_whose_interrupt_was_lost_still_writes_nothing(tmp_path, monkeypatch, capsys):
    """SIGTERM's KeyboardInterrupt is lost when it lands in a finaliser ("Exception ignored"):
    the output folder still refuses to commit, and the command does not report success."""
    import sim.signals
    from cqsim.cli import main
    from sim.outputs import output_folder

    monkeypatch.setitem(sim.signals._STOP, "signal", signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with output_folder(tmp_path / "out", kind="run") as folder:
            (folder / "manifest.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == []  # no folder, no hidden leftover
    assert main(["validate", str(SCENARIOS / "baseline.toml")]) == 130
    assert "interrupted" in capsys.readouterr().err
