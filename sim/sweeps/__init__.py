"""Sweeps: design points over parameters and policy amounts, run in parallel into a store.

``cqsim sweep SWEEP.toml`` runs every design point x replicate of a sweep file (grid, Latin
hypercube, Sobol or Morris design), locally or on a Dask cluster, and streams each finished run
into a DuckDB store that a later invocation resumes. ``cqsim sensitivity STORE`` turns a Sobol or
Morris store into sensitivity indices.
"""

from sim.sweeps.execute import RunFailed, SweepInterrupted, SweepSummary, run_sweep
from sim.sweeps.sensitivity import SensitivityResult, sensitivity
from sim.sweeps.spec import Factor, Sweep, build_scenario, load_sweep
from sim.sweeps.store import SweepStore, export_parquet, read_table

__all__ = [
    "Factor",
    "RunFailed",
    "SensitivityResult",
    "Sweep",
    "SweepInterrupted",
    "SweepStore",
    "SweepSummary",
    "build_scenario",
    "export_parquet",
    "load_sweep",
    "read_table",
    "run_sweep",
    "sensitivity",
]
