"""cqsim: an agent-based simulation of the Chongqing software and information-services cluster."""

from sim.metrics import METRICS
from sim.model import ClusterModel
from sim.params import Parameters, load_parameters
from sim.runner import RunResult, run, simulate, write_outputs
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "METRICS",
    "ClusterModel",
    "Parameters",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "load_parameters",
    "load_scenario",
    "run",
    "simulate",
    "write_outputs",
]
