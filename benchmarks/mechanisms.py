"""What each mechanism contributes: the baseline with each switched off, against the full model.

    python benchmarks/mechanisms.py [-n 10]

Each row is the calibrated baseline (posterior draws, the same seeds) with one mechanism
switched off by its parameters; the columns are the reported outcomes of the plan period as the
measurement layer counts them. Writes benchmarks/results_mechanisms.json and prints a Markdown
table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# isort: off
import sim.simd  # noqa: F401  (before numpy: its AVX2 kernels, as in cqsim)
import numpy as np
# isort: on

ROOT = Path(__file__).resolve().parent.parent
SWITCHED_OFF = {
    "full model": {},
    "no ramp-up of new hires": {"labour.new_hire_productivity": 1.0},
    "no labour-intensive segment (it grows and earns like general IT)": {
        "segments.labour_intensive_growth": 0.10,
        "segments.labour_intensive_productivity": 1.0,
    },
    "no local switching into the sector": {"labour.switch_base": 0},
    "no micro-firms": {"init.micro_firms_jan_2021": 0, "entry.micro_rate": 0.0},
    "no registrations that never operate": {"entry.never_operating_share": 0.0},
    "lognormal body with a Pareto top at the start (the model before the Pareto body)": {
        "init.body_exponent": 0.0
    },
    "(switched on) branches before 2021: ten years' stock in Jan 2021": {
        "init.branch_stock_years": 10
    },
    "no branches with booked revenue": {"entry.branch_rate": 0.0},
}
FIGURES = {
    "revenue 2025 (bn)": ("revenue", 2025),
    "practitioners added": ("practitioners_added", 2025),
    "ratio to 2021": ("practitioners_relative_to_2021", 2025),
    "registrations 2022-25": ("firm_registrations_2022_2025", 2025),
    "+ firms >= 10 bn": ("firms_10bn_plus_added", 2025),
    "+ firms >= 1 bn": ("firms_1bn_plus_added", 2025),
    "share from outside": ("share_of_added_from_outside", 2025),
    "firms in statistics 2020": ("firms_in_sector_statistics", 2021),
    "above designated size Apr 2023": ("firms_above_designated_size", 2023),
}


def main() -> int:
    import sim
    from sim.runner import resolve
    from sim.targets import observe

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--replicates", type=int, default=10)
    args = parser.parse_args()
    base = resolve(ROOT / "scenarios" / "baseline.toml", end="2025-12")
    results: dict[str, dict[str, float]] = {}
    for label, overrides in SWITCHED_OFF.items():
        scenario = base.model_copy(update={"parameters": {**base.parameters, **overrides}})
        traj = sim.run(scenario, replicates=args.replicates, seed=1, workers=2).trajectories
        results[label] = {
            name: float(np.median(observe(traj, measure, year).dropna()))
            for name, (measure, year) in FIGURES.items()
        }
        print(label, results[label], flush=True)
    (ROOT / "benchmarks" / "results_mechanisms.json").write_text(json.dumps(results, indent=2))
    print("| switched off | " + " | ".join(FIGURES) + " |")
    print("|---" * (len(FIGURES) + 1) + "|")
    for label, row in results.items():
        cells = [f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}" for v in row.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
