"""Regenerate the golden trajectories: every shipped scenario, seeds 1-3, full length.

    python tests/golden/regenerate.py

Only a change that alters what the model computes on purpose may run this, in a commit of its
own that says why and which figures moved (tests/test_golden.py explains the rule).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent.parent / "scenarios"
SHIPPED = ("baseline", "no_policy", "rent_cut_jinfeng", "talent_package", "double_scenarios")
SEEDS = (1, 2, 3)


def golden_path(name: str) -> Path:
    """Where the golden trajectories of one shipped scenario are kept."""
    return HERE / f"{name}.parquet"


def run_scenario(name: str):
    """The trajectories the golden test compares: seeds 1-3, the scenario's own settings."""
    import sim

    result = sim.run(SCENARIOS / f"{name}.toml", replicates=len(SEEDS), seed=SEEDS[0], workers=2)
    traj = result.trajectories
    traj["scenario"] = traj["scenario"].astype(str)
    traj["metric"] = traj["metric"].astype(str)
    return traj


def main() -> int:
    for name in SHIPPED:
        traj = run_scenario(name)
        traj.to_parquet(golden_path(name), index=False, compression="zstd")
        print(f"wrote {golden_path(name)} ({len(traj):,} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
