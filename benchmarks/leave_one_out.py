"""Leave-one-out validation: recalibrate without each reported 2025 outcome, predict it.

    python benchmarks/leave_one_out.py [--population 100] [--minutes 40] [--work DIR]

For each reported outcome of the plan period (section A2 of the stated figures), a genuine
recalibration (ABC-SMC, as `cqsim calibrate`) is run from the shipped calibration file with that
outcome left out (the practitioners added and the "doubling" statement carry the same
information and are left out together), with a smaller population; the baseline is then run
with the new posterior (20 replicates to December 2025) and the left-out figure is held against
the model's median and 90% band. The office figure is an input of the baseline, not a test, so
it has no run. Each calibration's cost (simulations, minutes) is recorded. Writes
benchmarks/results_leave_one_out.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path

# isort: off
import sim.simd  # noqa: F401  (before numpy: its AVX2 kernels, as in cqsim)
import numpy as np

# isort: on
import tomli_w

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "scenarios" / "calibration.toml"
LEFT_OUT = {
    "cq_added_workforce_2025": ("cq_added_workforce_2025", "cq_doubling_2025"),
    "cq_new_firms_2025": ("cq_new_firms_2025",),
    "cq_new_10bn_2025": ("cq_new_10bn_2025",),
    "cq_new_1bn_2025": ("cq_new_1bn_2025",),
    "cq_outside_hukou_2025": ("cq_outside_hukou_2025",),
    "cq_forecast_2025": ("cq_forecast_2025",),
}


def calibration_file(work: Path, left_out: str, population: int, minutes: float) -> Path:
    """The shipped calibration without the left-out figures, smaller, writing into ``work``."""
    config = tomllib.loads(CALIBRATION.read_text(encoding="utf-8"))
    drop = set(LEFT_OUT[left_out])
    config["targets"] = [t for t in config["targets"] if t["id"] not in drop]
    config.update(
        name=f"loo_{left_out}",
        scenario=str(ROOT / "scenarios" / config["scenario"]),
        population=population,
        generations=8,
        max_simulations=12000,
        max_minutes=minutes,
        output=f"loo_{left_out}.parquet",
    )
    path = work / f"loo_{left_out}.toml"
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    return path


def predict(posterior: Path, figure: str, replicates: int = 20) -> dict:
    """The baseline with this posterior: the left-out figure's distribution over replicates."""
    import sim
    from sim.targets import load_observations, observe

    obs = load_observations().set_index("id").loc[figure]
    result = sim.run(
        ROOT / "scenarios" / "baseline.toml",
        replicates=replicates,
        seed=1001,  # seeds the calibration never saw
        end="2025-12",
        posterior=posterior,
        workers=2,
    )
    values = observe(result.trajectories, obs["measure"], int(obs["year"])).dropna().to_numpy()
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {
        "observed": float(obs["value"]),
        "median": float(p50),
        "p5": float(p5),
        "p95": float(p95),
        "error_pct": float(100 * (p50 - obs["value"]) / obs["value"]),
        "in_90": bool(p5 <= obs["value"] <= p95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cqsim_loo"))
    parser.add_argument("--only", nargs="*", help="left-out figures to run (default: all)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    out = ROOT / "benchmarks" / "results_leave_one_out.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    for figure in args.only or list(LEFT_OUT):
        path = calibration_file(args.work, figure, args.population, args.minutes)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "cqsim", "calibrate", str(path), "--fresh"],
            capture_output=True,
            text=True,
        )
        minutes = (time.perf_counter() - started) / 60
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return done.returncode
        summary = done.stdout.strip().splitlines()
        head = next(line for line in summary if "generations" in line and "simulations" in line)
        row = predict(args.work / f"loo_{figure}.parquet", figure)
        row.update(calibration=head, minutes=round(minutes, 1), population=args.population)
        results[figure] = row
        out.write_text(json.dumps(results, indent=2))
        print(f"{figure}: {row}", flush=True)
    print("| left out | observed | predicted median | 5-95% | in 90% | calibration |")
    print("|---|---|---|---|---|---|")
    for figure, r in results.items():
        print(
            f"| {figure} | {r['observed']:,.3g} | {r['median']:,.3g} | {r['p5']:,.3g}-"
            f"{r['p95']:,.3g} | {'yes' if r['in_90'] else 'no'} | {r['calibration']}, "
            f"{r['minutes']} min |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
