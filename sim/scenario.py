"""Scenario files: loading, `extends`, parameter overrides and validation.

A scenario is a TOML file; see scenarios/README.md for every key. Validation happens before any
simulation; every problem is reported as a :class:`ScenarioError` naming the file and key path.
The policy tables a scenario may hold are those of the policy kinds (:mod:`sim.policies`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.calendar import parse_month
from sim.errors import ScenarioError, SettingError
from sim.files import read_toml
from sim.params import Parameters, load_parameters
from sim.policies import KINDS, SPECS, AnyPolicySpec
from sim.validation import (
    Month,
    StrictModel,
    check_month,
    describe_error,
    did_you_mean,
    field_range,
    first_error,
    key_path,
)

__all__ = [
    "POLICY_KINDS",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "check_overrides",
    "check_run_setting",
    "load_scenario",
    "resolve",
]

POLICY_KINDS = list(KINDS)


class RunSettings(StrictModel):
    """When the simulation starts and ends, and how many people one worker agent stands for."""

    start: Month = Field("2021-01", description="first simulated month, 'YYYY-MM'")
    end: Month = Field("2030-12", description="last simulated month, 'YYYY-MM' (inclusive)")
    scale: int = Field(
        10, ge=1, le=1000, description="people per worker agent (1: one agent per person)"
    )
    replicates: int = Field(
        1,
        ge=1,
        le=1000,
        description="number of runs; replicate k (from 0) uses seed + k (their trajectories are "
        "held in memory, about 0.5 MB each: for more runs use a sweep, which streams them to disk)",
    )
    seed: int = Field(1, ge=0, le=2**32 - 1, description="seed of the first replicate")
    posterior: str | None = Field(
        None,
        description="posterior file of calibrated parameters, relative to the scenario file; "
        "each replicate draws one parameter set from it by its seed (default: none, the "
        "values of parameters.toml)",
    )

    _months = field_validator("start", "end")(check_month)

    @model_validator(mode="after")
    def _ordered(self) -> RunSettings:
        if parse_month(self.end) < parse_month(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


def check_run_setting(name: str, value: Any) -> Any:
    """A run setting given by a caller, checked against its :class:`RunSettings` field's range.

    ``name`` is ``scale``, ``replicates``, ``seed``, ``start`` or ``end``.

    Raises:
        SettingError: naming the setting, with its range.

    """
    if name in ("start", "end"):
        try:
            parse_month(value)
        except ValueError as exc:
            raise SettingError(name, str(exc)) from None
        return value
    low, high = field_range(RunSettings, name)
    span = f"from {low:,.0f} to {high:,.0f}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingError(name, f"must be a whole number {span}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        extra = ""
        if name == "replicates":
            extra = " (for more runs use a sweep, which streams them to disk)"
        raise SettingError(name, f"must be {span}, got {value:,}{extra}")
    return value


class ScenarioFile(StrictModel):
    """One scenario file as written (before `extends` is resolved)."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    extends: str | None = None
    drop_policies: list[str] = Field(default_factory=list)
    run: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    policies: list[AnyPolicySpec] = Field(default_factory=list)


class Scenario(BaseModel):
    """A fully resolved scenario: run settings, parameter overrides and the policy list."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str = ""
    run: RunSettings = Field(default_factory=RunSettings)
    parameters: dict[str, float | int] = Field(default_factory=dict)
    policies: list[AnyPolicySpec] = Field(default_factory=list)

    def params(self, base: Parameters | None = None) -> Parameters:
        """The parameter set in force: the file's values with this scenario's overrides."""
        base = base if base is not None else load_parameters()
        return base.with_overrides(self.parameters)


# ----------------------------------------------------------------------------------------------
# Messages


def fields_at(parent: tuple, data: dict) -> list[str]:
    """The keys a scenario file may hold at a location (for "did you mean")."""
    if not parent:
        return list(ScenarioFile.model_fields)
    if parent[0] == "run":
        return list(RunSettings.model_fields)
    if parent[0] == "policies" and len(parent) >= 2:
        try:
            kind = data["policies"][parent[1]].get("kind")
        except (IndexError, AttributeError, KeyError, TypeError):
            kind = None
        model = SPECS.get(kind)
        return list(model.model_fields) if model else []
    return []


def scenario_error(err: dict, data: dict) -> tuple[str, str]:
    """One pydantic error of a scenario file as (key path, message)."""
    loc = err["loc"]
    key = key_path(loc, skip=lambda part: part in SPECS)  # pydantic adds the union tag
    kind = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = err.get("ctx", {}).get("tag", "")
        if kind == "union_tag_not_found":
            return key + ".kind", f"missing 'kind'; one of {', '.join(KINDS)}"
        return key + ".kind", f"unknown policy kind '{tag}'{did_you_mean(tag, KINDS)}"
    return describe_error(err, lambda parent: fields_at(parent, data), key)


# ----------------------------------------------------------------------------------------------
# Loading


def _validate_file(path: Path, data: dict) -> ScenarioFile:
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        key, msg = scenario_error(first_error(exc.errors()), data)
        raise ScenarioError(path, key, msg) from None
    if parsed.run:
        try:
            RunSettings.model_validate({**RunSettings().model_dump(), **parsed.run})
        except ValidationError as exc:
            err = exc.errors()[0]
            key, msg = scenario_error({**err, "loc": ("run", *err["loc"])}, data)
            raise ScenarioError(path, key, msg) from None
    return parsed


def check_overrides(file: Path | str, overrides: dict[str, Any], params: Parameters) -> dict:
    """Parameter overrides by dotted key (``labour.quit_rate``), each checked: key, type, range.

    Returns the values to use (whole numbers as int where the parameter is one).

    Raises:
        ScenarioError: naming ``parameters.<key>`` in ``file``.

    """
    flat: dict[str, float | int] = {}
    for key, value in overrides.items():
        group, _, name = key.partition(".")
        where = f"parameters.{key}"
        if key not in params.specs:
            names = [k.split(".", 1)[1] for k in params.specs if k.startswith(group + ".")]
            raise ScenarioError(
                file, where, f"unknown parameter '{name}'{did_you_mean(name, names)}"
            )
        spec = params.specs[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(file, where, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ScenarioError(file, where, f"expected a finite number, got {value!r}")
        if isinstance(spec.value, int) and not isinstance(spec.value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ScenarioError(file, where, f"expected a whole number, got {value!r}")
            value = int(value)
        if spec.min is not None and value < spec.min:
            raise ScenarioError(
                file, where, f"{value} is below the minimum {spec.min} ({spec.unit})"
            )
        if spec.max is not None and value > spec.max:
            raise ScenarioError(
                file, where, f"{value} is above the maximum {spec.max} ({spec.unit})"
            )
        flat[key] = value
    return flat


def _file_overrides(path: Path, tables: dict, params: Parameters) -> dict[str, Any]:
    """A file's `[parameters.group]` tables as checked values by dotted key."""
    groups = sorted({k.split(".")[0] for k in params.specs})
    flat: dict[str, Any] = {}
    for group, table in tables.items():
        if not isinstance(table, dict):
            raise ScenarioError(
                path,
                f"parameters.{group}",
                f"expected a table of parameters (e.g. [parameters.{group}])",
            )
        if group not in groups:
            raise ScenarioError(
                path,
                f"parameters.{group}",
                f"unknown parameter group '{group}'{did_you_mean(group, groups)}",
            )
        flat.update(check_overrides(path, {f"{group}.{n}": v for n, v in table.items()}, params))
    return flat


def _check_places(path: Path, policies: list, params: Parameters) -> None:
    parks = params.park_ids
    sectors = params.sector_ids
    for i, pol in enumerate(policies):
        for field_name in ("parks", "park", "sectors", "sector"):
            value = getattr(pol, field_name, None)
            if value is None:
                continue
            known = parks if field_name.startswith("park") else sectors
            values = [value] if isinstance(value, str) else value
            for j, item in enumerate(values):
                if item not in known:
                    sub = f"[{j}]" if not isinstance(value, str) else ""
                    what = "park" if field_name.startswith("park") else "sector"
                    raise ScenarioError(
                        path,
                        f"policies[{i}].{field_name}{sub}",
                        f"unknown {what} '{item}'{did_you_mean(item, known)}",
                    )


def _drop(path: Path, policies: list, patterns: list[str]) -> list:
    names = [p.name for p in policies if p.name] + [p.kind for p in policies]
    for i, pat in enumerate(patterns):
        if pat != "*" and pat not in names:
            raise ScenarioError(
                path,
                f"drop_policies[{i}]",
                f"no inherited policy has the name or kind '{pat}'{did_you_mean(pat, names)}",
            )
    if not patterns:
        return policies
    return [
        p
        for p in policies
        if not any(pat in ("*", p.kind) or (p.name and pat == p.name) for pat in patterns)
    ]


def _resolve(path: Path, params: Parameters, chain: tuple[Path, ...]) -> dict:
    data = read_toml(path)
    if not isinstance(data, dict):
        raise ScenarioError(path, "", "expected a TOML table")
    parsed = _validate_file(path, data)
    _check_places(path, parsed.policies, params)
    overrides = _file_overrides(path, parsed.parameters, params)
    merged: dict[str, Any] = {"run": {}, "parameters": {}, "policies": []}
    if parsed.extends:
        parent = (path.parent / parsed.extends).resolve()
        if parent in chain or parent == path.resolve():
            cycle = " -> ".join(str(p.name) for p in (*chain, path.resolve(), parent))
            raise ScenarioError(path, "extends", f"circular extends: {cycle}")
        if not parent.is_file():
            raise ScenarioError(path, "extends", f"file not found: {parsed.extends}")
        merged = _resolve(parent, params, (*chain, path.resolve()))
    run = dict(parsed.run)
    if isinstance(run.get("posterior"), str):
        posterior = (path.parent / run["posterior"]).resolve()
        if not posterior.is_file():
            raise ScenarioError(path, "run.posterior", f"file not found: {run['posterior']}")
        run["posterior"] = str(posterior)
    merged["run"] = {**merged["run"], **run}
    merged["parameters"] = {**merged["parameters"], **overrides}
    merged["policies"] = _drop(path, merged["policies"], parsed.drop_policies) + list(
        parsed.policies
    )
    merged["name"] = parsed.name
    merged["description"] = parsed.description or merged.get("description", "")
    return merged


def load_scenario(path: str | Path, params: Parameters | None = None) -> Scenario:
    """Read, resolve and validate a scenario file; raise ScenarioError on any problem."""
    path = Path(path)
    params = params if params is not None else load_parameters()
    merged = _resolve(path, params, ())
    try:
        run = RunSettings.model_validate(merged["run"])
    except ValidationError as exc:
        err = exc.errors()[0]
        key, msg = scenario_error({**err, "loc": ("run", *err["loc"])}, merged)
        raise ScenarioError(path, key, msg) from None
    return Scenario(
        name=merged["name"],
        description=merged["description"],
        source=str(path),
        run=run,
        parameters=merged["parameters"],
        policies=merged["policies"],
    )


def resolve(
    scenario: str | Path | Scenario,
    *,
    scale: int | None = None,
    end: str | None = None,
    posterior: str | Path | bool | None = None,
    params: Parameters | None = None,
) -> Scenario:
    """Load a scenario (if a path) and apply run settings given by the caller.

    ``posterior``: a posterior file to draw parameters from, or False to use none.

    Raises:
        ScenarioError: a bad scenario file.
        SettingError: a bad ``scale``, ``end`` or ``posterior``.

    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, params)
    updates: dict = {}
    if posterior is False:
        updates["posterior"] = None
    elif posterior is not None and posterior is not True:
        path = Path(posterior)
        if not path.is_file():
            raise SettingError("posterior", f"file not found: {posterior}")
        updates["posterior"] = str(path.resolve())
    if scale is not None:
        updates["scale"] = check_run_setting("scale", scale)
    if end is not None:
        check_run_setting("end", end)
        if parse_month(end) < parse_month(scenario.run.start):
            raise SettingError("end", f"{end} is before the start {scenario.run.start}")
        updates["end"] = end
    if updates:
        scenario = scenario.model_copy(update={"run": scenario.run.model_copy(update=updates)})
    return scenario
