"""Sweep throughput, memory of the parent process, store size and time to resume.

    python benchmarks/sweep_bench.py                 # all figures (~15 min on 2 cores)
    python benchmarks/sweep_bench.py --quick         # smoke check with tiny sweeps
    python benchmarks/sweep_bench.py --json out.json # also write the figures as JSON

Every sweep runs as `cqsim sweep` in a fresh process (the parent that writes the store); its
resident memory is sampled from outside every 0.2 s, and its own peak RSS (getrusage, which
excludes the worker processes) is printed by a wrapper. Sweeps vary a parameter that changes the
runs (`labour.quit_rate`) over a grid with paired seeds, at the default scale (10).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

# Runs `cqsim sweep ARGS...` in this process, then prints this process's peak RSS (the parent
# only: the workers are separate processes and not waited for by getrusage(RUSAGE_SELF)).
WRAPPER = """
import resource, sys
from cqsim.cli import main
code = main(sys.argv[1:])
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def sweep_file(folder: Path, name: str, points: int, replicates: int, end: str, metrics=None):
    """A grid sweep over labour.quit_rate with `points` values and `replicates` seeds."""
    values = [round(0.006 + 0.014 * i / max(points - 1, 1), 6) for i in range(points)]
    lines = [
        f'name = "{name}"',
        f"base = {json.dumps(str(BASELINE))}",
        'design = "grid"',
        f"replicates = {replicates}",
        "seed = 1",
        f'end = "{end}"',
    ]
    if metrics:
        lines.append(f"metrics = {json.dumps(metrics)}")
    lines += ["[[factors]]", 'path = "parameters.labour.quit_rate"', f"values = {values}"]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_sweep_process(
    sweep: Path, store: Path, workers: int, kill_after: int | None = None
) -> dict:
    """Run `cqsim sweep` in a fresh process; optionally SIGKILL it after `kill_after` runs.

    Returns wall time, peak RSS of the parent (getrusage, or the sampled maximum if killed),
    RSS samples (time, runs done, kB) and the process's return code.
    """
    cmd = [sys.executable, "-c", WRAPPER, "sweep", str(sweep), "--store", str(store)]
    cmd += ["--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = {"done": 0, "err": b""}
    pattern = re.compile(rb"(\d+)/\d+ runs")

    def read() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):
            state["err"] += chunk
            found = pattern.findall(state["err"][-300:])
            if found:
                state["done"] = max(state["done"], int(found[-1]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    samples = []
    while proc.poll() is None:
        samples.append((round(time.perf_counter() - start, 2), state["done"], _rss_kb(proc.pid)))
        if kill_after is not None and state["done"] >= kill_after:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.2)
    wall = time.perf_counter() - start
    reader.join(timeout=10)
    err = state["err"].decode(errors="replace")
    peak = re.search(r"PEAK_RSS_KB (\d+)", err)
    return {
        "wall_s": round(wall, 2),
        "returncode": proc.returncode,
        "runs_seen": state["done"],
        "peak_rss_mb": round(int(peak.group(1)) / 1024, 1)
        if peak
        else round(max(s[2] for s in samples) / 1024, 1),
        "samples": samples,
        "stderr_tail": err[-400:],
    }


def stored_runs(store: Path) -> int:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()


def rss_at(samples: list, fraction: float, total: int) -> float:
    """Sampled RSS (MB) when the given fraction of the runs was done."""
    for _, done, kb in samples:
        if done >= fraction * total:
            return round(kb / 1024, 1)
    return round(samples[-1][2] / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny sweeps, a smoke check")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    ap.add_argument(
        "--plateau",
        type=int,
        default=0,
        metavar="RUNS",
        help="also run a sweep of RUNS one-year runs and sample the parent's memory along it",
    )
    args = ap.parse_args()
    end = "2021-06" if args.quick else "2030-12"
    rate_runs = (5, 2) if args.quick else (30, 2)  # points, replicates
    mem_small, mem_large = ((5, 2), (25, 2)) if args.quick else ((25, 2), (250, 2))
    resume = (10, 2) if args.quick else (60, 2)
    w = args.workers
    out: dict = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "horizon": f"2021-01 to {end}",
        "workers": w,
        "load_average_at_start": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)

        # 1. Throughput at the default scale.
        sw = sweep_file(tmp, "rate", *rate_runs, end)
        res = run_sweep_process(sw, tmp / "rate.duckdb", w)
        n = rate_runs[0] * rate_runs[1]
        out["rate"] = {
            "runs": n,
            "wall_s": res["wall_s"],
            "runs_per_minute": round(n / res["wall_s"] * 60, 1),
            "store_mb": round((tmp / "rate.duckdb").stat().st_size / 2**20, 2),
            "store_kb_per_run_all_metrics": round(
                (tmp / "rate.duckdb").stat().st_size / 1024 / n, 1
            ),
        }
        print(
            f"throughput: {n} runs in {res['wall_s']} s = {out['rate']['runs_per_minute']} runs/min"
        )

        sw = sweep_file(tmp, "subset", *rate_runs, end, metrics=["revenue_bn_yuan", "workforce"])
        res = run_sweep_process(sw, tmp / "subset.duckdb", w)
        out["rate"]["store_kb_per_run_2_metrics"] = round(
            (tmp / "subset.duckdb").stat().st_size / 1024 / n, 1
        )
        out["rate"]["wall_s_2_metrics"] = res["wall_s"]

        # 2. Memory of the parent, small against large sweep.
        for label, (points, reps) in (("small", mem_small), ("large", mem_large)):
            sw = sweep_file(tmp, f"mem_{label}", points, reps, end)
            res = run_sweep_process(sw, tmp / f"mem_{label}.duckdb", w)
            total = points * reps
            out[f"memory_{label}"] = {
                "runs": total,
                "wall_s": res["wall_s"],
                "peak_rss_mb": res["peak_rss_mb"],
                "rss_mb_at_10_50_100_percent": [
                    rss_at(res["samples"], f, total) for f in (0.1, 0.5, 1.0)
                ],
                "store_mb": round((tmp / f"mem_{label}.duckdb").stat().st_size / 2**20, 1),
            }
            print(f"memory {label}: {total} runs, parent peak RSS {res['peak_rss_mb']} MB")

        # 3. Resume after SIGKILL halfway.
        points, reps = resume
        total = points * reps
        sw = sweep_file(tmp, "resume", points, reps, end)
        full = run_sweep_process(sw, tmp / "uninterrupted.duckdb", w)
        killed = run_sweep_process(sw, tmp / "resumed.duckdb", w, kill_after=total // 2)
        after_kill = stored_runs(tmp / "resumed.duckdb")
        again = run_sweep_process(sw, tmp / "resumed.duckdb", w)
        remaining = total - after_kill
        expected = full["wall_s"] * remaining / total
        out["resume"] = {
            "runs": total,
            "uninterrupted_wall_s": full["wall_s"],
            "killed_after_s": killed["wall_s"],
            "stored_when_killed": after_kill,
            "resume_wall_s": again["wall_s"],
            "uninterrupted_time_share_of_remaining_runs_s": round(expected, 2),
            "complete_after_resume": stored_runs(tmp / "resumed.duckdb") == total,
        }
        print(
            f"resume: killed with {after_kill}/{total} stored; resuming took {again['wall_s']} s "
            f"for {remaining} runs (uninterrupted pro rata: {expected:.1f} s)"
        )
        # 4. Optional: many short runs, to see where the parent's memory levels off.
        if args.plateau:
            sw = sweep_file(tmp, "plateau", args.plateau, 1, "2021-12")
            res = run_sweep_process(sw, tmp / "plateau.duckdb", w)
            out["memory_plateau"] = {
                "runs": args.plateau,
                "horizon": "2021-01 to 2021-12",
                "wall_s": res["wall_s"],
                "peak_rss_mb": res["peak_rss_mb"],
                "rss_mb_at_10_25_50_75_100_percent": [
                    rss_at(res["samples"], f, args.plateau) for f in (0.1, 0.25, 0.5, 0.75, 1.0)
                ],
                "store_mb": round((tmp / "plateau.duckdb").stat().st_size / 2**20, 1),
            }
            print(f"memory plateau: {args.plateau} runs, parent peak RSS {res['peak_rss_mb']} MB")
    out["load_average_at_end"] = os.getloadavg()
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
