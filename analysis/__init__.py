"""Analysis of cqsim runs: targets, observations (more to come: comparisons, plots, reports)."""

from sim.targets import aggregate, load_observations, observation_table, target_table

__all__ = ["aggregate", "load_observations", "observation_table", "target_table"]
