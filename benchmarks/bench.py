"""Speed and memory of cqsim, and the speed-up over a naive Mesa version of the worker rules.

    python benchmarks/bench.py            # full measurement, human-readable
    python benchmarks/bench.py --json     # one JSON object
    python benchmarks/bench.py --quick    # smoke check, well under 60 s
    python benchmarks/bench.py --scale-check   # default scale vs scale 1, 2025 medians

Each full-scale run happens in a fresh process so that its peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

# isort: off
import sim.simd  # noqa: F401  (before numpy: its AVX2 kernels, as in cqsim)
import numpy as np
# isort: on

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

BASELINE = ROOT / "scenarios" / "baseline.toml"


def _scenario(scale: int, end: str | None = None, overrides: dict | None = None):
    from sim.runner import resolve

    sc = resolve(BASELINE, scale=scale, end=end)
    if overrides:
        sc = sc.model_copy(update={"parameters": {**sc.parameters, **overrides}})
    return sc


def model_seconds(scale: int, seed: int, end: str | None = None) -> float:
    """Wall time of building and running the baseline model once (no output writing)."""
    from sim.runner import simulate

    sc = _scenario(scale, end)
    start = time.perf_counter()
    simulate(sc, seed)
    return time.perf_counter() - start


def _child(scale: int, seed: int, end: str | None) -> dict:
    """Run in a fresh interpreter: seconds and peak RSS of one baseline run."""
    cmd = [sys.executable, __file__, "--child", str(scale), str(seed)]
    if end:
        cmd += ["--end", end]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ naive Mesa yardstick


def _market_state(n_workers: int, seed: int):
    """A baseline model at scale 1 sized to about ``n_workers`` worker agents, in June 2021."""
    from sim.model import ClusterModel

    share = 0.05
    w0 = n_workers / (1 + share) / 1.02  # the first months' growth brings it to ~n_workers
    sc = _scenario(
        1,
        "2021-12",
        {"init.workforce_jan_2021": round(w0), "init.firms_jan_2021": round(w0 / 42)},
    )
    model = ClusterModel(sc, rng=seed)
    from sim.month import PROCESSES
    from sim.month.labour import match_labour

    for _ in range(5):  # Jan-May 2021; June (no graduates arrive) is the timed month
        model.step()
    for process in PROCESSES[: PROCESSES.index(match_labour)]:  # the month up to the labour market
        process(model)
    return model


VECTORISED_REPEATS = 7
"""Timings of the vectorised month per state in :func:`speedup_vs_naive` (Mesa's: one)."""


def _mesa_market(market_class, n_workers: int, seed: int):
    """A Mesa version of the worker rules on the baseline state of :func:`_market_state`."""
    return market_class(_market_state(n_workers, seed), seed=seed)


def _timed(month, make_state) -> float:
    """Seconds of ``month`` on a state just made by ``make_state``, the collector kept out.

    Each state is built with tens of thousands of Python objects in reference cycles (a Mesa
    model, or a deep copy of one). Left to the collector, earlier states' cycles were collected
    whenever it ran, often inside the timed month: a vectorised month of 2 ms was timed at
    4-11 ms on 2026-12-03. A real run builds its state once and meets almost no collections
    (three young ones a whole default-scale run). So, for every version alike: the old garbage
    is collected before the state is made (the making leaves it in the cache, as the month
    before leaves it in a real run), and the state is frozen out of the collector's view while
    timed; what the month itself allocates is still collected as it would be.
    """
    gc.collect()
    state = make_state()
    gc.freeze()
    try:
        start = time.perf_counter()
        month(state)
        return time.perf_counter() - start
    finally:
        gc.unfreeze()


def speedup_vs_naive(n_workers: int, reps: int, seed: int = 3) -> dict:
    """Time one month of worker rules on the same state: vectorised, tuned Mesa, published naive.

    The tuned yardstick is the one the speed-up is quoted against; the published naive version
    (three ``shuffle_do`` passes, numpy scalar draws) is kept beside it under its old name. The
    speed-ups are medians over repetitions of each repetition's own ratio.
    """
    import copy

    from naive_workers import (
        NaiveWorkerMarket,
        TunedWorkerMarket,
        naive_month,
        tuned_month,
        vectorised_month,
    )

    fast, tuned, slow, agents = [], [], [], 0
    paired_tuned, paired_naive = [], []
    for rep in range(reps):
        model = _market_state(n_workers, seed + rep)
        agents = int(np.count_nonzero(model.workers.status[: model.workers.n]))
        # The vectorised month takes a few milliseconds, within the machine's noise: it is timed
        # on VECTORISED_REPEATS copies of the same state (the same decisions each time), and
        # each repetition's ratios are taken against its own timings (the machine's speed
        # drifts from one repetition to the next).
        copy_of_state = functools.partial(copy.deepcopy, model)
        vectorised_times = [
            _timed(vectorised_month, copy_of_state) for _ in range(VECTORISED_REPEATS)
        ]
        fast += vectorised_times
        state_seed = seed + rep
        tuned.append(
            _timed(
                tuned_month,
                functools.partial(_mesa_market, TunedWorkerMarket, n_workers, state_seed),
            )
        )
        slow.append(
            _timed(
                naive_month,
                functools.partial(_mesa_market, NaiveWorkerMarket, n_workers, state_seed),
            )
        )
        paired_tuned.append(tuned[-1] / statistics.median(vectorised_times))
        paired_naive.append(slow[-1] / statistics.median(vectorised_times))
    return {
        "workers": agents,
        "vectorised_ms": 1000 * statistics.median(fast),
        "tuned_mesa_ms": 1000 * statistics.median(tuned),
        "naive_ms": 1000 * statistics.median(slow),
        "speedup_tuned": statistics.median(paired_tuned),
        "speedup": statistics.median(paired_naive),
        "speedup_tuned_by_repetition": paired_tuned,
    }


def compare_aggregates(n_workers: int, seeds: int) -> dict:
    """Aggregates of the vectorised month and of the tuned yardstick over several seeds.

    For each aggregate: both means and their difference in standard errors (the two use
    different random draws, so they agree in distribution, not draw for draw).
    """
    from naive_workers import TunedWorkerMarket, tuned_month, vectorised_month

    fast, slow = [], []
    for s in range(seeds):
        fast.append(vectorised_month(_market_state(n_workers, 100 + s)))
        slow.append(tuned_month(TunedWorkerMarket(_market_state(n_workers, 100 + s), seed=500 + s)))
    out = {}
    for key in fast[0]:
        a = np.array([r[key] for r in fast], dtype=float)
        b = np.array([r[key] for r in slow], dtype=float)
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size) or 1e-12
        out[key] = {
            "vectorised_mean": a.mean(),
            "naive_mean": b.mean(),
            "diff_in_se": (a.mean() - b.mean()) / se,
        }
    return out


# ------------------------------------------------------------------ scale check


def scale_check(replicates: int, workers: int) -> list[dict]:
    """2025 medians over replicates at the default scale and at scale 1."""
    import sim
    from sim.targets import aggregate

    rows = []
    results = {
        scale: sim.run(
            BASELINE, replicates=replicates, seed=1, scale=scale, end="2025-12", workers=workers
        )
        for scale in (10, 1)
    }
    for metric, how in (
        ("revenue_bn_yuan", "sum_year"),
        ("workforce", "december"),
        ("firms", "december"),
    ):
        values = {
            s: aggregate(r.trajectories, metric, how, 2025).to_numpy(dtype=float)
            for s, r in results.items()
        }
        medians = {s: float(np.median(v)) for s, v in values.items()}
        paired = values[10] / values[1] - 1  # same seed and posterior draw at both scales
        rows.append(
            {
                "metric": metric,
                "scale_10": medians[10],
                "scale_1": medians[1],
                "difference_pct": 100 * (medians[10] / medians[1] - 1),
                "paired_mean_difference_pct": 100 * float(paired.mean()),
                "paired_se_pct": 100 * float(paired.std(ddof=1) / np.sqrt(paired.size)),
            }
        )
    return rows


# ------------------------------------------------------------------ main


def startup_seconds(reps: int) -> float:
    """Median wall time of a whole `cqsim run` process (baseline, default scale, one run).

    Measured as a user's machine runs it: with the modules' bytecode cached. A first process
    runs with bytecode writing allowed (this machine's environment sets
    ``PYTHONDONTWRITEBYTECODE``, under which every process of a fresh clone compiles cqsim's
    sources again, some 0.08 s), and is not counted.
    """
    import tempfile

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cmd = [sys.executable, "-m", "cqsim", "run", str(BASELINE), "-n", "1", "--quiet"]
        subprocess.run(
            [*cmd, "--out", str(Path(tmp) / "warm-up")],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env=warm_env,
        )
        for rep in range(reps):
            start = time.perf_counter()
            subprocess.run(
                [*cmd, "--out", str(Path(tmp) / f"run{rep}")],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def sweep_runs_per_minute(quick: bool) -> dict:
    """Full-length default-scale runs a minute of a `cqsim sweep` with 2 workers."""
    import tempfile

    from sweep_bench import run_sweep_process, sweep_file

    points, replicates = (4, 2) if quick else (20, 4)
    with tempfile.TemporaryDirectory() as tmp:
        sweep = sweep_file(Path(tmp), "speed", points, replicates, "2030-12")
        result = run_sweep_process(sweep, Path(tmp) / "speed.duckdb", workers=2)
    if result["returncode"] != 0:
        raise RuntimeError(f"the sweep failed: {result['stderr_tail']}")
    runs = points * replicates
    return {
        "runs": runs,
        "wall_s": result["wall_s"],
        "runs_per_minute": 60 * runs / result["wall_s"],
        "parent_peak_rss_mb": result["peak_rss_mb"],
    }


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("mesa", "numpy", "scipy", "pandas"):
        out[pkg] = metadata.version(pkg)
    return out


def measure(quick: bool) -> dict:
    """Every figure of the benchmark."""
    load_at_start = os.getloadavg()
    reps = 1 if quick else 3
    end = "2022-12" if quick else None
    full = [_child(1, seed, end) for seed in range(1, reps + 1)]
    default = [model_seconds(10, seed, end) for seed in range(1, (3 if quick else 5) + 1)]
    naive = speedup_vs_naive(20_000 if quick else 100_000, reps)
    startup = startup_seconds(3 if quick else 9)
    sweep = sweep_runs_per_minute(quick)
    ns = statistics.median(r["ns_per_worker_month"] for r in full)
    floor = statistics.median(r["floor_ns_per_worker_month"] for r in full)
    ratios = [r["ns_per_worker_month"] / r["floor_ns_per_worker_month"] for r in full]
    return {
        "ns_per_worker_month_scale1": ns,
        "floor_ns_per_worker_month": floor,
        "ratio_to_floor": statistics.median(ratios),
        "speedup_vs_naive_mesa_tuned": naive["speedup_tuned"],
        "startup_seconds_default_run": startup,
        "sweep_runs_per_minute": sweep["runs_per_minute"],
        "sweep": sweep,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "full_scale_seconds": statistics.median(r["seconds"] for r in full),
        "full_scale_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in full),
        "full_scale_people_2030": statistics.median(r["people"] for r in full),
        "full_scale_end": end or "2030-12",
        "speedup_vs_naive_mesa_100k": naive["speedup"],
        "naive_benchmark": naive,
        "default_scale_seconds": statistics.median(default),
        "repetitions": {
            "full_scale": reps,
            "default_scale": len(default),
            "naive": reps,
            "vectorised_month": reps * VECTORISED_REPEATS,
        },
        "quick": quick,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
        "versions": _versions(),
    }


def main() -> None:
    """Command line of the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--quick", action="store_true", help="short smoke check")
    ap.add_argument("--scale-check", action="store_true", help="default scale vs scale 1")
    ap.add_argument("--agree", type=int, metavar="SEEDS", help="naive vs vectorised aggregates")
    ap.add_argument("--child", nargs=2, type=int, metavar=("SCALE", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--end", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        scale, seed = args.child
        from floor import floor_ns_per_worker

        from sim.model import ClusterModel

        sc = _scenario(scale, args.end)
        start = time.perf_counter()
        model = ClusterModel(sc, rng=seed)
        worker_rows, firm_rows, months = 0, 0, 0
        while model.running:
            model.step()
            worker_rows += model.workers.n
            firm_rows += model.firms.n
            months += 1
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # the floor in the same process, over arrays of the run's mean worker and firm rows
        floor = floor_ns_per_worker(worker_rows // months, max(firm_rows // months, 1))
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "peak_rss_mb": rss,
                    "people": model.people_in_city,
                    "ns_per_worker_month": 1e9 * seconds / worker_rows,
                    "mean_worker_rows": worker_rows / months,
                    "floor_ns_per_worker_month": floor,
                }
            )
        )
        return
    if args.scale_check:
        rows = scale_check(replicates=20, workers=os.cpu_count() or 1)
        print(json.dumps(rows, indent=2) if args.json else "\n".join(map(str, rows)))
        return
    if args.agree:
        res = compare_aggregates(100_000, args.agree)
        print(json.dumps(res, indent=2))
        return
    result = measure(args.quick)
    if args.json:
        print(json.dumps(result))
        return
    end = result["full_scale_end"]
    print(
        f"full scale (scale 1, to {end}): {result['full_scale_seconds']:.2f} s, peak RSS "
        f"{result['full_scale_peak_rss_mb']:.0f} MB, {result['full_scale_people_2030']:,} people"
    )
    nb = result["naive_benchmark"]
    print(
        f"worker rules, one month, {nb['workers']:,} workers: vectorised "
        f"{nb['vectorised_ms']:.1f} ms, naive Mesa {nb['naive_ms']:.0f} ms, "
        f"speed-up {nb['speedup']:.0f}x"
    )
    print(f"default scale, whole model: {result['default_scale_seconds']:.2f} s")
    print(
        f"scale 1: {result['ns_per_worker_month_scale1']:.1f} ns per worker row-month, floor "
        f"{result['floor_ns_per_worker_month']:.1f} ns: {result['ratio_to_floor']:.2f}x the floor"
    )
    print(
        f"tuned Mesa yardstick: {result['speedup_vs_naive_mesa_tuned']:.0f}x; "
        f"`cqsim run` whole process: {result['startup_seconds_default_run']:.2f} s; "
        f"sweep: {result['sweep_runs_per_minute']:.0f} runs/min "
        f"(load {result['load_average_at_start'][0]:.2f})"
    )


if __name__ == "__main__":
    main()
