"""Posterior samples of calibrated parameters, and drawing one set per replicate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import ScenarioError
from sim.params import Parameters

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario import Scenario

WEIGHT = "weight"

Columns = dict[str, np.ndarray]
"""A posterior as its columns, in the file's order."""

# Posterior files read, by (path, modification time, size): a run of many replicates draws from
# the same file once per replicate.
_READ: dict[tuple[str, int, int], Columns] = {}


def posterior_columns(path: str | Path, params: Parameters) -> Columns:
    """Read a posterior file's columns: one per parameter (dotted key) and ``weight``."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, "", "posterior file not found")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _READ:
        import pyarrow.parquet as pq

        try:
            table = pq.ParquetFile(path).read()
            # through Python lists: pyarrow's own numpy conversion imports pandas (0.3 s), and
            # a posterior has a few hundred rows
            _READ[key] = {
                name: np.array(table.column(name).to_pylist()) for name in table.column_names
            }
        except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
            raise ScenarioError(path, "", f"not a readable Parquet file: {exc}") from None
    columns = _READ[key]
    if WEIGHT not in columns or len(columns[WEIGHT]) == 0:
        raise ScenarioError(path, WEIGHT, "a posterior needs rows and a 'weight' column")
    for column in columns:
        if column != WEIGHT and column not in params.specs:
            raise ScenarioError(path, column, "not a parameter of scenarios/parameters.toml")
    return {name: values.copy() for name, values in columns.items()}


def load_posterior(path: str | Path, params: Parameters) -> pd.DataFrame:
    """Read a posterior file: one column per parameter (dotted key) and a ``weight`` column."""
    import pandas as pd

    return pd.DataFrame(posterior_columns(path, params))


def write_posterior(posterior: pd.DataFrame, path: str | Path, *, force: bool = False) -> Path:
    """Write a posterior as Parquet, marked as cqsim's (so a recalibration may replace it).

    An existing file that cqsim did not write is replaced only with ``force``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.outputs import GENERATOR, output_file

    table = pa.Table.from_pandas(posterior.reset_index(drop=True), preserve_index=False)
    meta = {**(table.schema.metadata or {}), GENERATOR.encode(): b"posterior"}
    with output_file(path, force=force, option="output") as tmp:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
    return Path(path)


def draw(posterior: pd.DataFrame | Columns, seed: int) -> dict[str, float]:
    """The parameter set for the replicate with this seed (same seed, same draw)."""
    columns = {name: np.asarray(posterior[name]) for name in posterior}
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x9057,)))
    weights = columns[WEIGHT].astype(float)
    row = int(rng.choice(len(weights), p=weights / weights.sum()))
    return {k: float(v[row]) for k, v in columns.items() if k != WEIGHT}


def summarise(posterior: pd.DataFrame) -> pd.DataFrame:
    """Weighted median and 90% interval of each parameter."""
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    weights = weights / weights.sum()
    rows = []
    for column in posterior.columns:
        if column == WEIGHT:
            continue
        values = posterior[column].to_numpy(dtype=float)
        order = np.argsort(values)
        cum = np.cumsum(weights[order])
        q = {p: values[order][np.searchsorted(cum, p)] for p in (0.05, 0.5, 0.95)}
        rows.append({"parameter": column, "median": q[0.5], "p5": q[0.05], "p95": q[0.95]})
    import pandas as pd

    return pd.DataFrame(rows)


def with_posterior_draw(scenario: Scenario, seed: int, params: Parameters) -> Scenario:
    """The scenario with this replicate's parameters drawn from its posterior (if it has one).

    The draw depends on the seed only, so scenarios run with the same seeds share it.
    Parameters the scenario overrides itself keep the scenario's value.
    """
    if not scenario.run.posterior:
        return scenario
    drawn = model_draw(posterior_columns(scenario.run.posterior, params), seed, params)
    return scenario.model_copy(update={"parameters": {**drawn, **scenario.parameters}})


def model_draw(
    posterior: pd.DataFrame | Columns, seed: int, params: Parameters
) -> dict[str, float | int]:
    """A seed's draw as the model takes it: whole-number parameters rounded."""
    drawn: dict[str, float | int] = dict(draw(posterior, seed))
    for key, value in drawn.items():
        if isinstance(params.specs[key].value, int):
            drawn[key] = round(value)
    return drawn
