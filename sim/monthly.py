"""A scenario's recorded months as arrays, and the long-format table and file made from them.

A run records every metric every month into one (months x metrics) block per replicate
(:class:`sim.metrics.Recorder`). :class:`MonthlyValues` keeps those blocks stacked, so that the
targets, the warnings and ``trajectories.parquet`` are read and written without pandas
(``cqsim run`` then starts without importing it); :meth:`MonthlyValues.frame` gives the
long-format table (:data:`TRAJECTORY_COLUMNS`) the analysis reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from sim.core import ClusterSim

TRAJECTORY_COLUMNS = ["scenario", "replicate", "seed", "date", "metric", "value"]


@dataclass(frozen=True, eq=False)
class MonthlyValues:
    """One scenario's trajectories: ``values[r, m, k]`` is metric ``names[k]`` in month ``m``.

    ``replicates`` and ``seeds`` label the first axis (replicate ids and their seeds),
    ``dates`` the second (the first day of each month, datetime64[D]).
    """

    scenario: str
    names: tuple[str, ...]
    dates: np.ndarray
    replicates: np.ndarray
    seeds: np.ndarray
    values: np.ndarray

    @classmethod
    def of_model(cls, model: ClusterSim, replicate: int) -> MonthlyValues:
        """A finished model's months, labelled as replicate ``replicate`` with its seed."""
        return cls(
            scenario=model.cq_scenario.name,
            names=tuple(model.recorder.names),
            dates=np.asarray(model.dates),
            replicates=np.array([replicate], dtype=np.int32),
            seeds=np.array([model.seed], dtype=np.int64),
            values=model.recorder.values[np.newaxis],
        )

    @classmethod
    def stack(cls, parts: list[MonthlyValues]) -> MonthlyValues:
        """The replicates of several parts of one scenario, in the parts' order."""
        first = parts[0]
        for part in parts[1:]:
            if part.names != first.names or not np.array_equal(part.dates, first.dates):
                raise ValueError("replicates to stack record different metrics or months")
        return cls(
            scenario=first.scenario,
            names=first.names,
            dates=first.dates,
            replicates=np.concatenate([p.replicates for p in parts]),
            seeds=np.concatenate([p.seeds for p in parts]),
            values=np.concatenate([p.values for p in parts]),
        )

    def has(self, metric: str) -> bool:
        """Whether the run records ``metric``."""
        return metric in self.names

    def wide(self, metric: str) -> np.ndarray:
        """One metric as (replicates x months)."""
        return self.values[:, :, self.names.index(metric)]

    def _long_columns(self) -> dict[str, np.ndarray]:
        """The long format's columns, metric and scenario as sorted categories' codes."""
        n_reps, n_months, n_metrics = self.values.shape
        rows_per_replicate = n_months * n_metrics
        order = sorted(range(n_metrics), key=lambda k: self.names[k])
        codes = np.empty(n_metrics, dtype=np.int8 if n_metrics < 128 else np.int16)
        codes[order] = np.arange(n_metrics)
        return {
            "replicate": np.repeat(self.replicates.astype(np.int32), rows_per_replicate),
            "seed": np.repeat(self.seeds.astype(np.int64), rows_per_replicate),
            "date": np.tile(np.repeat(self.dates, n_metrics), n_reps),
            "metric_codes": np.tile(codes, n_reps * n_months),
            "metric_categories": np.array([self.names[k] for k in order], dtype=object),
            "value": self.values.reshape(-1),
        }

    def frame(self) -> pd.DataFrame:
        """The long-format table: one row per replicate, month and metric.

        Columns :data:`TRAJECTORY_COLUMNS`; ``scenario`` and ``metric`` are categoricals
        (categories sorted), rows ordered by replicate, month, then the recorder's metrics.
        """
        import pandas as pd

        cols = self._long_columns()
        n = cols["value"].size
        return pd.DataFrame(
            {
                "scenario": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [self.scenario]),
                "replicate": cols["replicate"],
                "seed": cols["seed"],
                "date": cols["date"],
                "metric": pd.Categorical.from_codes(
                    cols["metric_codes"], cols["metric_categories"]
                ),
                "value": cols["value"],
            }
        )

    def write_parquet(self, path: str | Path) -> None:
        """Write the long-format table as a Parquet file that reads back as :meth:`frame`."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = self._long_columns()
        n = cols["value"].size
        dates = cols["date"].astype("datetime64[ms]").view(np.int64)
        codes = cols["metric_codes"]
        table = pa.table(
            {
                "scenario": pa.DictionaryArray.from_arrays(
                    _arrow_numbers(np.zeros(n, dtype=np.int8), pa.int8()),
                    _arrow_strings([self.scenario]),
                ),
                "replicate": _arrow_numbers(cols["replicate"], pa.int32()),
                "seed": _arrow_numbers(cols["seed"], pa.int64()),
                "date": _arrow_numbers(dates, pa.timestamp("ms")),
                "metric": pa.DictionaryArray.from_arrays(
                    _arrow_numbers(codes, pa.from_numpy_dtype(codes.dtype)),
                    _arrow_strings(list(cols["metric_categories"])),
                ),
                "value": _arrow_numbers(cols["value"], pa.float64()),
            }
        )
        pq.write_table(table, path)


# Arrow arrays built from their buffers: ``pyarrow.array`` imports pandas (0.3 s) to ask
# whether its input is a pandas object.


def _arrow_numbers(values: np.ndarray, arrow_type):
    """A numeric Arrow array without nulls, sharing ``values``' memory."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(arrow_type, values.size, [None, pa.py_buffer(values)])


def _arrow_strings(strings: list[str]):
    """An Arrow string array without nulls."""
    import pyarrow as pa

    encoded = [text.encode("utf-8") for text in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )
