"""The numpy floor of one worker-month: what ten worker-shaped array operations cost.

    python benchmarks/floor.py [--workers N] [--reps R]

The model's month does, per worker row, a handful of whole-array operations (draws, gathers
through the employer, masked writes, compress, bincount). This kernel does ten of them over
arrays the size of the scale-1 workforce, in place where numpy allows, and reports the cost per
worker row: no real month can be much cheaper than this, so the model's nanoseconds per worker
row-month divided by it (``ratio_to_floor`` in bench.py) says how far from the floor it is.

The ten operations: two float32 uniform draws into preallocated arrays; a gather of a firm
value through ``employer``; a comparison and a logical and into one mask; two masked writes
(``np.copyto(..., where=mask)``); a compress of the employers of the masked rows; a bincount of
them over firms; an in-place increment of every row's tenure.
"""

from __future__ import annotations

import argparse
import statistics
import time

# isort: off
import sim.simd  # noqa: F401  (before numpy: its AVX2 kernels, as in cqsim)
import numpy as np
# isort: on

OPERATIONS = 10


class FloorKernel:
    """Arrays shaped like the scale-1 workers, and one pass of the ten operations over them."""

    def __init__(self, n_workers: int, n_firms: int, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.n_firms = n_firms
        self.employer = self.rng.integers(0, n_firms, n_workers).astype(np.int32)
        self.employed = self.rng.random(n_workers) < 0.95
        self.firm_hazard = self.rng.random(n_firms, dtype=np.float32) * np.float32(0.05)
        self.wage = np.zeros(n_workers, dtype=np.float32)
        self.status = np.zeros(n_workers, dtype=np.int8)
        self.tenure = np.zeros(n_workers, dtype=np.int16)
        self.u = np.empty(n_workers, dtype=np.float32)
        self.v = np.empty(n_workers, dtype=np.float32)
        self.hazard = np.empty(n_workers, dtype=np.float32)
        self.mask = np.empty(n_workers, dtype=bool)

    def month(self) -> np.ndarray:
        """One pass of the ten operations; returns the per-firm counts (so nothing is elided)."""
        self.rng.random(out=self.u, dtype=np.float32)  # 1: a draw
        self.rng.random(out=self.v, dtype=np.float32)  # 2: a second draw
        np.take(self.firm_hazard, self.employer, out=self.hazard)  # 3: gather through employer
        np.less(self.u, self.hazard, out=self.mask)  # 4: compare
        np.logical_and(self.mask, self.employed, out=self.mask)  # 5: and with a status mask
        np.copyto(self.status, np.int8(2), where=self.mask)  # 6: masked write
        np.copyto(self.wage, self.v, where=self.mask)  # 7: masked write
        leavers = self.employer.compress(self.mask)  # 8: compress
        counts = np.bincount(leavers, minlength=self.n_firms)  # 9: bincount
        np.add(self.tenure, np.int16(1), out=self.tenure)  # 10: in-place update
        return counts


def floor_ns_per_worker(n_workers: int, n_firms: int, reps: int = 50, seed: int = 0) -> float:
    """Median nanoseconds per worker row of one kernel pass (after one warm-up pass)."""
    kernel = FloorKernel(n_workers, n_firms, seed)
    kernel.month()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        kernel.month()
        times.append(time.perf_counter() - start)
    return 1e9 * statistics.median(times) / n_workers


def main() -> None:
    """Command line: print the floor for a workforce size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", type=int, default=400_000)
    ap.add_argument("--firms", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=50)
    args = ap.parse_args()
    ns = floor_ns_per_worker(args.workers, args.firms, args.reps)
    print(f"{OPERATIONS} operations over {args.workers:,} worker rows: {ns:.1f} ns per row")


if __name__ == "__main__":
    main()
