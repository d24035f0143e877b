"""Sweeps: design points over parameters and policy amounts, run in parallel into a store.

``cqsim sweep SWEEP.toml`` runs every design point x replicate of a sweep file (grid, Latin
hypercube, Sobol or Morris design), locally or on a Dask cluster, and streams each finished run
into a DuckDB store that a later invocation resumes. ``cqsim sensitivity STORE`` turns a Sobol or
Morris store into sensitivity indices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import lazy_exports

# Imported on first use: `cqsim --help` and `cqsim validate` should not load the model or DuckDB.
_EXPORTS = {
    "RunFailed": "sim.sweeps.execute",
    "SweepInterrupted": "sim.sweeps.execute",
    "SweepSummary": "sim.sweeps.execute",
    "run_sweep": "sim.sweeps.execute",
    "SensitivityResult": "sim.sweeps.sensitivity",
    "sensitivity": "sim.sweeps.sensitivity",
    "Factor": "sim.sweeps.spec",
    "Sweep": "sim.sweeps.spec",
    "build_scenario": "sim.sweeps.spec",
    "load_sweep": "sim.sweeps.spec",
    "SweepStore": "sim.sweeps.store",
    "export_parquet": "sim.sweeps.store",
    "read_table": "sim.sweeps.store",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from sim.sweeps.execute import RunFailed as RunFailed
    from sim.sweeps.execute import SweepInterrupted as SweepInterrupted
    from sim.sweeps.execute import SweepSummary as SweepSummary
    from sim.sweeps.execute import run_sweep as run_sweep
    from sim.sweeps.sensitivity import SensitivityResult as SensitivityResult
    from sim.sweeps.sensitivity import sensitivity as sensitivity
    from sim.sweeps.spec import Factor as Factor
    from sim.sweeps.spec import Sweep as Sweep
    from sim.sweeps.spec import build_scenario as build_scenario
    from sim.sweeps.spec import load_sweep as load_sweep
    from sim.sweeps.store import SweepStore as SweepStore
    from sim.sweeps.store import export_parquet as export_parquet
    from sim.sweeps.store import read_table as read_table


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
