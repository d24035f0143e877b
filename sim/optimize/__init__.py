"""Optimisation: the cheapest lever package that meets the targets (``cqsim optimize``).

An optimisation file names a base scenario, the levers with their ranges, the objectives and
the constraints; :func:`~sim.optimize.pipeline.optimize` searches with optuna's NSGA-II, every
package on the same seeds, keeps every evaluation in a resumable store, re-runs the chosen
packages on fresh seeds, and writes the Pareto front, its scenario files and a plot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import lazy_exports

_EXPORTS = {
    "Optimization": "sim.optimize.spec",
    "load_optimization": "sim.optimize.spec",
    "optimize": "sim.optimize.pipeline",
    "default_out": "sim.optimize.pipeline",
    "default_store": "sim.optimize.search",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from sim.optimize.pipeline import default_out as default_out
    from sim.optimize.pipeline import optimize as optimize
    from sim.optimize.search import default_store as default_store
    from sim.optimize.spec import Optimization as Optimization
    from sim.optimize.spec import load_optimization as load_optimization

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
