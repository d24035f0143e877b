"""The sweep's results store: one DuckDB file, written by one process as runs finish.

Tables:

- ``manifest(key, value)``: the sweep's definition (JSON) and its fingerprint, the stored
  metrics, versions, and a log of the sessions that ran it.
- ``points(point, <factor path>..., sample)``: one row per design point: the value each factor
  took in the model (whole numbers for integer factors) and ``sample``, the design matrix row
  SALib's analysers need.
- ``runs(point, replicate, seed)``: one row per finished run, committed in the same transaction
  as the run's trajectories, so a run is either wholly stored or absent.
- ``trajectories(point, scenario, replicate, seed, date, metric, value)``: long format, as
  ``cqsim run`` writes it, with the design point.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.calendar import month_dates, parse_month
from sim.errors import ScenarioError, SettingError
from sim.provenance import git_revision, package_versions
from sim.sweeps.spec import Sweep

SWEEP_PACKAGES = ("duckdb", "SALib", "dask", "distributed")
TABLES = ("manifest", "points", "runs", "trajectories")
TRAJECTORY_COLUMNS = ["point", "scenario", "replicate", "seed", "date", "metric", "value"]
# Bound DuckDB's buffer pool so the parent's memory stays flat however large the store grows
# (DuckDB's default is 80% of the machine's memory, kept as cache). Sorting for an export
# spills to disk beyond it.
MEMORY_LIMIT = "64MB"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(path: Path, read_only: bool = False):
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise ScenarioError(
                path, "", "the store is open in another process (is the sweep still running?)"
            ) from None
        raise ScenarioError(path, "", f"cannot open the store: {exc}") from None
    except duckdb.Error as exc:
        raise ScenarioError(path, "", f"not a sweep store: {exc}") from None
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET threads = 1")  # the parent writes; the cores belong to the runs
    con.execute("SET enable_progress_bar = false")
    return con


def read_manifest(con) -> dict[str, Any]:
    """The manifest table as a dict of decoded JSON values."""
    rows = con.execute("SELECT key, value FROM manifest").fetchall()
    return {k: json.loads(v) for k, v in rows}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temporaries(path: Path) -> None:
    """Delete half-made stores left by a process killed while creating this store."""
    for tmp in path.parent.glob(f".{path.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def arrow_array(values: np.ndarray) -> pa.Array:
    """A numeric or ``datetime64[D]`` numpy array as an Arrow array (the same values).

    Built from the array's buffer: pyarrow's own conversion of a numpy array imports pandas to
    check for its types, 0.3 s of every sweep's start otherwise.
    """
    if values.dtype == np.dtype("datetime64[D]"):
        data, kind = values.astype(np.int32), pa.date32()  # days since 1970, as date32 holds
    elif values.dtype.kind in "iuf":  # (numpy's bools are bytes, Arrow's bits: not these)
        data, kind = np.ascontiguousarray(values), pa.from_numpy_dtype(values.dtype)
    else:
        raise TypeError(f"no Arrow array from numpy {values.dtype} here")
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def arrow_strings(values: list[str]) -> pa.Array:
    """Strings as an Arrow string array, built from its buffers (see :func:`arrow_array`)."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def arrow_rows(matrix: np.ndarray) -> pa.Array:
    """Each row of a float matrix as one list of floats (see :func:`arrow_array`)."""
    rows, width = matrix.shape
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    flat = arrow_array(np.asarray(matrix, dtype=np.float64).reshape(-1))
    return pa.ListArray.from_arrays(arrow_array(offsets), flat)


class SweepStore:
    """An open store for one sweep: knows which runs are done and commits finished runs."""

    def __init__(self, path: Path, con, sweep: Sweep):
        self.path = path
        self.con = con
        self.sweep = sweep
        months = sweep.months
        n_metrics = len(sweep.metrics)
        start = parse_month(sweep.base.run.start)
        dates = month_dates(start, start + months - 1)
        # The columns every run shares, built once: dates and metric names of each row.
        self._dates = arrow_array(np.repeat(dates, n_metrics))
        self._metrics = pa.DictionaryArray.from_arrays(
            arrow_array(np.tile(np.arange(n_metrics, dtype=np.int32), months)),
            arrow_strings(list(sweep.metrics)),
        )
        self._shape = (months, n_metrics)

    # -- opening

    @classmethod
    def open(cls, path: str | Path, sweep: Sweep, command: list[str] | None = None) -> SweepStore:
        """Open the store for this sweep, creating it if absent.

        A new store is created complete with manifest and design points under a temporary name
        and renamed into place, so a store file always belongs to one whole sweep definition.

        Raises:
            ScenarioError: the file holds another sweep, is not a store, or is in use.

        """
        path = Path(path)
        if path.exists() and not path.is_file():
            raise SettingError("store", f"{path} exists and is not a file")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_temporaries(path)
            tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
            tmp.unlink(missing_ok=True)
            try:
                con = _connect(tmp)
                _create(con, sweep, command or [])
                con.close()
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
                Path(f"{tmp}.wal").unlink(missing_ok=True)
        con = _connect(path)
        try:
            tables = {
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            if not set(TABLES) <= tables:
                raise ScenarioError(path, "", "not a sweep store (tables missing)")
            manifest = read_manifest(con)
            if manifest.get("fingerprint") != sweep.fingerprint():
                old = manifest.get("definition", {})
                new = sweep.definition()
                diff = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
                raise ScenarioError(
                    path,
                    "manifest",
                    f"this store holds another sweep ({manifest.get('sweep_file', '?')}); "
                    f"the definitions differ in: {', '.join(diff) or 'fingerprint'}. Give "
                    "another --store, or delete this one to start again",
                )
        except BaseException:
            con.close()
            raise
        return cls(path, con, sweep)

    def close(self) -> None:
        """Checkpoint and close the file."""
        self.con.close()

    # -- runs

    def done(self) -> set[tuple[int, int]]:
        """The (point, replicate) pairs whose runs are stored."""
        return {(p, r) for p, r in self.con.execute("SELECT point, replicate FROM runs").fetchall()}

    def stored(self) -> int:
        """Number of runs stored."""
        return self.con.execute("SELECT count(*) FROM runs").fetchone()[0]

    def commit_run(self, point: int, replicate: int, seed: int, values: np.ndarray) -> None:
        """Store one run's trajectories and its row in ``runs``, in one transaction."""
        if values.shape != self._shape:
            raise ValueError(f"run values have shape {values.shape}, expected {self._shape}")
        incoming = pa.table(
            {
                "date": self._dates,
                "metric": self._metrics,
                "value": arrow_array(np.asarray(values, dtype=np.float64).reshape(-1)),
            }
        )
        con = self.con
        con.begin()
        try:
            con.register("incoming", incoming)
            con.execute(
                "INSERT INTO trajectories SELECT ?, ?, ?, ?, date, CAST(metric AS VARCHAR), value "
                "FROM incoming",
                [point, self.sweep.base.name, replicate, seed],
            )
            con.execute("INSERT INTO runs VALUES (?, ?, ?)", [point, replicate, seed])
            con.unregister("incoming")
            con.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                con.rollback()
            raise

    def log_session(self, session: dict[str, Any]) -> None:
        """Append one session's summary (when, how, how many runs) to the manifest."""
        manifest = read_manifest(self.con)
        sessions = [*manifest.get("sessions", []), session]
        self.con.execute(
            "INSERT OR REPLACE INTO manifest VALUES ('sessions', ?)", [json.dumps(sessions)]
        )


def _create(con, sweep: Sweep, command: list[str]) -> None:
    factor_cols = ", ".join(
        f"{_quote(f.path)} {'BIGINT' if f.integer else 'DOUBLE'}" for f in sweep.factors
    )
    con.begin()
    con.execute("CREATE TABLE manifest(key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(f"CREATE TABLE points(point INTEGER PRIMARY KEY, {factor_cols}, sample DOUBLE[])")
    con.execute(
        "CREATE TABLE runs(point INTEGER, replicate INTEGER, seed BIGINT, "
        "PRIMARY KEY (point, replicate))"
    )
    con.execute(
        "CREATE TABLE trajectories(point INTEGER, scenario VARCHAR, replicate INTEGER, "
        "seed BIGINT, date DATE, metric VARCHAR, value DOUBLE)"
    )
    manifest = {
        "fingerprint": sweep.fingerprint(),
        "definition": sweep.definition(),
        "name": sweep.name,
        "description": sweep.description,
        "sweep_file": str(sweep.file),
        "base_file": sweep.base.source,
        "points": sweep.n_points,
        "replicates": sweep.replicates,
        "runs": sweep.n_runs,
        "seeds": [sweep.seed_of(k) for k in range(sweep.replicates)],
        "metrics": sweep.metrics,
        "start": sweep.base.run.start,
        "end": sweep.base.run.end,
        "versions": package_versions() | package_versions(SWEEP_PACKAGES),
        "git_revision": git_revision(),
        "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sessions": [],
    }
    con.executemany(
        "INSERT INTO manifest VALUES (?, ?)",
        [[k, json.dumps(v, default=str)] for k, v in manifest.items()],
    )
    columns: dict[str, Any] = {"point": arrow_array(np.arange(sweep.n_points, dtype=np.int32))}
    for i, f in enumerate(sweep.factors):
        applied = [f.apply_rounding(x) for x in sweep.matrix[:, i].tolist()]
        columns[f.path] = arrow_array(np.array(applied, np.int64 if f.integer else np.float64))
    columns["sample"] = arrow_rows(sweep.matrix)
    con.register("incoming_points", pa.table(columns))
    con.execute("INSERT INTO points SELECT * FROM incoming_points")
    con.unregister("incoming_points")
    con.commit()


# ----------------------------------------------------------------------------------------------
# Reading and exporting


@contextlib.contextmanager
def open_read_only(path: str | Path) -> Iterator[Any]:
    """A read-only DuckDB connection to an existing sweep store."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, "", "store not found")
    con = _connect(path, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if not set(TABLES) <= tables:
            raise ScenarioError(path, "", "not a sweep store (tables missing)")
        yield con
    finally:
        con.close()


ORDER = {
    "manifest": "key",
    "points": "point",
    "runs": "point, replicate",
    "trajectories": "point, replicate, date, metric",
}


def read_table(path: str | Path, table: str):
    """One table of a store as a pandas DataFrame, in canonical row order."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; one of {', '.join(TABLES)}")
    with open_read_only(path) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY {ORDER[table]}").df()


def export_parquet(con, out_dir: str | Path) -> Path:
    """Write every table as ``<table>.parquet`` into out_dir (replaced atomically).

    Rows are in canonical order (point, replicate, date, metric), so the files do not depend on
    the order in which runs finished. ``date`` is written as a timestamp (first of the month).
    """
    from sim.outputs import output_folder

    with output_folder(out_dir, kind="sweep-export", option="export") as tmp:
        for table in TABLES:
            target = str(tmp / f"{table}.parquet").replace("'", "''")
            # Dates as timestamps, as in `cqsim run`'s trajectories.parquet (pandas reads
            # Parquet dates as Python objects, timestamps as datetime64).
            columns = (
                "* REPLACE (CAST(date AS TIMESTAMP) AS date)" if table == "trajectories" else "*"
            )
            con.execute(
                f"COPY (SELECT {columns} FROM {table} ORDER BY {ORDER[table]}) TO '{target}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
    return Path(out_dir)
