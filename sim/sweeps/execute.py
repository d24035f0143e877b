"""Running a sweep: local processes or a Dask cluster, results streamed into the store.

Only this (parent) process writes the store. Workers receive one run's scenario and seed and
return its metric values; at most a few runs per worker are in flight, so memory does not grow
with the sweep. A run is committed with its trajectories in one transaction, and on start the
runs already stored are skipped: a sweep killed at any moment resumes where it stopped.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import SettingError
from sim.outputs import check_output_folder, check_writable_place
from sim.params import Parameters
from sim.pool import process_pool
from sim.runner import simulate
from sim.scenario import Scenario
from sim.sweeps.spec import Sweep, load_sweep
from sim.sweeps.store import SweepStore, export_parquet

IN_FLIGHT_PER_WORKER = 2
POLL_S = 0.25  # how often a waiting sweep looks for a stop request
DASK_CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True)
class RunTask:
    """One run to do: a design point's scenario and one replicate's seed."""

    point: int
    replicate: int
    seed: int
    scenario: Scenario
    params: Parameters
    columns: tuple[int, ...] | None  # metric columns to keep (None: all)


@dataclass(frozen=True)
class RunOutput:
    """What a worker sends back: which run, and its (months x metrics) values."""

    point: int
    replicate: int
    seed: int
    values: np.ndarray


@dataclass
class SweepSummary:
    """What a call to :func:`run_sweep` did."""

    store: Path
    total_runs: int
    already_done: int
    ran: int
    wall_time_s: float
    export: Path | None = None

    @property
    def complete(self) -> bool:
        """True when every run of the sweep is stored."""
        return self.already_done + self.ran == self.total_runs


class SweepInterrupted(Exception):
    """The sweep was stopped (Ctrl-C, SIGTERM); the runs finished so far are stored."""

    def __init__(self, stored: int, total: int, store: Path):
        self.stored, self.total, self.store = stored, total, store
        super().__init__(f"{stored} of {total} runs stored in {store}")


class RunFailed(Exception):
    """A run raised an error; the runs finished before it are stored."""


def simulate_run(task: RunTask) -> RunOutput:
    """Run one replicate of one design point and return its metric values."""
    model = simulate(task.scenario, task.seed, task.params)
    values = model.recorder.values
    if task.columns is not None:
        values = values[:, list(task.columns)]
    return RunOutput(task.point, task.replicate, task.seed, np.ascontiguousarray(values))


def _tasks(sweep: Sweep, done: set[tuple[int, int]]) -> Iterator[RunTask]:
    """The runs not yet stored, point by point; scenarios are built only when needed."""
    from sim.metrics import metric_names

    names = metric_names(sweep.params.park_ids)
    columns = None if sweep.all_metrics else tuple(names.index(m) for m in sweep.metrics)
    for point in range(sweep.n_points):
        todo = [k for k in range(sweep.replicates) if (point, k) not in done]
        if not todo:
            continue
        scenario = sweep.scenario(point)
        for k in todo:
            run = sweep.run_scenario(scenario, k)
            yield RunTask(point, k, sweep.seed_of(k), run, sweep.params, columns)


# ----------------------------------------------------------------------------------------------
# Executors: each takes the task iterator and calls `sink` with every output, in any order.


def _run_serial(tasks: Iterator[RunTask], sink: Callable[[RunOutput], None], stop: _Stop) -> None:
    for task in tasks:
        stop.check()
        sink(_guarded(task))


def _guarded(task: RunTask) -> RunOutput:
    try:
        return simulate_run(task)
    except Exception as exc:
        raise RunFailed(
            f"run of design point {task.point}, replicate {task.replicate} (seed {task.seed}) "
            f"failed: {type(exc).__name__}: {exc}"
        ) from exc


class _LocalPool:
    """Worker processes, forked when created (before the store is opened)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = process_pool(workers)
        self.pool.submit(os.getpid).result()  # start the workers now

    def run(self, tasks: Iterator[RunTask], sink: Callable[[RunOutput], None], stop: _Stop) -> None:
        """Run the tasks with at most two per worker in flight; pass each output to sink."""
        limit = self.workers * IN_FLIGHT_PER_WORKER
        pending: set[Future] = set()

        def drain(block_until: int) -> None:
            nonlocal pending
            while len(pending) > block_until:
                finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                for fut in finished:
                    try:
                        output = fut.result()
                    except BrokenProcessPool:
                        raise RunFailed(
                            "a worker process died (killed, or out of memory?)"
                        ) from None
                    sink(output)
                stop.check()

        for task in tasks:
            drain(limit - 1)
            pending.add(self.pool.submit(_guarded, task))
        drain(0)

    def close(self) -> None:
        """Stop the workers: queued runs are dropped, runs in progress are abandoned."""
        self.pool.stop()


def connect_dask(scheduler: str):
    """A client of an existing Dask distributed cluster.

    Raises:
        ScenarioError: the scheduler cannot be reached (bad input naming ``--scheduler``).

    """
    from distributed import Client

    try:
        return Client(scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SettingError(
            "scheduler", f"cannot connect to a Dask scheduler at {scheduler}: {exc}"
        ) from None


class _DaskCluster:
    """A client of an existing Dask distributed cluster, connected when created."""

    def __init__(self, scheduler: str):
        self.scheduler = scheduler
        self.client = connect_dask(scheduler)
        self._params: dict[int, Any] = {}

    def _submit(self, task: RunTask):
        key = id(task.params)
        if key not in self._params:  # send the parameter set once to every worker
            self._params[key] = self.client.scatter(task.params, broadcast=True, hash=False)
        return self.client.submit(
            _guarded_remote,
            task.point,
            task.replicate,
            task.seed,
            task.scenario,
            self._params[key],
            task.columns,
            key=f"cqsim-run-{task.point}-{task.replicate}-{time.monotonic_ns()}",
            pure=False,
        )

    def run(self, tasks: Iterator[RunTask], sink: Callable[[RunOutput], None], stop: _Stop) -> None:
        """Run the tasks with at most two per worker thread in flight; pass outputs to sink."""
        from distributed import as_completed

        threads = sum(self.client.nthreads().values()) or 1
        limit = threads * IN_FLIGHT_PER_WORKER
        queue = as_completed(loop=self.client.loop)
        for _, task in zip(range(limit), tasks, strict=False):
            queue.add(self._submit(task))
        try:
            while not queue.is_empty():
                stop.check()
                if not queue.has_ready():
                    time.sleep(0.02)
                    continue
                for fut in queue.next_batch(block=False):
                    output = fut.result()
                    fut.release()
                    sink(output)
                    nxt = next(tasks, None)
                    if nxt is not None:
                        queue.add(self._submit(nxt))
        finally:
            for fut in list(queue.futures):
                fut.cancel()

    def close(self) -> None:
        """Disconnect (the cluster keeps running)."""
        self.client.close()


def _guarded_remote(
    point: int,
    replicate: int,
    seed: int,
    scenario: Scenario,
    params: Parameters,
    columns: tuple[int, ...] | None,
) -> RunOutput:
    """The Dask task: one run (the parameter set arrives as a scattered value)."""
    return _guarded(RunTask(point, replicate, seed, scenario, params, columns))


# ----------------------------------------------------------------------------------------------


def default_store(sweep: Sweep) -> Path:
    """Where a sweep's store goes unless --store says otherwise: runs/<name>.duckdb."""
    return Path("runs") / f"{sweep.name}.duckdb"


def run_sweep(
    sweep: str | Path | Sweep,
    *,
    store: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    export: str | Path | None = None,
    progress: bool = False,
    command: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> SweepSummary:
    """Run the runs of a sweep that its store does not hold yet, then optionally export it.

    Args:
        sweep: a sweep file or a loaded :class:`Sweep`.
        store: the DuckDB file (default ``runs/<sweep name>.duckdb``); created if absent,
            resumed if it holds the same sweep, refused if it holds another.
        workers: local processes (default: one per core); 1 runs in this process.
        scheduler: address of a Dask distributed scheduler; the runs go to its workers.
        export: a folder to write the tables to as Parquet once the sweep is complete.
        progress: show a progress bar (runs done, rate, time left) on stderr.
        command: the command line to record in the manifest.
        log: where to send one-line status messages (default: nowhere).

    Raises:
        ScenarioError: a bad sweep file, or a store that holds another sweep.
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are stored.
        RunFailed: a run raised an error; finished runs are stored.

    """
    say = log or (lambda _msg: None)
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    store_path = Path(store) if store is not None else default_store(sweep)
    if export is not None:
        check_output_folder(export, option="export")
    check_writable_place(store_path, option="store")
    if scheduler is None:
        workers = workers or os.cpu_count() or 1
    with _Stop() as stop:
        return _run(sweep, store_path, workers, scheduler, export, progress, command, say, stop)


def _run(
    sweep: Sweep,
    store_path: Path,
    workers: int | None,
    scheduler: str | None,
    export: str | Path | None,
    progress: bool,
    command: list[str] | None,
    say: Callable[[str], None],
    stop: _Stop,
) -> SweepSummary:
    started = time.perf_counter()
    plural = "s" if workers != 1 else ""
    how = f"the Dask cluster at {scheduler}" if scheduler else f"{workers} worker{plural}"
    # Worker processes are forked, or the cluster reached, before the store is opened: the
    # workers hold no copy of it, and an unreachable cluster leaves no store behind.
    executor: _LocalPool | _DaskCluster | None = None
    if scheduler is not None:
        executor = _DaskCluster(scheduler)
    elif workers is not None and workers > 1:
        executor = _LocalPool(workers)
    try:
        db = SweepStore.open(store_path, sweep, command if command is not None else sys.argv)
    except BaseException:
        if executor is not None:
            executor.close()
        raise
    session_started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    interrupted = False
    try:
        done = db.done()
        already = len(done)
        todo = sweep.n_runs - already
        if already and not todo:
            say(f"{sweep.name}: all {sweep.n_runs} runs are already stored in {store_path}")
        elif already:
            say(
                f"{sweep.name}: resuming {store_path}: {already} of {sweep.n_runs} runs stored, "
                f"{todo} to run on {how}"
            )
        else:
            say(
                f"{sweep.name}: {sweep.n_points} points x {sweep.replicates} replicate"
                f"{'s' if sweep.replicates > 1 else ''} = "
                f"{sweep.n_runs} runs on {how} -> {store_path}"
            )
        bar = _bar(sweep, already, progress and todo > 0)

        def sink(out: RunOutput) -> None:
            db.commit_run(out.point, out.replicate, out.seed, out.values)
            bar.update(1)
            stop.check()

        tasks = _tasks(sweep, done)
        del done
        try:
            if todo == 0:
                pass
            elif executor is not None:
                executor.run(tasks, sink, stop)
            else:
                _run_serial(tasks, sink, stop)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
            if executor is not None:
                executor.close()
                executor = None
        ran = db.stored() - already
        db.log_session(
            {
                "started": session_started,
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "runs": ran,
                "executor": f"dask:{scheduler}" if scheduler else f"local:{workers}",
                "wall_time_s": round(time.perf_counter() - started, 3),
                "interrupted": interrupted,
            }
        )
        if interrupted:
            raise SweepInterrupted(already + ran, sweep.n_runs, store_path)
        exported = None
        if export is not None:
            say(f"{sweep.name}: exporting the tables as Parquet to {export}/")
            exported = export_parquet(db.con, export)
    finally:
        db.close()
        if executor is not None:
            executor.close()
    return SweepSummary(
        store=store_path,
        total_runs=sweep.n_runs,
        already_done=already,
        ran=ran,
        wall_time_s=round(time.perf_counter() - started, 3),
        export=exported,
    )


class _Stop:
    """Ctrl-C, SIGTERM and SIGHUP request a stop, acted on between runs, never inside a write.

    DuckDB turns a signal that arrives during a statement into a 'Query interrupted' error; the
    handlers here only set a flag, and the sweep checks it (:meth:`check`) after each stored
    run and while it waits, then stops: runs in progress finish, queued ones are dropped.
    """

    def __init__(self) -> None:
        self.requested = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                if signal.getsignal(sig) is not signal.SIG_IGN:  # e.g. SIGINT under nohup
                    self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True

    def check(self) -> None:
        """Raise KeyboardInterrupt if a stop was requested."""
        if self.requested:
            raise KeyboardInterrupt


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(sweep: Sweep, initial: int, show: bool):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=sweep.n_runs,
        initial=initial,
        desc=sweep.name,
        unit="run",
        file=sys.stderr,
        smoothing=0.1,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} runs "
        "[{elapsed}<{remaining}, {rate_fmt}]",
    )
