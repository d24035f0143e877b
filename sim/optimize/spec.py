"""Optimisation files: the levers and their ranges, the objectives, the constraints, the seeds.

An optimisation file says which levers to move over which ranges, what to minimise or
maximise, which constraints a package must meet, and on how many seeds each package is judged.

Levers are named by key path as sweep factors are (``policies.NAME.FIELD`` or
``parameters.GROUP.NAME``), with a range for numbers or a list of ``choices`` for anything a
policy field takes (parks, months). Everything is checked before anything runs; a problem is a
:class:`~sim.errors.ScenarioError` naming the file and the key path.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.calendar import parse_month
from sim.errors import ScenarioError
from sim.files import read_toml
from sim.params import Parameters, load_parameters
from sim.scenario import Scenario, load_scenario
from sim.sweeps.spec import (
    Factor,
    base_posterior,
    build_scenario,
    check_parameter_value,
    key_of,
    resolve_factor,
)
from sim.validation import describe_error, did_you_mean

# What an objective or a constraint can be about (TARGET is a target id of observations.csv).
METRIC_HELP = {
    "cost": "public cost of all the scenario's policies to the end of the targets' year, "
    "bn yuan (mean over seeds)",
    "extra_cost": "cost above the base scenario's on the same seeds, bn yuan (mean)",
    "p_all": "share of seeds on which every target is met",
    "p:TARGET": "share of seeds on which that target is met",
    "mean:TARGET": "the target's figure (as observations.csv measures it), mean over seeds",
    "cost_per_job": "extra cost per extra practitioner added against the base scenario on the "
    "same seeds, yuan",
}
FIXED_METRICS = ("cost", "extra_cost", "p_all", "cost_per_job")
MAX_CANDIDATES = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LeverFile(_Strict):
    """One lever as written: a key path with a range or a list of choices."""

    path: str = Field(min_length=1, description="'policies.NAME.FIELD' or 'parameters.G.NAME'")
    min: float | None = Field(None, description="lower end of a numeric lever's range")
    max: float | None = Field(None, description="upper end of a numeric lever's range")
    step: float | None = Field(None, gt=0, description="numeric levers: move in these steps")
    choices: list[Any] | None = Field(
        None, min_length=2, description="the values the lever can take (any type the field takes)"
    )


class ObjectiveFile(_Strict):
    """An objective: exactly one of minimize or maximize, naming a metric."""

    minimize: str | None = None
    maximize: str | None = None


class ConstraintFile(_Strict):
    """A constraint: a metric with a lower bound, an upper bound or both."""

    metric: str
    min: float | None = None
    max: float | None = None


class OptimizeFile(_Strict):
    """An optimisation file as written."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    base: str = Field(min_length=1, description="base scenario file, relative to this file")
    candidates: int = Field(
        200, ge=1, le=MAX_CANDIDATES, description="packages to evaluate (optuna trials)"
    )
    population: int = Field(20, ge=2, le=1000, description="NSGA-II population size")
    seeds: int = Field(10, ge=1, le=1000, description="seeds each package is run on")
    seed: int = Field(1000, ge=0, le=2**31 - 1, description="the search's seeds: seed .. seed+n-1")
    sampler_seed: int = Field(1, ge=0, le=2**31 - 1, description="seed of the NSGA-II sampler")
    check_seeds: int = Field(
        40, ge=0, le=10_000, description="fresh seeds the chosen packages are re-run on"
    )
    check_packages: int = Field(
        5, ge=0, le=100, description="how many packages of the front are re-run on fresh seeds"
    )
    end: str | None = Field(None, description="last simulated month (default: Dec of the targets)")
    scale: int | None = Field(None, ge=1, le=1000, description="people per worker agent")
    levers: list[LeverFile] = Field(min_length=1)
    objectives: list[ObjectiveFile] = Field(min_length=1, max_length=4)
    constraints: list[ConstraintFile] = Field(default_factory=list)


@dataclass(frozen=True)
class Lever:
    """A checked lever: where it goes, its range or choices, and its base value."""

    path: str
    target: tuple
    integer: bool
    base_value: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple | None = None

    @property
    def name(self) -> str:
        """The name optuna knows the lever by (its key path)."""
        return self.path

    def value(self, suggested: Any) -> Any:
        """The value the scenario receives for what the sampler suggested."""
        if self.choices is not None:
            return self.choices[int(suggested)]
        if self.integer:
            return math.floor(float(suggested) + 0.5)
        if self.step is not None:  # on the grid low + k * step, without binary residue
            return round(float(suggested), 10)
        return float(suggested)


@dataclass(frozen=True)
class Objective:
    """A metric to minimise or maximise."""

    metric: str
    direction: str  # "minimize" or "maximize"


@dataclass(frozen=True)
class Constraint:
    """A metric that must stay within [low, high]."""

    metric: str
    low: float | None
    high: float | None

    def violation(self, value: float) -> float:
        """How far the value is outside the bounds (0 inside; optuna: <= 0 is feasible)."""
        if not math.isfinite(value):
            return math.inf
        out = 0.0
        if self.low is not None:
            out = max(out, self.low - value)
        if self.high is not None:
            out = max(out, value - self.high)
        return out

    def describe(self) -> str:
        """The constraint as written."""
        if self.low is not None and self.high is not None:
            return f"{self.low:g} <= {self.metric} <= {self.high:g}"
        if self.low is not None:
            return f"{self.metric} >= {self.low:g}"
        return f"{self.metric} <= {self.high:g}"


@dataclass
class Optimization:
    """A checked optimisation: the base scenario, levers, objectives, constraints, seeds."""

    file: Path
    name: str
    description: str
    base: Scenario
    params: Parameters
    levers: list[Lever]
    objectives: list[Objective]
    constraints: list[Constraint]
    candidates: int
    population: int
    seeds: int
    seed: int
    sampler_seed: int
    check_seeds: int
    check_packages: int
    targets: list[dict[str, Any]]  # the targets in force: id, measure, year, value, comparison
    written_end: str = ""  # the base scenario file's own last month (package files keep it)
    posterior: Any = field(default=None, repr=False)
    _draws: dict[int, dict[str, float | int]] = field(default_factory=dict, repr=False)

    def with_draw(self, scenario: Scenario, seed: int) -> Scenario:
        """The package's scenario for one seed: with a posterior, that seed's draw.

        As in ``cqsim run``: the draw depends on the seed only (so every package shares it)
        and parameters the scenario sets itself keep their value. Draws are made once per seed.
        """
        if self.posterior is None:
            return scenario
        if seed not in self._draws:
            from sim.posterior import model_draw

            self._draws[seed] = model_draw(self.posterior, seed, self.params)
        return scenario.model_copy(
            update={"parameters": {**self._draws[seed], **scenario.parameters}}
        )

    @property
    def metrics(self) -> list[str]:
        """Every metric the objectives and constraints use, each once."""
        seen = [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        return list(dict.fromkeys(seen))

    def search_seeds(self) -> list[int]:
        """The seeds every package of the search is run on (common random numbers)."""
        return [self.seed + k for k in range(self.seeds)]

    def fresh_seeds(self) -> list[int]:
        """Seeds the search never saw, for the check of the chosen packages."""
        start = self.seed + max(self.seeds, 100_000)
        return [start + k for k in range(self.check_seeds)]

    def scenario(self, values: dict[str, Any]) -> Scenario:
        """The base scenario with these lever values (key path -> value) in force."""
        factors = [Factor(lv.path, lv.target, lv.integer) for lv in self.levers]
        return build_scenario(self.base, factors, [values[lv.path] for lv in self.levers])

    def base_values(self) -> dict[str, Any]:
        """The levers' values in the base scenario."""
        return {lv.path: lv.base_value for lv in self.levers}

    def definition(self) -> dict[str, Any]:
        """What fixes the search's results: stored with the study, compared on resume."""
        return {
            "name": self.name,
            "base": self.base.model_dump(mode="json"),
            "levers": [
                {
                    "path": lv.path,
                    "low": lv.low,
                    "high": lv.high,
                    "step": lv.step,
                    "choices": None if lv.choices is None else list(lv.choices),
                }
                for lv in self.levers
            ],
            "objectives": [[o.metric, o.direction] for o in self.objectives],
            "constraints": [[c.metric, c.low, c.high] for c in self.constraints],
            "population": self.population,
            "seeds": self.search_seeds(),
            "sampler_seed": self.sampler_seed,
        }

    def fingerprint(self) -> str:
        """A short hash of :meth:`definition`."""
        text = json.dumps(self.definition(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_metric(file: Path, where: str, metric: str, target_ids: list[str]) -> None:
    if metric in FIXED_METRICS:
        return
    m = re.fullmatch(r"(p|mean):(.+)", metric)
    if m is None:
        options = [*FIXED_METRICS, *(f"p:{t}" for t in target_ids)]
        hint = did_you_mean(metric, options)
        if not hint.startswith("; did you mean"):
            hint = f"; one of {', '.join(FIXED_METRICS)}, p:TARGET or mean:TARGET"
        raise ScenarioError(file, where, f"unknown metric '{metric}'{hint}")
    if m.group(2) not in target_ids:
        raise ScenarioError(
            file,
            where,
            f"unknown target '{m.group(2)}'{did_you_mean(m.group(2), target_ids)}",
        )


def _field_value(base: Scenario, target: tuple) -> Any:
    if target[0] == "parameters":
        return base.parameters.get(target[1])
    return getattr(base.policies[target[1]], target[2])


def _resolve_choice_lever(file: Path, i: int, path: str, base: Scenario) -> tuple:
    """A lever with choices may set any field of a named policy."""
    where = f"levers[{i}].path"
    head, _, rest = path.partition(".")
    if head != "policies":
        raise ScenarioError(
            file, where, "a lever with choices sets a policy field: 'policies.NAME.FIELD'"
        )
    name, _, fld = rest.partition(".")
    names = [p.name for p in base.policies if p.name]
    matches = [j for j, p in enumerate(base.policies) if p.name == name]
    if not matches:
        hint = did_you_mean(name, names) or f" (named policies: {', '.join(names) or 'none'})"
        raise ScenarioError(file, where, f"no policy named '{name}' in the base scenario{hint}")
    j = matches[0]
    fields = [k for k in type(base.policies[j]).model_fields if k != "kind"]
    if fld not in fields:
        raise ScenarioError(
            file,
            where,
            f"policy '{name}' ({base.policies[j].kind}) has no field '{fld}'"
            f"{did_you_mean(fld, fields)}",
        )
    return ("policies", j, fld)


def _check_lever(file: Path, i: int, raw: LeverFile, base: Scenario, params: Parameters) -> Lever:
    if raw.choices is not None:
        if raw.min is not None or raw.max is not None or raw.step is not None:
            raise ScenarioError(
                file, f"levers[{i}].choices", "give either choices or a range (min, max), not both"
            )
        target = _resolve_choice_lever(file, i, raw.path, base)
        lever = Lever(
            raw.path, target, False, _field_value(base, target), choices=tuple(raw.choices)
        )
        for j, choice in enumerate(raw.choices):
            try:
                build_scenario(base, [Factor(raw.path, target, False)], [choice])
            except ValueError as exc:
                raise ScenarioError(file, f"levers[{i}].choices[{j}]", str(exc)) from None
        return lever
    target, integer = resolve_factor(file, i, raw.path, base, params, "levers")
    for key in ("min", "max"):
        if getattr(raw, key) is None:
            raise ScenarioError(
                file,
                f"levers[{i}].{key}",
                "required key is missing (a numeric lever needs min and max, or give choices)",
            )
    assert raw.min is not None and raw.max is not None
    if not (math.isfinite(raw.min) and math.isfinite(raw.max)):
        raise ScenarioError(file, f"levers[{i}]", "min and max must be finite numbers")
    if not raw.max > raw.min:
        raise ScenarioError(
            file, f"levers[{i}].max", f"must be greater than min ({raw.max!r} <= {raw.min!r})"
        )
    step = raw.step if raw.step is not None else (1.0 if integer else None)
    if integer and step is not None and not float(step).is_integer():
        raise ScenarioError(
            file, f"levers[{i}].step", f"a whole-number lever moves in whole steps, got {step!r}"
        )
    lever = Lever(
        raw.path,
        target,
        integer,
        _field_value(base, target),
        low=float(raw.min),
        high=float(raw.max),
        step=step,
    )
    for key in ("min", "max"):
        value = lever.value(getattr(raw, key))
        where = f"levers[{i}].{key}"
        if target[0] == "parameters":
            problem = check_parameter_value(params, target[1], value)
            if problem:
                raise ScenarioError(file, where, problem)
        else:
            try:
                build_scenario(base, [Factor(raw.path, target, integer)], [value])
            except ValueError as exc:
                raise ScenarioError(file, where, str(exc)) from None
    return lever


def stated_targets() -> list[dict[str, Any]]:
    """The stated targets (observations.csv): id, measure, year, value, comparison, label."""
    from sim.targets import load_observations

    obs = load_observations()
    return [
        {
            "id": r.id,
            "measure": r.measure,
            "year": int(r.year),
            "value": float(r.value),
            "comparison": r.comparison,
            "label": r.label,
        }
        for r in obs[obs["kind"] == "target"].itertuples()
    ]


def load_optimization(path: str | Path, params: Parameters | None = None) -> Optimization:
    """Read and check an optimisation file and its base scenario.

    Raises:
        ScenarioError: naming the file and key path of the first problem found.

    """
    file = Path(path)
    params = params if params is not None else load_parameters()
    data = read_toml(file, what="optimisation file")
    try:
        raw = OptimizeFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        if err["type"] == "extra_forbidden":
            loc = err["loc"]
            word = str(loc[-1])
            models = {
                "levers": LeverFile,
                "objectives": ObjectiveFile,
                "constraints": ConstraintFile,
            }
            model = models.get(str(loc[0]), OptimizeFile) if len(loc) > 1 else OptimizeFile
            raise ScenarioError(
                file,
                key_of(loc),
                f"unknown key '{word}'{did_you_mean(word, list(model.model_fields))}",
            ) from None
        key, msg = describe_error(err, lambda parent: [])
        raise ScenarioError(file, key_of(err["loc"]) or key, msg) from None

    base_path = (file.parent / raw.base).resolve()
    if not base_path.is_file():
        raise ScenarioError(file, "base", f"file not found: {raw.base}")
    base = load_scenario(base_path, params)
    targets = stated_targets()
    target_ids = [t["id"] for t in targets]
    last_year = max(t["year"] for t in targets)
    end = raw.end or f"{last_year}-12"
    try:
        end_month = parse_month(end)
    except ValueError as exc:
        raise ScenarioError(file, "end", str(exc)) from None
    if end_month < parse_month(f"{last_year}-12"):
        raise ScenarioError(
            file, "end", f"{end} ends before the targets' year {last_year}: the runs must reach it"
        )
    written_end = base.run.end
    updates: dict[str, Any] = {"end": end}
    if raw.scale is not None:
        updates["scale"] = raw.scale
    base = base.model_copy(update={"run": base.run.model_copy(update=updates)})

    paths = [lv.path for lv in raw.levers]
    for i, p in enumerate(paths):
        if p in paths[:i]:
            raise ScenarioError(file, f"levers[{i}].path", f"'{p}' is already a lever")
    levers = [_check_lever(file, i, lv, base, params) for i, lv in enumerate(raw.levers)]

    objectives = []
    for i, o in enumerate(raw.objectives):
        if (o.minimize is None) == (o.maximize is None):
            raise ScenarioError(
                file,
                f"objectives[{i}]",
                "give exactly one of minimize = METRIC or maximize = METRIC",
            )
        direction = "minimize" if o.minimize is not None else "maximize"
        metric = o.minimize if o.minimize is not None else o.maximize
        assert metric is not None
        _check_metric(file, f"objectives[{i}].{direction}", metric, target_ids)
        if metric in [ob.metric for ob in objectives]:
            raise ScenarioError(file, f"objectives[{i}]", f"'{metric}' is already an objective")
        objectives.append(Objective(metric, direction))
    constraints = []
    for i, c in enumerate(raw.constraints):
        _check_metric(file, f"constraints[{i}].metric", c.metric, target_ids)
        if c.min is None and c.max is None:
            raise ScenarioError(file, f"constraints[{i}]", "give min, max or both")
        for key in ("min", "max"):
            v = getattr(c, key)
            if v is not None and not math.isfinite(v):
                raise ScenarioError(file, f"constraints[{i}].{key}", "expected a finite number")
        if c.min is not None and c.max is not None and c.max < c.min:
            raise ScenarioError(file, f"constraints[{i}].max", "is below min: nothing can meet it")
        if (c.metric == "p_all" or c.metric.startswith("p:")) and any(
            v is not None and not 0 <= v <= 1 for v in (c.min, c.max)
        ):
            raise ScenarioError(
                file, f"constraints[{i}]", f"{c.metric} is a probability: bounds from 0 to 1"
            )
        constraints.append(Constraint(c.metric, c.min, c.max))
    return Optimization(
        file=file,
        name=raw.name,
        description=raw.description,
        base=base,
        params=params,
        levers=levers,
        objectives=objectives,
        constraints=constraints,
        candidates=raw.candidates,
        population=raw.population,
        seeds=raw.seeds,
        seed=raw.seed,
        sampler_seed=raw.sampler_seed,
        check_seeds=raw.check_seeds,
        check_packages=raw.check_packages,
        targets=targets,
        written_end=written_end,
        posterior=base_posterior(base, params),
    )
