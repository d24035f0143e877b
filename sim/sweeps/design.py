"""Design points: a full grid, or Latin hypercube, Sobol (Saltelli) and Morris samples (SALib)."""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.sweeps.spec import Factor


def points_count(design: str, n_factors: int, samples: int | None, second_order: bool) -> int:
    """How many design points a sampled design of this size has (not for grids)."""
    n = samples or 0
    if design == "lhs":
        return n
    if design == "sobol":
        return n * (2 * n_factors + 2 if second_order else n_factors + 2)
    if design == "morris":
        return n * (n_factors + 1)
    raise ValueError(f"unknown sampled design {design!r}")


def design_matrix(
    design: str,
    factors: list[Factor],
    *,
    samples: int | None = None,
    seed: int = 1,
    second_order: bool = False,
    levels: int = 4,
) -> np.ndarray:
    """The design points, one row per point and one column per factor, in factor units.

    ``grid``: every combination of the factors' values, the first factor varying slowest.
    ``lhs``: ``samples`` points of a Latin hypercube. ``sobol``: Saltelli's scheme for Sobol
    indices, ``samples * (D + 2)`` points (``samples * (2D + 2)`` with second order).
    ``morris``: ``samples`` trajectories of ``D + 1`` points on a ``levels``-level grid. The
    sampled designs are fixed by ``seed``. Integer factors are rounded later, when a point's
    scenario is built, so the matrix is what SALib's analysers expect.
    """
    if design == "grid":
        combos = list(itertools.product(*(f.values or () for f in factors)))
        return np.array(combos, dtype=np.float64).reshape(len(combos), len(factors))
    problem = {
        "num_vars": len(factors),
        "names": [f.path for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }
    if samples is None:
        raise ValueError(f"a {design} design needs a number of samples")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's notes on sample sizes; checked by load_sweep
        if design == "lhs":
            from SALib.sample import latin

            x = latin.sample(problem, samples, seed=seed)
        elif design == "sobol":
            from SALib.sample import sobol

            x = sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
        elif design == "morris":
            from SALib.sample import morris

            x = morris.sample(problem, samples, num_levels=levels, seed=seed)
        else:
            raise ValueError(f"unknown design {design!r}")
    x = np.asarray(x, dtype=np.float64)
    assert x.shape == (points_count(design, len(factors), samples, second_order), len(factors))
    return x
