"""What `cqsim optimize` costs and what it finds, against the shipped planner scenarios.

    python benchmarks/optimize_bench.py [--file scenarios/optimize/cheapest_city_targets.toml]
                                        [--workers 2] [--kill-after 60]

1. Runs the optimisation file as shipped (200 packages x 10 seeds) in a fresh store with
   ``--workers``, timing the whole command (search, fresh-seed check, attribution) and the
   search alone (from the store's trial timestamps).
2. Runs the shipped planner scenarios (talent_package, double_scenarios, rent_cut_jinfeng) on
   the same 10 seeds as packages are judged, and for each finds the cheapest package of the
   front that does at least as well on the first objective: the saving at the same attainment.
3. Kills a second run of the same file with SIGKILL after ``--kill-after`` seconds, then times
   the same command started again (the resume), and checks that no package was lost or
   counted twice.

Writes benchmarks/results_optimize.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# isort: off
import sim.simd  # noqa: F401  (before numpy: its AVX2 kernels, as in cqsim)
import numpy as np
# isort: on

ROOT = Path(__file__).resolve().parent.parent
PLANNER_SCENARIOS = ("talent_package", "double_scenarios", "rent_cut_jinfeng")


def completed(store: Path) -> int:
    """Packages stored as complete."""
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    finally:
        con.close()


def search_seconds(store: Path) -> float:
    """From the first trial's start to the last trial's end (the search alone)."""
    con = sqlite3.connect(store)
    try:
        first, last = con.execute(
            "SELECT min(datetime_start), max(datetime_complete) FROM trials "
            "WHERE state = 'COMPLETE'"
        ).fetchone()
    finally:
        con.close()
    from datetime import datetime

    return (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()


def cqsim(*args: str) -> list[str]:
    """The command line of `cqsim ARGS` in this interpreter."""
    return [sys.executable, "-m", "cqsim", *args]


def planner_packages(opt_path: Path, seeds: list[int]) -> dict[str, dict[str, float]]:
    """The shipped planner scenarios judged as the search judges packages (same seeds)."""
    from sim.optimize.evaluate import LocalExecutor, SeedTask, summarise
    from sim.optimize.spec import load_optimization
    from sim.posterior import with_posterior_draw
    from sim.scenario import load_scenario

    opt = load_optimization(opt_path)
    targets = tuple((t["id"], t["measure"], t["year"]) for t in opt.targets)
    until = f"{max(t['year'] for t in opt.targets)}-12"
    executor = LocalExecutor(2)
    out = {}
    try:
        scenarios = {"levers (base)": opt.base}
        for name in PLANNER_SCENARIOS:
            sc = load_scenario(ROOT / "scenarios" / f"{name}.toml", opt.params)
            run = sc.run.model_copy(update={"end": opt.base.run.end, "scale": opt.base.run.scale})
            scenarios[name] = sc.model_copy(update={"run": run})
        per: dict[str, dict[int, dict[str, float]]] = {name: {} for name in scenarios}
        keys = {i: name for i, name in enumerate(scenarios)}
        tasks = [
            SeedTask(
                i, s, with_posterior_draw(scenarios[n], s, opt.params), opt.params, targets, until
            )
            for i, n in keys.items()
            for s in seeds
        ]
        for r in executor.run(tasks):
            per[keys[r.key]][r.seed] = r.figures
    finally:
        executor.close()
    base = per["levers (base)"]
    for name, figures in per.items():
        out[name] = summarise(figures, opt.targets, base)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--file", type=Path, default=ROOT / "scenarios" / "optimize" / "cheapest_city_targets.toml"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-after", type=float, default=60.0)
    args = parser.parse_args()
    from sim.optimize.spec import load_optimization

    opt = load_optimization(args.file)
    work = Path(tempfile.mkdtemp(prefix="cqsim-opt-bench-"))
    store, out = work / "search.db", work / "out"
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run(
        cqsim(
            "optimize",
            str(args.file),
            "--store",
            str(store),
            "--out",
            str(out),
            "--workers",
            str(args.workers),
            "--quiet",
        ),
        check=True,
    )
    whole = time.perf_counter() - t0
    search = search_seconds(store)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    headline = summary.splitlines()[2]

    import pandas as pd

    front = pd.read_csv(out / "front.csv")
    first = opt.objectives[0]
    planners = planner_packages(args.file, opt.search_seeds())
    comparison = {}
    for name, m in planners.items():
        if first.metric in ("cost", "extra_cost"):
            y = next(
                (o.metric for o in opt.objectives if o.metric not in ("cost", "extra_cost")),
                "p_all",
            )
        else:
            y = first.metric
        better = front[front[y] >= m[y] - 1e-12] if y in front else front.iloc[:0]
        cheapest = better.sort_values("cost").iloc[0] if not better.empty else None
        comparison[name] = {
            "cost": m["cost"],
            y: m[y],
            "p_all": m["p_all"],
            "cheapest_front_package_at_least_as_good": None
            if cheapest is None
            else {
                "candidate": int(cheapest["candidate"]),
                "cost": float(cheapest["cost"]),
                y: float(cheapest[y]),
                "saving_bn_yuan": float(m["cost"] - cheapest["cost"]),
            },
        }

    # kill and resume
    store2, out2 = work / "killed.db", work / "out2"
    cmd = cqsim(
        "optimize",
        str(args.file),
        "--store",
        str(store2),
        "--out",
        str(out2),
        "--workers",
        str(args.workers),
        "--quiet",
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(args.kill_after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = completed(store2)
    t1 = time.perf_counter()
    subprocess.run(cmd, check=True)
    resume = time.perf_counter() - t1
    table = pd.read_csv(out2 / "candidates.csv")
    results = {
        "file": str(args.file.relative_to(ROOT)),
        "workers": args.workers,
        "load_at_start": load,
        "packages": opt.candidates,
        "seeds": opt.seeds,
        "whole_command_s": whole,
        "search_s": search,
        "headline": headline,
        "planner_scenarios_on_the_same_seeds": comparison,
        "kill_after_s": args.kill_after,
        "packages_stored_at_kill": done_at_kill,
        "resume_whole_command_s": resume,
        "after_resume_packages": len(table),
        "after_resume_unique": bool(table["candidate"].is_unique),
        "same_as_uninterrupted_first_packages": bool(
            np.allclose(
                pd.read_csv(out / "candidates.csv")["cost"].iloc[:done_at_kill],
                table["cost"].iloc[:done_at_kill],
            )
        ),
    }
    path = ROOT / "benchmarks" / "results_optimize.json"
    path.write_text(json.dumps(results, indent=2, default=float), encoding="utf-8")
    print(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
