"""The search: optuna's NSGA-II over lever packages, every package judged on the same seeds.

Why optuna: its ask-and-tell interface lets cqsim run the simulations itself (local processes
or a Dask cluster), its NSGA-II sampler takes constraints, and its SQLite storage commits every
finished trial in a transaction, so a search killed at any moment resumes from the store
without losing an evaluation or counting one twice (pymoo would need its whole algorithm
object pickled between generations).

One package is asked at a time, its seeds spread over the workers, then told: the sequence of
packages is the same whatever the number of workers, and with a seed the search reproduces
itself as long as it is not interrupted (a resumed search restarts the sampler's random
stream). Packages in flight when the process was killed are marked failed on resume and the
search asks for new ones in their place.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import OutputError, ScenarioError
from sim.optimize.evaluate import (
    DaskExecutor,
    LocalExecutor,
    SeedTask,
    summarise,
)
from sim.optimize.spec import Optimization

MARK = "cqsim_optimize"
BASE_KEY = -1  # the key of the base scenario's runs


@dataclass
class SearchSummary:
    """What a search did: where its store is, how many packages, how long."""

    store: Path
    completed: int
    ran: int
    wall_time_s: float
    runs: int


def default_store(opt: Optimization) -> Path:
    """Where a search keeps its trials unless told otherwise."""
    return Path("runs") / "optimize" / f"{opt.name}.optuna.db"


def _quiet_optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _constraints(trial) -> list[float]:
    return list(trial.user_attrs.get("constraints", [math.inf]))


def _distributions(opt: Optimization) -> dict[str, Any]:
    optuna = _quiet_optuna()
    dists: dict[str, Any] = {}
    for lv in opt.levers:
        if lv.choices is not None:
            dists[lv.name] = optuna.distributions.CategoricalDistribution(
                list(range(len(lv.choices)))
            )
        elif lv.integer:
            dists[lv.name] = optuna.distributions.IntDistribution(
                int(lv.low), int(lv.high), step=int(lv.step or 1)
            )
        else:
            step = lv.step
            if step is not None and not float((lv.high - lv.low) / step).is_integer():
                step = None
            dists[lv.name] = optuna.distributions.FloatDistribution(lv.low, lv.high, step=step)
    return dists


def _base_params(opt: Optimization) -> dict[str, Any] | None:
    """The base scenario's lever values as the sampler's parameters, if all are in range."""
    out: dict[str, Any] = {}
    for lv in opt.levers:
        v = lv.base_value
        if lv.choices is not None:
            if v not in lv.choices:
                return None
            out[lv.name] = lv.choices.index(v)
        else:
            if v is None or not lv.low <= float(v) <= lv.high:
                return None
            out[lv.name] = int(v) if lv.integer else float(v)
    return out


def open_study(opt: Optimization, store: Path, *, create: bool = True):
    """The optuna study in ``store``: created, or reopened if it holds this optimisation.

    Raises:
        OutputError: the file exists and is not a cqsim optimisation store.
        ScenarioError: the store holds a different optimisation (the file changed).

    """
    optuna = _quiet_optuna()
    store = Path(store)
    if store.exists():
        if not _is_ours(store):
            raise OutputError(
                "",
                "store",
                f"{store} exists and is not a cqsim optimisation store; give another --store",
            )
    elif not create:
        raise OutputError("", "store", f"{store}: no optimisation store there")
    store.parent.mkdir(parents=True, exist_ok=True)
    storage = optuna.storages.RDBStorage(
        f"sqlite:///{store.resolve()}", engine_kwargs={"connect_args": {"timeout": 30}}
    )
    sampler = optuna.samplers.NSGAIISampler(population_size=opt.population, seed=opt.sampler_seed)
    study = optuna.create_study(
        storage=storage,
        study_name=opt.name,
        sampler=sampler,
        directions=[o.direction for o in opt.objectives],
        load_if_exists=True,
    )
    fp = study.user_attrs.get("fingerprint")
    if fp is None:
        study.set_user_attr(MARK, True)
        study.set_user_attr("fingerprint", opt.fingerprint())
        study.set_user_attr("definition", json.loads(json.dumps(opt.definition(), default=str)))
    elif fp != opt.fingerprint():
        raise ScenarioError(
            opt.file,
            "",
            f"the store {store} holds a search of another version of this file (its levers, "
            "objectives, constraints, seeds or base scenario differ); give another --store to "
            "start a new search",
        )
    return study


def _is_ours(store: Path) -> bool:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT key FROM study_user_attributes WHERE key = ?", (MARK,)
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(rows)


def make_executor(workers: int | None, scheduler: str | None):
    """Local worker processes, or a Dask cluster's workers; ``close()`` it when done."""
    if scheduler:
        return DaskExecutor(scheduler)
    import os

    return LocalExecutor(workers or os.cpu_count() or 1)


def _tasks(opt: Optimization, key: int, values: dict[str, Any], seeds: list[int]) -> list[SeedTask]:
    scenario = opt.scenario(values)
    targets = tuple((t["id"], t["measure"], t["year"]) for t in opt.targets)
    cost_until = f"{max(t['year'] for t in opt.targets)}-12"
    return [
        SeedTask(key, s, opt.with_draw(scenario, s), opt.params, targets, cost_until) for s in seeds
    ]


def run_packages(
    opt: Optimization,
    packages: dict[int, dict[str, Any]],
    seeds: list[int],
    executor,
    on_run: Callable[[], None] | None = None,
) -> dict[int, dict[int, dict[str, float]]]:
    """Run each package (key -> lever values) on every seed; key -> seed -> figures."""
    tasks = [t for key, values in packages.items() for t in _tasks(opt, key, values, seeds)]
    out: dict[int, dict[int, dict[str, float]]] = {key: {} for key in packages}
    for result in executor.run(tasks):
        out[result.key][result.seed] = result.figures
        if on_run is not None:
            on_run()
    return out


def package_values(opt: Optimization, params: dict[str, Any]) -> dict[str, Any]:
    """Lever values (key path -> what the scenario receives) for a trial's parameters."""
    return {lv.path: lv.value(params[lv.name]) for lv in opt.levers}


def trial_record(trial) -> dict[str, Any]:
    """A finished trial as a flat record: number, lever values, metrics."""
    return {
        "candidate": trial.number,
        **trial.user_attrs.get("levers", {}),
        **trial.user_attrs.get("metrics", {}),
        "feasible": all(v <= 0 for v in _constraints(trial)),
        "violation": float(sum(max(0.0, v) for v in _constraints(trial))),
    }


def search(
    opt: Optimization,
    store: Path,
    executor,
    *,
    progress: bool = True,
    log: Callable[[str], None] = lambda msg: None,
):
    """Run (or resume) the search until ``opt.candidates`` packages are evaluated.

    ``executor`` runs the seeds (:func:`make_executor`). Returns the study and a
    :class:`SearchSummary`.
    """
    _quiet_optuna()
    from optuna.trial import TrialState

    t0 = time.perf_counter()
    study = open_study(opt, store)
    stale = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING]
    for t in stale:  # in flight when the last process stopped: run again under a new number
        study.tell(t.number, state=TrialState.FAIL)
    if stale:
        log(f"{len(stale)} package(s) in flight when the search stopped will be asked again")
    dists = _distributions(opt)
    seeds = opt.search_seeds()
    runs = 0
    ran = 0
    bar = _bar(opt, study, progress)
    try:
        base = study.user_attrs.get("base_figures")
        if base is None:
            log(f"running the base scenario on the {len(seeds)} seeds")
            figures = run_packages(opt, {BASE_KEY: opt.base_values()}, seeds, executor)[BASE_KEY]
            runs += len(seeds)
            base = {str(s): f for s, f in figures.items()}
            study.set_user_attr("base_figures", base)
        base_by_seed = {int(s): f for s, f in base.items()}
        if not study.get_trials(deepcopy=False):
            start = _base_params(opt)
            if start is not None:
                study.enqueue_trial(start)  # the base itself is a candidate: doing nothing more
        while (done := _completed(study)) < opt.candidates:
            trial = study.ask(dists)
            values = package_values(opt, trial.params)
            per_seed = run_packages(opt, {trial.number: values}, seeds, executor)[trial.number]
            runs += len(seeds)
            metrics = summarise(per_seed, opt.targets, base_by_seed)
            violations = [c.violation(metrics.get(c.metric, math.nan)) for c in opt.constraints]
            trial.set_user_attr("levers", {k: _jsonable(v) for k, v in values.items()})
            trial.set_user_attr("metrics", metrics)
            trial.set_user_attr("constraints", violations if violations else [0.0])
            for i, (c, v) in enumerate(zip(opt.constraints, violations, strict=True)):
                trial.set_constraint(f"{i}: {c.describe()}", v)  # NSGA-II ranks by these
            objective = [_objective_value(metrics, o.metric, o.direction) for o in opt.objectives]
            study.tell(trial, objective)
            ran += 1
            bar.update(study, done + 1)
    finally:
        bar.close()
    summary = SearchSummary(store, _completed(study), ran, time.perf_counter() - t0, runs)
    return study, summary


def _objective_value(metrics: dict[str, float], metric: str, direction: str) -> float:
    value = metrics.get(metric, math.nan)
    if not math.isfinite(value):  # e.g. cost per job with no job gained: the worst value
        return math.inf if direction == "minimize" else -math.inf
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def _completed(study) -> int:
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def completed_records(study) -> list[dict[str, Any]]:
    """Every evaluated package of the study as a flat record, in trial order."""
    from optuna.trial import TrialState

    return [
        trial_record(t) for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    ]


class _Bar:
    """Packages done, rate, time left, and the best feasible package so far."""

    def __init__(self, opt: Optimization, study, show: bool):
        self.opt = opt
        self.show = show
        self.tqdm = None
        if show:
            from tqdm import tqdm

            self.tqdm = tqdm(
                total=opt.candidates,
                initial=_completed(study),
                desc=opt.name,
                unit="package",
                file=sys.stderr,
                smoothing=0.1,
                bar_format="{desc}: {n_fmt}/{total_fmt} packages [{elapsed}<{remaining}, "
                "{rate_fmt}] {postfix}",
            )

    def update(self, study, done: int) -> None:
        if self.tqdm is None:
            return
        self.tqdm.update(done - self.tqdm.n)
        best = best_feasible(self.opt, completed_records(study))
        first = self.opt.objectives[0]
        if best is None:
            self.tqdm.set_postfix_str("no feasible package yet", refresh=False)
        else:
            self.tqdm.set_postfix_str(
                f"best feasible: {first.metric} {best[first.metric]:.4g} (#{best['candidate']})",
                refresh=False,
            )

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()


def _bar(opt: Optimization, study, show: bool) -> _Bar:
    return _Bar(opt, study, show)


def best_feasible(opt: Optimization, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The feasible package best on the first objective (ties: on the next ones)."""
    feasible = [r for r in records if r["feasible"]]
    if not feasible:
        return None

    def key(r: dict[str, Any]) -> tuple:
        return tuple(
            (r[o.metric] if o.direction == "minimize" else -r[o.metric]) for o in opt.objectives
        )

    return min(feasible, key=key)
