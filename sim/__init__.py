"""cqsim: an agent-based simulation of the Chongqing software and information-services cluster.

The public names below are imported on first use, so that commands which only read scenario
files (``cqsim validate``, ``cqsim --help``) start without loading Mesa and the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sim.simd  # noqa: F401  (first: numpy's kernels held to AVX2, for the same bits anywhere)
from sim.lazy import lazy_exports

_EXPORTS = {
    "METRICS": "sim.metrics",
    "ClusterModel": "sim.model",
    "ClusterSim": "sim.core",
    "Parameters": "sim.params",
    "load_parameters": "sim.params",
    "RunResult": "sim.runner",
    "run": "sim.runner",
    "simulate": "sim.runner",
    "write_outputs": "sim.runner",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from sim.core import ClusterSim as ClusterSim
    from sim.metrics import METRICS as METRICS
    from sim.model import ClusterModel as ClusterModel
    from sim.params import Parameters as Parameters
    from sim.params import load_parameters as load_parameters
    from sim.runner import RunResult as RunResult
    from sim.runner import run as run
    from sim.runner import simulate as simulate
    from sim.runner import write_outputs as write_outputs
    from sim.scenario import Scenario as Scenario
    from sim.scenario import ScenarioError as ScenarioError
    from sim.scenario import load_scenario as load_scenario


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
