"""Instructions a baseline run executes, counted by callgrind: a yardstick that noise cannot move.

    python benchmarks/instructions.py [--scale 10] [--runs 1] [--tree PATH ...]

Wall and CPU times on this project's shared machines swing by 15-30% between consecutive
processes, more than most single changes to the month save. Valgrind's callgrind counts the
instructions a process executes, the same count every time for the same code and seed. This
script counts a process that runs the baseline ``--runs`` times and one that only sets up, and
reports the difference (the runs' own instructions). ``--tree`` counts another checkout of cqsim
(for instance a ``git worktree`` of the commit before a change) beside this one, with the same
interpreter. It needs valgrind (Debian: ``apt-get install valgrind``) and takes about a minute
per default-scale run (callgrind runs code some 50 times slower). Instructions are not time (a
cache miss costs more than an add), so a change that moves memory should be timed as well.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
import sim.simd
import sim
from pathlib import Path
from sim.runner import resolve, simulate
baseline = Path(sim.__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
scenario = resolve(baseline, scale=int(sys.argv[1]))
for seed in range(int(sys.argv[2])):
    simulate(scenario, 2 + seed)
"""


# Addresses fixed from one process to the next (where setarch can): numpy's loops handle an
# array's unaligned head apart, so where the allocator puts arrays moves the count
NO_ADDRESS_RANDOMIZATION = (
    ["setarch", platform.machine(), "--addr-no-randomize"] if shutil.which("setarch") else []
)


def collected(tree: Path, scale: int, runs: int) -> int:
    """Instructions callgrind counts in a process that runs the baseline ``runs`` times.

    The process reads its modules' bytecode from a cache of its own, written by one uncounted
    process before (else a tree with ``__pycache__`` and one without would differ by the
    compiling, and this machine's ``PYTHONDONTWRITEBYTECODE`` keeps some trees without).
    """
    with tempfile.TemporaryDirectory() as tmp:
        child = Path(tmp) / "child.py"
        child.write_text(CHILD)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # one string-hash seed for every process: with Python's random one, set and dict orders
        # (pydantic's among them) moved a tree's count by about 0.5% from one call to the next
        env.update(
            PYTHONPATH=str(tree),
            PYTHONPYCACHEPREFIX=str(Path(tmp) / "bytecode"),
            PYTHONHASHSEED="0",
            OPENBLAS_NUM_THREADS="1",  # no BLAS threads, whose waiting loops callgrind counts
        )
        command = [sys.executable, str(child), str(scale), str(runs)]
        subprocess.run(command, cwd=tree, env=env, capture_output=True, check=True)
        callgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={Path(tmp) / 'out'}"]
        proc = subprocess.run(
            [*NO_ADDRESS_RANDOMIZATION, *callgrind, *command],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise RuntimeError(f"callgrind reported no count:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def run_instructions(tree: Path, scale: int, runs: int) -> int:
    """Instructions of ``runs`` baseline runs alone (the set-up process's count taken off)."""
    return collected(tree, scale, runs) - collected(tree, scale, 0)


def main() -> int:
    """Command line: print each tree's instructions per run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--tree", type=Path, action="append", default=[], help="another checkout")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("instructions.py needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    trees = [ROOT, *args.tree]
    counts = {tree: run_instructions(tree, args.scale, args.runs) / args.runs for tree in trees}
    for tree, count in counts.items():
        ratio = count / counts[ROOT]
        millions = f"{count / 1e6:,.1f} M"
        print(f"{tree}: {millions} instructions a run at scale {args.scale} ({ratio:.3f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
