"""Calibration of the free parameters against the observed figures, with ABC-SMC (pyabc).

A calibration file (TOML) names the scenario to run, the parameters with their priors, the
observed figures (ids of scenarios/observations.csv) with their tolerances, and the budget.
The distance between a run and the observations is the sum of squared relative errors, each
divided by its tolerance. pyabc keeps its history in a SQLite database next to the posterior,
so an interrupted calibration resumes from its last finished generation.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import ScenarioError
from sim.files import read_toml
from sim.outputs import check_output_file
from sim.params import Parameters, load_parameters
from sim.pool import guard_worker
from sim.posterior import WEIGHT, summarise, write_posterior
from sim.targets import load_observations, observe
from sim.validation import describe_error, did_you_mean


class Prior(BaseModel):
    """A prior for one parameter: uniform on [low, high], or normal / lognormal."""

    model_config = ConfigDict(extra="forbid")

    parameter: str = Field(description="dotted key of scenarios/parameters.toml")
    distribution: Literal["uniform", "normal", "lognormal"] = "uniform"
    low: float | None = Field(None, description="uniform: lower bound")
    high: float | None = Field(None, description="uniform: upper bound")
    mean: float | None = Field(None, description="normal: mean; lognormal: median")
    sd: float | None = Field(None, gt=0, description="normal: sd; lognormal: log-sd")

    @model_validator(mode="after")
    def _complete(self) -> Prior:
        if self.distribution == "uniform":
            if self.low is None or self.high is None or not self.low < self.high:
                raise ValueError("a uniform prior needs low < high")
        elif self.mean is None or self.sd is None:
            raise ValueError(f"a {self.distribution} prior needs mean and sd")
        return self


class Target(BaseModel):
    """An observed figure to fit, by its id in observations.csv, with a relative tolerance."""

    model_config = ConfigDict(extra="forbid")

    id: str
    tolerance: float = Field(gt=0, le=10, description="relative error counted as one unit")


class CalibrationConfig(BaseModel):
    """A calibration file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    scenario: str = Field(description="scenario file to run, relative to this file")
    end: str = "2025-12"
    scale: int = Field(10, ge=1)
    seed: int = Field(1, ge=0)
    population: int = Field(100, ge=5, le=100000)
    generations: int = Field(6, ge=1, le=100)
    max_simulations: int = Field(5000, ge=10)
    max_minutes: float = Field(30, gt=0)
    workers: int | None = Field(None, ge=1)
    output: str = Field("posterior.parquet", description="posterior file, relative to this file")
    priors: list[Prior] = Field(min_length=1)
    targets: list[Target] = Field(min_length=1)


def load_config(path: str | Path, params: Parameters | None = None) -> CalibrationConfig:
    """Read and check a calibration file; ScenarioError names the file and key on a problem."""
    path = Path(path)
    params = params or load_parameters()
    data = read_toml(path, what="calibration file")
    try:
        config = CalibrationConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key, msg = describe_error(err, lambda parent: [])
        if err["type"] == "extra_forbidden":
            word = str(err["loc"][-1])
            msg = f"unknown key '{word}'" + did_you_mean(
                word, list(CalibrationConfig.model_fields) + list(Prior.model_fields)
            )
        raise ScenarioError(path, key, msg) from None
    for i, prior in enumerate(config.priors):
        if prior.parameter not in params.specs:
            hint = did_you_mean(prior.parameter, list(params.specs))
            raise ScenarioError(
                path, f"priors[{i}].parameter", f"unknown parameter '{prior.parameter}'{hint}"
            )
        spec = params.specs[prior.parameter]
        for bound in (prior.low, prior.high):
            if bound is not None and (
                (spec.min is not None and bound < spec.min)
                or (spec.max is not None and bound > spec.max)
            ):
                raise ScenarioError(
                    path,
                    f"priors[{i}]",
                    f"bounds must lie within the parameter's range [{spec.min}, {spec.max}]",
                )
        whole = isinstance(spec.value, int) and not isinstance(spec.value, bool)
        if whole and (
            prior.distribution != "uniform"
            or any(not float(b).is_integer() for b in (prior.low, prior.high))
        ):
            # a whole-number parameter's draws are rounded: a prior between whole numbers
            # would calibrate only the nearest ones (write the value as 1.0 if it is not whole)
            raise ScenarioError(
                path,
                f"priors[{i}]",
                f"'{prior.parameter}' is a whole number in the parameter file "
                f"(value = {spec.value}), so its draws are rounded: give a uniform prior with "
                "whole-number bounds, or write the value with a decimal point if it is not whole",
            )
    observed = load_observations()
    usable = observed[(observed["kind"] == "observation") & observed["measure"].notna()]
    for i, target in enumerate(config.targets):
        if target.id not in set(usable["id"]):
            hint = did_you_mean(target.id, list(usable["id"]))
            raise ScenarioError(
                path, f"targets[{i}].id", f"not an observed figure the model records{hint}"
            )
    scenario_path = path.parent / config.scenario
    if not scenario_path.is_file():
        raise ScenarioError(path, "scenario", f"file not found: {config.scenario}")
    from sim.runner import resolve  # the model is loaded only when needed (fast `cqsim --help`)

    resolve(scenario_path, end=config.end, scale=config.scale, params=params)  # checks it
    return config


class _Simulator:
    """What pyabc calls: parameters in, the observed figures' model values out."""

    def __init__(self, config: CalibrationConfig, config_path: Path, params: Parameters):
        from sim.runner import resolve

        # The particle sets the calibrated parameters: never draw them from an earlier posterior.
        self.scenario = resolve(
            config_path.parent / config.scenario,
            end=config.end,
            scale=config.scale,
            posterior=False,
            params=params,
        )
        self.params = params
        self.parent = os.getpid()  # pyabc runs the simulations in children of this process
        observed = load_observations().set_index("id")
        self.rules = {
            t.id: (observed.loc[t.id, "measure"], int(observed.loc[t.id, "year"]))
            for t in config.targets
        }

    def __call__(self, particle: dict) -> dict[str, float]:
        if os.getpid() != self.parent:  # in one of pyabc's worker processes
            guard_worker(self.parent)
        overrides = {k: float(v) for k, v in particle.items()}
        for key, value in overrides.items():
            if isinstance(self.params.specs[key].value, int):
                overrides[key] = round(value)
        scenario = self.scenario.model_copy(
            update={"parameters": {**self.scenario.parameters, **overrides}}
        )
        # pyabc seeds numpy's global generator in each of its worker processes: draw from it.
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
        from sim.runner import simulate

        model = simulate(scenario, seed, self.params)
        traj = _trajectories(model)
        return {tid: float(observe(traj, name, y).iloc[0]) for tid, (name, y) in self.rules.items()}


def _trajectories(model) -> pd.DataFrame:
    from sim.runner import replicate_frame

    return replicate_frame(model, 0)


def _distance(tolerances: dict[str, float]):
    def distance(simulated: dict, observed: dict) -> float:
        return float(
            sum(
                ((simulated[k] - observed[k]) / (tolerances[k] * abs(observed[k]))) ** 2
                for k in tolerances
            )
        )

    return distance


def _prior(config: CalibrationConfig):
    import pyabc

    rvs = {}
    for p in config.priors:
        if p.distribution == "uniform":
            rvs[p.parameter] = pyabc.RV("uniform", p.low, p.high - p.low)
        elif p.distribution == "normal":
            rvs[p.parameter] = pyabc.RV("norm", p.mean, p.sd)
        else:
            rvs[p.parameter] = pyabc.RV("lognorm", p.sd, 0, p.mean)
    return pyabc.Distribution(**rvs)


def _history_is_ours(meta_path: Path) -> bool:
    """Whether the history's metadata file beside the posterior was written by cqsim."""
    try:
        return "fingerprint" in json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def config_hash(config: CalibrationConfig) -> str:
    """Fingerprint of what defines the calibration (not its budget), to refuse mixing runs."""
    key = config.model_dump(exclude={"generations", "max_simulations", "max_minutes", "workers"})
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def calibrate(
    path: str | Path, *, fresh: bool = False, progress: bool = True, scheduler: str | None = None
) -> dict:
    """Run (or resume) the calibration of a file; write the posterior; return a summary.

    Args:
        path: the calibration file.
        fresh: discard a stored history and start over.
        progress: print pyabc's progress.
        scheduler: address of a Dask distributed scheduler: the simulations go to its workers
            (pyabc's Dask sampler) instead of local processes. Such a calibration is not
            reproducible bit for bit: the workers draw their own seeds.

    """
    import pyabc

    path = Path(path)
    params = load_parameters()
    config = load_config(path, params)
    output = path.parent / config.output
    db_path = output.with_suffix(".history.db")
    meta_path = output.with_suffix(".history.json")
    fingerprint = config_hash(config)
    check_output_file(output, option="output")
    history_is_ours = _history_is_ours(meta_path)
    if db_path.exists() and not history_is_ours:
        raise ScenarioError(
            path,
            "output",
            f"{db_path} exists but was not written by cqsim calibrate (no {meta_path.name} "
            "beside it): move it away or choose another output",
        )
    if fresh and history_is_ours:
        for p in (db_path, meta_path):
            p.unlink(missing_ok=True)
    np.random.seed(config.seed)  # noqa: NPY002 (pyabc draws from numpy's global generator)
    workers = config.workers or os.cpu_count() or 1
    if scheduler:
        from sim.sweeps.execute import connect_dask

        client = connect_dask(scheduler)
    else:
        client = None
    if client is not None:
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client)
    elif workers == 1:
        sampler = pyabc.sampler.SingleCoreSampler()
    else:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    observed = load_observations().set_index("id")
    obs_values = {t.id: float(observed.loc[t.id, "value"]) for t in config.targets}
    abc = pyabc.ABCSMC(
        _Simulator(config, path, params),
        _prior(config),
        _distance({t.id: t.tolerance for t in config.targets}),
        population_size=config.population,
        sampler=sampler,
    )
    started = time.perf_counter()
    db = f"sqlite:///{db_path.resolve()}"
    resumed = False
    if db_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("fingerprint") != fingerprint:
            raise ScenarioError(
                path,
                "",
                f"{db_path.name} holds a calibration with other settings; "
                "use --fresh to start over",
            )
        abc.load(db, meta["run_id"])
        resumed = True
    else:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        history = abc.new(db, obs_values)
        meta_path.write_text(json.dumps({"fingerprint": fingerprint, "run_id": history.id}))
    done = abc.history.max_t + 1 if resumed else 0
    remaining = max(0, config.generations - done)
    try:
        if remaining:
            history = abc.run(
                max_nr_populations=remaining,
                max_total_nr_simulations=config.max_simulations,
                max_walltime=timedelta(minutes=config.max_minutes),
            )
        else:
            history = abc.history
    finally:
        if client is not None:
            client.close()
    frame, weights = history.get_distribution()
    posterior = frame.reset_index(drop=True).copy()
    posterior[WEIGHT] = weights
    write_posterior(posterior, output)
    populations = history.get_all_populations()
    return {
        "posterior": str(output),
        "history": str(db_path),
        "generations": int(history.max_t + 1),
        "epsilon": float(populations["epsilon"].iloc[-1]),
        "simulations": int(history.total_nr_simulations),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "resumed": resumed,
        "parameters": summarise(posterior).to_dict(orient="records"),
    }
