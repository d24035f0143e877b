"""Judging a lever package: run it on the same seeds as every other package, and summarise.

A package's figures depend only on its lever values and the seeds (and each seed's posterior
draw), never on which worker ran it or when: the same package on the same seeds gives the same
figures bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import RunFailed
from sim.params import Parameters
from sim.scenario import Scenario

ADDED_TARGET_MEASURE = "practitioners_added"  # what cost_per_job divides by
POLL_S = 0.25


@dataclass(frozen=True)
class SeedTask:
    """One run: a package (by key) on one seed, with the figures to read from it."""

    key: int
    seed: int
    scenario: Scenario
    params: Parameters
    targets: tuple[tuple[str, str, int], ...]  # (target id, measure, year)
    cost_until: str  # last month whose policy cost counts, 'YYYY-MM'


@dataclass(frozen=True)
class SeedResult:
    """A run's figures: each target's value, the policy cost and the practitioners added."""

    key: int
    seed: int
    figures: dict[str, float]


def run_seed(task: SeedTask) -> SeedResult:
    """Run one package on one seed and read its figures."""
    import pandas as pd

    from sim.runner import replicate_frame, simulate
    from sim.targets import observe

    model = simulate(task.scenario, task.seed, task.params)
    traj = replicate_frame(model, 0)
    figures = {
        tid: float(observe(traj, measure, year).iloc[0]) for tid, measure, year in task.targets
    }
    names = model.recorder.names
    cost = model.recorder.values[:, names.index("policy_cost_bn_yuan")]
    until = pd.Period(task.cost_until, freq="M").to_timestamp(how="end")
    figures["cost"] = float(cost[np.asarray(model.dates) <= until].sum())
    added = [t for t in task.targets if t[1] == ADDED_TARGET_MEASURE]
    if added:
        figures["practitioners_added"] = figures[added[0][0]]
    return SeedResult(task.key, task.seed, figures)


def met(value: float, target: dict[str, Any]) -> bool:
    """Whether a figure meets a target (">" or ">=" as observations.csv says)."""
    if not math.isfinite(value):
        return False
    return value > target["value"] if target["comparison"] == ">" else value >= target["value"]


def summarise(
    per_seed: dict[int, dict[str, float]],
    targets: list[dict[str, Any]],
    base: dict[int, dict[str, float]] | None,
) -> dict[str, float]:
    """A package's metrics over its seeds, with standard errors (``se:METRIC``).

    ``per_seed`` maps seed -> figures (:func:`run_seed`); ``base`` the base scenario's on the
    same seeds, for ``extra_cost`` and ``cost_per_job`` (paired by seed).
    """
    seeds = sorted(per_seed)
    n = len(seeds)
    out: dict[str, float] = {"seeds": float(n)}

    def mean_se(name: str, x: np.ndarray) -> None:
        out[name] = float(np.mean(x))
        out[f"se:{name}"] = float(np.std(x, ddof=1) / math.sqrt(n)) if n > 1 else math.nan

    def share_se(name: str, hits: np.ndarray) -> None:
        p = float(np.mean(hits))
        out[name] = p
        out[f"se:{name}"] = math.sqrt(p * (1 - p) / n) if n > 0 else math.nan

    all_met = np.ones(n, dtype=bool)
    for t in targets:
        values = np.array([per_seed[s][t["id"]] for s in seeds])
        hits = np.array([met(v, t) for v in values])
        all_met &= hits
        share_se(f"p:{t['id']}", hits)
        mean_se(f"mean:{t['id']}", values)
    share_se("p_all", all_met)
    cost = np.array([per_seed[s]["cost"] for s in seeds])
    mean_se("cost", cost)
    if base is not None:
        extra = cost - np.array([base[s]["cost"] for s in seeds])
        mean_se("extra_cost", extra)
        if all("practitioners_added" in per_seed[s] for s in seeds):
            jobs = np.array(
                [per_seed[s]["practitioners_added"] - base[s]["practitioners_added"] for s in seeds]
            )
            gained = float(np.mean(jobs))
            out["extra_practitioners"] = gained
            out["cost_per_job"] = float(np.mean(extra)) * 1e9 / gained if gained > 0 else math.inf
    return out


# ----------------------------------------------------------------------------------------------
# Executors: run seed tasks and yield their results in any order.


class LocalExecutor:
    """Worker processes on this machine (they die with this process)."""

    def __init__(self, workers: int):
        from sim.pool import process_pool

        self.workers = workers
        self.pool = process_pool(workers) if workers > 1 else None

    def run(self, tasks: Iterable[SeedTask]) -> Iterator[SeedResult]:
        """Run the tasks, two per worker in flight; yield each result as it finishes."""
        from sim.pool import check_not_stopped

        if self.pool is None:
            for task in tasks:
                check_not_stopped()
                yield _guarded(task)
            return
        limit = 2 * self.workers
        pending: set[Future] = set()
        it = iter(tasks)
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < limit:
                try:
                    pending.add(self.pool.submit(_guarded, next(it)))
                except StopIteration:
                    exhausted = True
            if not pending:
                break
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    raise RunFailed("a worker process died (killed, or out of memory?)") from None
            check_not_stopped()

    def close(self) -> None:
        """Stop the workers."""
        if self.pool is not None:
            self.pool.stop()


class DaskExecutor:
    """Runs on a Dask distributed cluster; each task is sent as it is needed."""

    def __init__(self, scheduler: str):
        from sim.sweeps.execute import connect_dask

        self.client = connect_dask(scheduler)
        self.workers = sum(self.client.nthreads().values()) or 1
        self._params: dict[int, Any] = {}

    def _submit(self, task: SeedTask):
        key = id(task.params)
        if key not in self._params:  # the parameter set goes to every worker once
            self._params[key] = self.client.scatter(task.params, broadcast=True, hash=False)
        return self.client.submit(
            _guarded_remote,
            task.key,
            task.seed,
            task.scenario,
            self._params[key],
            task.targets,
            task.cost_until,
            pure=False,
        )

    def run(self, tasks: Iterable[SeedTask]) -> Iterator[SeedResult]:
        """Run the tasks, two per worker thread in flight; yield each result as it finishes."""
        import time

        from distributed import as_completed

        from sim.pool import check_not_stopped

        it = iter(tasks)
        queue = as_completed(loop=self.client.loop)
        for _, task in zip(range(2 * self.workers), it, strict=False):
            queue.add(self._submit(task))
        try:
            while not queue.is_empty():
                check_not_stopped()
                if not queue.has_ready():
                    time.sleep(0.02)
                    continue
                for fut in queue.next_batch(block=False):
                    result = fut.result()
                    fut.release()
                    yield result
                    nxt = next(it, None)
                    if nxt is not None:
                        queue.add(self._submit(nxt))
        finally:
            for fut in list(queue.futures):
                fut.cancel()

    def close(self) -> None:
        """Disconnect (the cluster keeps running)."""
        self.client.close()


def _guarded_remote(key, seed, scenario, params, targets, cost_until) -> SeedResult:
    return _guarded(SeedTask(key, seed, scenario, params, targets, cost_until))


def _guarded(task: SeedTask) -> SeedResult:
    try:
        return run_seed(task)
    except Exception as exc:
        raise RunFailed(
            f"the run of package {task.key} on seed {task.seed} failed: {type(exc).__name__}: {exc}"
        ) from exc
