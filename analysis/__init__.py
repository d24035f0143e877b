"""Analysis of cqsim runs: targets, observations, comparisons, plots and reports.

The plotting and report functions are imported on first use, so that ``import analysis`` (and
the ``cqsim`` command line) does not load matplotlib and seaborn until a figure is wanted.
"""

from importlib import import_module

from sim.targets import aggregate, load_observations, observation_table, target_table

_LAZY = {
    "fan_chart": "analysis.plots",
    "paired_difference_chart": "analysis.plots",
    "cost_per_job_bars": "analysis.plots",
    "attribution_waterfall": "analysis.plots",
    "park_map": "analysis.plots",
    "park_table": "analysis.plots",
    "save_figure": "analysis.plots",
    "build_report": "analysis.report",
    "write_report": "analysis.report",
    "load_results": "analysis.report",
}

__all__ = [
    "aggregate",
    "attribution_waterfall",
    "build_report",
    "cost_per_job_bars",
    "fan_chart",
    "load_observations",
    "load_results",
    "observation_table",
    "paired_difference_chart",
    "park_map",
    "park_table",
    "save_figure",
    "target_table",
    "write_report",
]


def __getattr__(name: str):
    """Import a plotting or report function when it is first asked for."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
