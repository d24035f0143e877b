"""Running replicates of a scenario and writing the three output files atomically."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.calendar import parse_month
from sim.core import ClusterSim
from sim.errors import RunFailed, SettingError
from sim.limits import fiscal_warnings
from sim.monthly import TRAJECTORY_COLUMNS, MonthlyValues  # noqa: F401  (TRAJECTORY_COLUMNS: where it was)
from sim.outputs import output_folder
from sim.params import Parameters, load_parameters
from sim.posterior import with_posterior_draw
from sim.provenance import git_revision, package_versions
from sim.scenario import Scenario, check_run_setting, resolve
from sim.targets import TARGET_COLUMNS, observation_table, target_rows, write_target_csv

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """What a run produces: its months (``values``), the targets' rows and the manifest.

    ``trajectories`` (long format) and ``targets`` are the same as pandas tables, made when
    first asked for (``cqsim run`` writes its files without pandas).
    """

    values: MonthlyValues
    target_rows: list[dict]
    manifest: dict

    @functools.cached_property
    def trajectories(self) -> pd.DataFrame:
        """Long-format trajectories (:data:`TRAJECTORY_COLUMNS`)."""
        return self.values.frame()

    @functools.cached_property
    def targets(self) -> pd.DataFrame:
        """The targets table (:data:`sim.targets.TARGET_COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.target_rows, columns=TARGET_COLUMNS)

    def observations(self) -> pd.DataFrame:
        """Observed figures the model records, against the model's distribution."""
        return observation_table(self.values)

    def wide(self, replicate: int = 0) -> pd.DataFrame:
        """One replicate's trajectories as a table: one row per month, one column per metric."""
        sub = self.trajectories[self.trajectories["replicate"] == replicate]
        return sub.pivot(index="date", columns="metric", values="value")


def simulate(
    scenario: Scenario,
    seed: int,
    params: Parameters | None = None,
    on_month: Callable[[], None] | None = None,
) -> ClusterSim:
    """Run one replicate to the end and return the finished model."""
    model = ClusterSim(scenario, seed=seed, params=params)
    while model.running:
        model.step()
        if on_month is not None:
            on_month()
    return model


def replicate_frame(model: ClusterSim, replicate: int) -> pd.DataFrame:
    """A finished model's trajectories in long format: one row per month and metric.

    The columns are :data:`TRAJECTORY_COLUMNS`; the rows are labelled as replicate ``replicate``
    of the model's scenario, with the model's seed.
    """
    return MonthlyValues.of_model(model, replicate).frame()


def _run_one(args: tuple[Scenario, int, int, Parameters | None]) -> MonthlyValues:
    scenario, replicate, seed, params = args
    return MonthlyValues.of_model(simulate(scenario, seed, params), replicate)


def run(
    scenario: str | Path | Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    *,
    scale: int | None = None,
    end: str | None = None,
    posterior: str | Path | bool | None = None,
    workers: int = 1,
    params: Parameters | None = None,
    progress: bool = False,
) -> RunResult:
    """Run replicates of a scenario and return trajectories, targets and manifest.

    Replicate k uses seed ``seed + k``, so two scenarios run with the same seed share their
    random draws (common random numbers). Output does not depend on ``workers``.

    Args:
        scenario: a scenario file path or a resolved :class:`Scenario`.
        replicates: number of replicates (default: the scenario's ``run.replicates``).
        seed: base seed (default: the scenario's ``run.seed``).
        scale: people per worker agent (default: the scenario's ``run.scale``).
        end: last month 'YYYY-MM' (default: the scenario's ``run.end``).
        posterior: posterior file to draw each replicate's parameters from, or False for none
            (default: the scenario's ``run.posterior``).
        workers: processes to run replicates in.
        params: base parameters (default: the shipped parameter file).
        progress: show a progress bar on stderr.

    """
    params = params or load_parameters()
    scenario = resolve(scenario, scale=scale, end=end, posterior=posterior, params=params)
    return run_many(
        [scenario],
        replicates=replicates,
        seed=seed,
        workers=workers,
        params=params,
        progress=progress,
    )[0]


def run_many(
    scenarios: list[Scenario],
    replicates: int | None = None,
    seed: int | None = None,
    *,
    workers: int = 1,
    params: Parameters | None = None,
    progress: bool = False,
    label: str | None = None,
    on_replicate: Callable[[int, int], None] | None = None,
) -> list[RunResult]:
    """Run several resolved scenarios with the same seeds, sharing one pool and progress bar.

    ``replicates`` and ``seed`` default to the first scenario's run settings; replicate k of
    every scenario uses seed ``seed + k``. ``on_replicate(done, total)`` is called as each
    replicate finishes (the app's progress).
    """
    started = time.perf_counter()
    params = params or load_parameters()
    first = scenarios[0]
    replicates = first.run.replicates if replicates is None else replicates
    seed = first.run.seed if seed is None else seed
    check_run_setting("replicates", replicates)
    check_run_setting("seed", seed)
    if not isinstance(workers, int) or workers < 1:
        raise SettingError("workers", f"must be a whole number >= 1, got {workers!r}")
    seeds = [seed + k for k in range(replicates)]
    jobs = [
        (with_posterior_draw(sc, s, params), k, s, params)
        for sc in scenarios
        for k, s in enumerate(seeds)
    ]
    months = [parse_month(sc.run.end) - parse_month(sc.run.start) + 1 for sc in scenarios]
    total = replicates * sum(months)
    bar = _progress(total, label or first.name, progress)
    parts: list[MonthlyValues] = []  # one replicate each, in job order
    try:
        if workers <= 1 or len(jobs) == 1:
            for sc, k, s, p in jobs:
                model = simulate(sc, s, p, on_month=lambda: bar.update(1))
                parts.append(MonthlyValues.of_model(model, k))
                if on_replicate is not None:
                    on_replicate(len(parts), len(jobs))
        else:  # (imported here: a run in this process needs no multiprocessing)
            from concurrent.futures.process import BrokenProcessPool

            from sim.pool import process_pool

            pool = process_pool(min(workers, len(jobs)))
            try:
                for (sc, _, _, _), part in zip(jobs, pool.map(_run_one, jobs), strict=True):
                    parts.append(part)
                    bar.update(parse_month(sc.run.end) - parse_month(sc.run.start) + 1)
                    if on_replicate is not None:
                        on_replicate(len(parts), len(jobs))
            except BrokenProcessPool:
                raise RunFailed(
                    "a worker process died (killed from outside, or out of memory)"
                ) from None
            finally:
                pool.stop()
    finally:
        bar.close()
    wall = round(time.perf_counter() - started, 3)
    results = []
    for i, sc in enumerate(scenarios):
        values = MonthlyValues.stack(parts[i * replicates : (i + 1) * replicates])
        draws = {
            int(s): job[0].parameters
            for job, s in zip(jobs[i * replicates : (i + 1) * replicates], seeds, strict=True)
        }
        manifest = {
            "scenario": sc.model_dump(mode="json"),
            "posterior_draws": draws if sc.run.posterior else None,
            "parameters": params.with_overrides(sc.parameters).resolved(),
            "parameter_file": str(params.path),
            "replicates": replicates,
            "base_seed": seed,
            "seeds": seeds,
            "workers": workers,
            "versions": package_versions(),
            "git_revision": git_revision(),
            "command": sys.argv,
            "wall_time_s": wall,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        manifest["warnings"] = fiscal_warnings(values, params.with_overrides(sc.parameters))
        results.append(RunResult(values, target_rows(values), manifest))
    return results


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, name: str, show: bool):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=f"{name}",
        unit="month",
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} months "
        "[{elapsed}<{remaining}, {rate_fmt}]",
    )


def write_outputs(result: RunResult, out_dir: str | Path, *, force: bool = False) -> Path:
    """Write trajectories.parquet, targets.csv and manifest.json as the folder ``out_dir``.

    The folder is replaced as one unit, keeping files cqsim did not write (reports, notes);
    a folder that is not a cqsim output is refused unless ``force`` (see :mod:`sim.outputs`).
    """
    with output_folder(out_dir, kind="run", force=force) as tmp:
        result.values.write_parquet(tmp / "trajectories.parquet")
        write_target_csv(result.target_rows, tmp / "targets.csv")
        (tmp / "manifest.json").write_text(json.dumps(result.manifest, indent=2, default=str))
    return Path(out_dir)
