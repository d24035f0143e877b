"""Sweep files: what to vary, over which range, with which design, and how each point is built.

A sweep file names a base scenario, its factors (a parameter or a policy amount, by key path)
and a design. Everything is checked before anything runs; a problem is a
:class:`~sim.scenario.ScenarioError` naming the sweep file and the key path.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.calendar import parse_month
from sim.errors import ScenarioError
from sim.files import read_toml
from sim.metrics import metric_names
from sim.params import Parameters, load_parameters
from sim.scenario import Scenario, load_scenario
from sim.validation import describe_error, did_you_mean

DESIGNS = ("grid", "lhs", "sobol", "morris")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FactorFile(_Strict):
    """One factor as written: a key path with either grid values or a range."""

    path: str = Field(
        min_length=1,
        description="what to vary: 'parameters.GROUP.NAME' or 'policies.POLICY_NAME.FIELD'",
    )
    values: list[float] | None = Field(
        None, min_length=1, description="grid design: the values to take"
    )
    min: float | None = Field(None, description="lhs, sobol, morris: lower end of the range")
    max: float | None = Field(None, description="lhs, sobol, morris: upper end of the range")


class SweepFile(_Strict):
    """A sweep file as written."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    base: str = Field(min_length=1, description="base scenario file, relative to the sweep file")
    design: Literal["grid", "lhs", "sobol", "morris"]
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="lhs: points; sobol: base sample N (a power of 2); morris: trajectories",
    )
    second_order: bool = Field(False, description="sobol: also estimate second-order indices")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels of each factor")
    replicates: int = Field(1, ge=1, le=100_000, description="seeds per design point")
    seed: int = Field(1, ge=0, le=2**32 - 1, description="replicate k uses seed + k")
    design_seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="seed of the lhs/sobol/morris sampler (default: seed)"
    )
    end: str | None = Field(None, description="last simulated month (default: the base's)")
    scale: int | None = Field(None, ge=1, le=1000, description="people per worker agent")
    metrics: list[str] | None = Field(
        None, min_length=1, description="metrics to store, names or patterns (default: all)"
    )
    factors: list[FactorFile] = Field(min_length=1)


@dataclass(frozen=True)
class Factor:
    """A validated factor: where it goes, whether it is a whole number, its values or range."""

    path: str
    target: tuple[str, ...]  # ("parameters", "group.name") or ("policies", index, field)
    integer: bool
    values: tuple[float, ...] | None = None
    low: float | None = None
    high: float | None = None

    def apply_rounding(self, x: float) -> float | int:
        """The value the model receives for design value x (whole numbers round half up)."""
        if self.integer:
            return math.floor(x + 0.5)
        return float(x)


@dataclass
class Sweep:
    """A validated sweep: the base scenario, factors, design and run settings."""

    file: Path
    name: str
    description: str
    design: str
    factors: list[Factor]
    base: Scenario
    params: Parameters
    replicates: int
    seed: int
    design_seed: int
    samples: int | None
    second_order: bool
    levels: int
    metrics: list[str]
    all_metrics: bool
    matrix: np.ndarray = field(repr=False)  # design matrix, one row per point, in factor units
    posterior: Any = field(default=None, repr=False)  # the base's posterior table, if it has one
    _draws: dict[int, dict[str, float | int]] = field(default_factory=dict, repr=False)

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return int(self.matrix.shape[0])

    @property
    def n_runs(self) -> int:
        """Number of runs: points times replicates."""
        return self.n_points * self.replicates

    @property
    def months(self) -> int:
        """Months simulated in each run."""
        return parse_month(self.base.run.end) - parse_month(self.base.run.start) + 1

    def seed_of(self, replicate: int) -> int:
        """Seed of replicate k at every design point (common random numbers): seed + k."""
        return self.seed + replicate

    def applied(self, point: int) -> list[float | int]:
        """The factor values the model receives at a design point."""
        return [f.apply_rounding(x) for f, x in zip(self.factors, self.matrix[point], strict=True)]

    def scenario(self, point: int) -> Scenario:
        """The base scenario with this design point's factor values in force."""
        return build_scenario(self.base, self.factors, self.applied(point))

    def run_scenario(self, scenario: Scenario, replicate: int) -> Scenario:
        """A point's scenario for one replicate: with a posterior, that seed's parameter draw.

        As in ``cqsim run``, the draw depends on the seed only (so replicate k of every point
        shares it) and parameters the scenario sets itself, factors included, keep their value.
        """
        if self.posterior is None:
            return scenario
        seed = self.seed_of(replicate)
        if seed not in self._draws:
            from sim.posterior import model_draw

            self._draws[seed] = model_draw(self.posterior, seed, self.params)
        return scenario.model_copy(
            update={"parameters": {**self._draws[seed], **scenario.parameters}}
        )

    def problem(self) -> dict[str, Any]:
        """The SALib problem: factor names (key paths) and ranges."""
        return {
            "num_vars": len(self.factors),
            "names": [f.path for f in self.factors],
            "bounds": [[f.low, f.high] for f in self.factors],
        }

    def definition(self) -> dict[str, Any]:
        """Everything that determines the stored results, as plain JSON data.

        Two sweeps with the same definition produce the same store; a store is only resumed by a
        sweep with the same definition.
        """
        base = self.base.model_dump(mode="json")
        base.pop("source", None)
        base.pop("description", None)
        posterior = base["run"].pop("posterior", None)
        return {
            "name": self.name,
            "design": self.design,
            "samples": self.samples,
            "second_order": self.second_order if self.design == "sobol" else None,
            "levels": self.levels if self.design == "morris" else None,
            "design_seed": self.design_seed if self.design != "grid" else None,
            "replicates": self.replicates,
            "seed": self.seed,
            "factors": [
                {"path": f.path, "integer": f.integer}
                | ({"values": list(f.values)} if f.values is not None else {})
                | ({"min": f.low, "max": f.high} if f.values is None else {})
                for f in self.factors
            ],
            "metrics": None if self.all_metrics else self.metrics,
            "base_scenario": base,
            "parameters": self.params.resolved(),
            "posterior_sha256": (
                hashlib.sha256(Path(posterior).read_bytes()).hexdigest() if posterior else None
            ),
            "design_matrix_sha256": hashlib.sha256(
                np.ascontiguousarray(self.matrix, dtype=np.float64).tobytes()
            ).hexdigest(),
        }

    def fingerprint(self) -> str:
        """A hash of :meth:`definition`: equal for sweeps that produce the same store."""
        text = json.dumps(self.definition(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Factors


def _numeric_kind(annotation: Any) -> str | None:
    """'int', 'float' or None (not a number) for a pydantic field annotation."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        kinds = {_numeric_kind(a) for a in args if a is not type(None)}
        kinds.discard(None)
        return "float" if "float" in kinds else ("int" if kinds else None)
    if annotation is bool:
        return None
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    return None


def resolve_factor(
    file: Path, i: int, path: str, base: Scenario, params: Parameters, section: str = "factors"
) -> tuple[tuple, bool]:
    """Check a factor's key path; return its target and whether it takes whole numbers.

    ``section`` is the file's list the path is in (sweeps: ``factors``; optimisations:
    ``levers``), for the key path of an error.
    """
    where = f"{section}[{i}].path"
    head, _, rest = path.partition(".")
    if head == "parameters":
        if rest not in params.specs:
            keys = sorted(params.specs)
            raise ScenarioError(
                file, where, f"unknown parameter '{rest}'{did_you_mean(rest, keys)}"
            )
        spec = params.specs[rest]
        integer = isinstance(spec.value, int) and not isinstance(spec.value, bool)
        return ("parameters", rest), integer
    if head == "policies":
        name, _, fld = rest.partition(".")
        names = [p.name for p in base.policies if p.name]
        matches = [j for j, p in enumerate(base.policies) if p.name == name]
        if not matches:
            hint = did_you_mean(name, names) or f" (named policies: {', '.join(names) or 'none'})"
            raise ScenarioError(file, where, f"no policy named '{name}' in the base scenario{hint}")
        j = matches[0]
        model = type(base.policies[j])
        numeric = {
            k: kind
            for k, info in model.model_fields.items()
            if (kind := _numeric_kind(info.annotation)) is not None
        }
        if fld not in model.model_fields:
            raise ScenarioError(
                file,
                where,
                f"policy '{name}' ({base.policies[j].kind}) has no field '{fld}'"
                f"{did_you_mean(fld, list(numeric))}",
            )
        if fld not in numeric:
            raise ScenarioError(
                file,
                where,
                f"'{fld}' is not a number; a factor can set the numeric fields of a "
                f"{base.policies[j].kind} policy: {', '.join(numeric)}",
            )
        return ("policies", j, fld), numeric[fld] == "int"
    raise ScenarioError(
        file,
        where,
        f"a factor path starts with 'parameters.' or 'policies.', got '{path}'"
        f"{did_you_mean(head, ['parameters', 'policies'])}",
    )


def build_scenario(base: Scenario, factors: list[Factor], values: list[float | int]) -> Scenario:
    """The base scenario with each factor set to its value (validated like a scenario file).

    Raises:
        ValueError: a parameter value outside its range, or a policy value its model rejects;
            the message names the factor's path.

    """
    overrides = dict(base.parameters)
    policies = list(base.policies)
    changed: dict[int, dict[str, Any]] = {}
    for f, value in zip(factors, values, strict=True):
        if f.target[0] == "parameters":
            overrides[f.target[1]] = value
        else:
            changed.setdefault(f.target[1], {})[f.target[2]] = value
    for j, updates in changed.items():
        pol = policies[j]
        try:
            policies[j] = type(pol).model_validate({**pol.model_dump(), **updates})
        except ValidationError as exc:
            err = exc.errors()[0]
            fld = str(err["loc"][0]) if err["loc"] else ""
            path = f"policies.{pol.name}.{fld}" if fld in updates else f"policies.{pol.name}"
            _, msg = describe_error(err, lambda parent: [])
            raise ValueError(f"{path}: {msg}") from None
    return base.model_copy(update={"parameters": overrides, "policies": policies})


def check_parameter_value(params: Parameters, key: str, value: float) -> str | None:
    """Why a parameter cannot take this value, or None."""
    spec = params.specs[key]
    if spec.min is not None and value < spec.min:
        return f"{value:g} is below the minimum {spec.min:g} of parameter '{key}' ({spec.unit})"
    if spec.max is not None and value > spec.max:
        return f"{value:g} is above the maximum {spec.max:g} of parameter '{key}' ({spec.unit})"
    return None


def _check_value(
    file: Path, where: str, base: Scenario, params: Parameters, f: Factor, value: float
) -> None:
    """Check one factor value alone (others at the base's values)."""
    if not math.isfinite(value):
        raise ScenarioError(file, where, f"expected a finite number, got {value!r}")
    applied = f.apply_rounding(value)
    if f.target[0] == "parameters":
        problem = check_parameter_value(params, f.target[1], applied)
        if problem:
            raise ScenarioError(file, where, problem)
        return
    try:
        build_scenario(base, [f], [applied])
    except ValueError as exc:
        raise ScenarioError(file, where, str(exc)) from None


def _check_factor(
    file: Path, i: int, raw: FactorFile, design: str, base: Scenario, params: Parameters
) -> Factor:
    target, integer = resolve_factor(file, i, raw.path, base, params)
    if design == "grid":
        if raw.min is not None or raw.max is not None:
            key = "min" if raw.min is not None else "max"
            raise ScenarioError(
                file, f"factors[{i}].{key}", "a grid design takes `values`, not min and max"
            )
        if raw.values is None:
            raise ScenarioError(
                file, f"factors[{i}].values", "required key is missing (a grid needs values)"
            )
        seen: set[float] = set()
        for j, v in enumerate(raw.values):
            where = f"factors[{i}].values[{j}]"
            if integer and math.isfinite(v) and not float(v).is_integer():
                raise ScenarioError(file, where, f"expected a whole number, got {v!r}")
            if v in seen:
                raise ScenarioError(file, where, f"value {v!r} is listed twice")
            seen.add(v)
        f = Factor(raw.path, target, integer, values=tuple(float(v) for v in raw.values))
        for j, v in enumerate(raw.values):
            _check_value(file, f"factors[{i}].values[{j}]", base, params, f, v)
        return f
    if raw.values is not None:
        raise ScenarioError(
            file,
            f"factors[{i}].values",
            f"a {design} design takes a range (min and max), not values",
        )
    for key in ("min", "max"):
        if getattr(raw, key) is None:
            raise ScenarioError(
                file, f"factors[{i}].{key}", f"required key is missing (a {design} needs a range)"
            )
    assert raw.min is not None and raw.max is not None
    if not raw.max > raw.min:
        raise ScenarioError(
            file, f"factors[{i}].max", f"must be greater than min ({raw.max!r} <= {raw.min!r})"
        )
    f = Factor(raw.path, target, integer, low=float(raw.min), high=float(raw.max))
    _check_value(file, f"factors[{i}].min", base, params, f, raw.min)
    _check_value(file, f"factors[{i}].max", base, params, f, raw.max)
    return f


def _select_metrics(file: Path, patterns: list[str] | None, names: list[str]) -> list[str]:
    if patterns is None:
        return list(names)
    chosen: set[str] = set()
    for i, pat in enumerate(patterns):
        hits = fnmatch.filter(names, pat)
        if not hits:
            raise ScenarioError(
                file, f"metrics[{i}]", f"no metric matches '{pat}'{did_you_mean(pat, names)}"
            )
        chosen.update(hits)
    return [n for n in names if n in chosen]  # recorder order


# ----------------------------------------------------------------------------------------------
# Loading


def load_sweep(path: str | Path, params: Parameters | None = None) -> Sweep:
    """Read and check a sweep file, its base scenario and every design point.

    Raises:
        ScenarioError: naming the file and key path of the first problem found.

    """
    from sim.sweeps.design import design_matrix

    file = Path(path)
    params = params if params is not None else load_parameters()
    data = read_toml(file, what="sweep file")
    try:
        raw = SweepFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        if err["type"] == "extra_forbidden":
            loc = err["loc"]
            word = str(loc[-1])
            model = FactorFile if loc[0] == "factors" else SweepFile
            key = key_of(loc)
            raise ScenarioError(
                file, key, f"unknown key '{word}'{did_you_mean(word, list(model.model_fields))}"
            ) from None
        key, msg = describe_error(err, lambda parent: [])
        if err["type"] == "literal_error" and err["loc"] == ("design",):
            got = str(err.get("input"))
            msg = f"unknown design '{got}'; one of {', '.join(DESIGNS)}{did_you_mean(got, DESIGNS)}"
        raise ScenarioError(file, key_of(err["loc"]) or key, msg) from None

    base_path = (file.parent / raw.base).resolve()
    if not base_path.is_file():
        raise ScenarioError(file, "base", f"file not found: {raw.base}")
    base = load_scenario(base_path, params)
    updates: dict[str, Any] = {}
    if raw.end is not None:
        try:
            end = parse_month(raw.end)
        except ValueError as exc:
            raise ScenarioError(file, "end", str(exc)) from None
        if end < parse_month(base.run.start):
            raise ScenarioError(file, "end", f"{raw.end} is before the start {base.run.start}")
        updates["end"] = raw.end
    if raw.scale is not None:
        updates["scale"] = raw.scale
    if updates:
        base = base.model_copy(update={"run": base.run.model_copy(update=updates)})

    if raw.design == "grid" and raw.samples is not None:
        raise ScenarioError(
            file, "samples", "a grid has no samples: its points are every combination of values"
        )
    if raw.design != "grid" and raw.samples is None:
        what = {"lhs": "points", "sobol": "base sample size N", "morris": "trajectories"}
        raise ScenarioError(
            file, "samples", f"required key is missing ({raw.design}: {what[raw.design]})"
        )
    if raw.design == "sobol":
        n = raw.samples or 0
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise ScenarioError(
                file,
                "samples",
                f"a sobol design needs a power of 2, got {n} (try {lower} or {lower * 2})",
            )
    if raw.design == "sobol" and len(raw.factors) < 2:
        raise ScenarioError(file, "factors", "a sobol design needs at least 2 factors")
    paths = [f.path for f in raw.factors]
    for i, p in enumerate(paths):
        if p in paths[:i]:
            raise ScenarioError(file, f"factors[{i}].path", f"'{p}' is already a factor")
    factors = [
        _check_factor(file, i, f, raw.design, base, params) for i, f in enumerate(raw.factors)
    ]
    names = metric_names(params.park_ids)
    metrics = _select_metrics(file, raw.metrics, names)
    design_seed = raw.seed if raw.design_seed is None else raw.design_seed
    matrix = design_matrix(
        raw.design,
        factors,
        samples=raw.samples,
        seed=design_seed,
        second_order=raw.second_order,
        levels=raw.levels,
    )
    sweep = Sweep(
        file=file,
        name=raw.name,
        description=raw.description,
        design=raw.design,
        factors=factors,
        base=base,
        params=params,
        replicates=raw.replicates,
        seed=raw.seed,
        design_seed=design_seed,
        samples=raw.samples,
        second_order=raw.second_order,
        levels=raw.levels,
        metrics=metrics,
        all_metrics=raw.metrics is None,
        posterior=base_posterior(base, params),
        matrix=matrix,
    )
    for point in range(sweep.n_points):
        try:
            sweep.scenario(point)
        except ValueError as exc:
            shown = ", ".join(
                f"{f.path}={v}" for f, v in zip(factors, sweep.applied(point), strict=True)
            )
            raise ScenarioError(
                file, "factors", f"design point {point} ({shown}) is invalid: {exc}"
            ) from None
        for f, v in zip(factors, sweep.applied(point), strict=True):
            if f.target[0] == "parameters":
                problem = check_parameter_value(params, f.target[1], v)
                if problem:
                    raise ScenarioError(file, "factors", f"design point {point}: {problem}")
    return sweep


def base_posterior(base: Scenario, params: Parameters) -> Any:
    """The base scenario's posterior columns, or None if it draws no parameters.

    Columns, not a pandas table: the sweep's parent needs no pandas (0.3 s to import).
    """
    if not base.run.posterior:
        return None
    from sim.posterior import posterior_columns

    return posterior_columns(base.run.posterior, params)


def key_of(loc: tuple) -> str:
    """A pydantic error location as a key path: ``factors[0].path``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
