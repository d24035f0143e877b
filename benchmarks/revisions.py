"""Time the model of two git revisions in one session, interleaved, for before/after claims.

    python benchmarks/revisions.py BEFORE AFTER [--rounds 5] [--scale1]

Each revision is checked out into a temporary worktree; every round runs one fresh process per
revision (in alternating order), each timing the default-scale baseline model (seeds 1-3,
2021-2030, posterior off) and, with --scale1, one scale-1 run. Prints medians and the paired
ratio AFTER/BEFORE per round, so that a noisy machine moves both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from sim.runner import resolve, simulate
base = resolve(sys.argv[1] + "/scenarios/baseline.toml", posterior=False)
out = {"default": []}
for seed in (1, 2, 3):
    t = time.perf_counter(); simulate(base, seed); out["default"].append(time.perf_counter() - t)
if sys.argv[2] == "1":
    one = resolve(sys.argv[1] + "/scenarios/baseline.toml", posterior=False, scale=1)
    t = time.perf_counter(); simulate(one, 1); out["scale1"] = time.perf_counter() - t
print(json.dumps(out))
"""


def worktree(rev: str, where: Path) -> Path:
    """A checkout of ``rev`` under ``where``."""
    path = where / rev.replace("/", "_")
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-f", str(path), rev],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return path


def measure(tree: Path, scale1: bool) -> dict:
    """One fresh process timing the model of one checkout."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), "1" if scale1 else "0"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale1", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cqsim-revs-") as tmp:
        trees = {rev: worktree(rev, Path(tmp)) for rev in (args.before, args.after)}
        try:
            runs: dict[str, list[dict]] = {rev: [] for rev in trees}
            for r in range(args.rounds):
                order = list(trees) if r % 2 == 0 else list(trees)[::-1]
                for rev in order:
                    runs[rev].append(measure(trees[rev], args.scale1))
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    summary = {}
    for key in ("default", "scale1"):
        if key not in runs[args.before][0]:
            continue
        per_round = {
            rev: [statistics.median(r[key]) if isinstance(r[key], list) else r[key] for r in rs]
            for rev, rs in runs.items()
        }
        ratios = [a / b for a, b in zip(per_round[args.after], per_round[args.before], strict=True)]
        summary[key] = {
            "before_median_s": round(statistics.median(per_round[args.before]), 4),
            "after_median_s": round(statistics.median(per_round[args.after]), 4),
            "paired_ratio_median": round(statistics.median(ratios), 4),
            "rounds": args.rounds,
        }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
