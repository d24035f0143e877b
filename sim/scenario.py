"""Scenario files: loading, `extends`, parameter overrides and validation.

A scenario is a TOML file; see scenarios/README.md for every key. Validation happens before any
simulation; every problem is reported as a :class:`ScenarioError` naming the file and key path.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.calendar import parse_month
from sim.errors import ScenarioError, SettingError
from sim.files import read_toml
from sim.params import Parameters, load_parameters

__all__ = ["Scenario", "ScenarioError", "load_scenario"]


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


Month = Annotated[str, Field(description="a month as 'YYYY-MM'")]


# Scale-up awards take lists, whose items pydantic fields cannot bound: their ranges are here.
MAX_AWARD_THRESHOLD_BN_YUAN = 1000.0
MAX_AWARD_M_YUAN = 1000.0


def field_range(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """The documented (lowest, highest) value of a numeric field of a settings model.

    The one definition of a setting's range: scenario validation, the command line, sweep
    factors and the app's sliders all read it from the field.
    """
    low = high = None
    for bound in model.model_fields[name].metadata:
        for attr in ("ge", "gt"):
            if getattr(bound, attr, None) is not None:
                low = float(getattr(bound, attr))
        for attr in ("le", "lt"):
            if getattr(bound, attr, None) is not None:
                high = float(getattr(bound, attr))
    return low, high


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _check_month(value: str) -> str:
    parse_month(value)
    return value


class RunSettings(_Strict):
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

    _months = field_validator("start", "end")(_check_month)

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


class _Policy(_Strict):
    name: str | None = Field(
        None,
        description="label of the policy in outputs; `drop_policies` of a file extending this "
        "one can name it (default: none, the kind is used)",
    )
    start: Month = Field(description="first month in force, 'YYYY-MM' (inclusive)")
    end: Month = Field(description="last month in force, 'YYYY-MM' (inclusive)")

    _months = field_validator("start", "end")(_check_month)

    @model_validator(mode="after")
    def _ordered(self) -> _Policy:
        if parse_month(self.end) < parse_month(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class RentReduction(_Policy):
    """Government pays part of the rent of eligible firms in the named parks."""

    kind: Literal["rent_reduction"] = Field(description="the policy kind")
    parks: list[str] = Field(min_length=1, description="parks whose tenants are eligible")
    sectors: list[str] | None = Field(
        None, description="sectors whose firms are eligible (default: all sectors)"
    )
    share: float = Field(
        ge=0,
        le=1,
        description="share of rent paid by government, 0-1 (a firm eligible for several "
        "rent reductions gets the largest share)",
    )
    firms: Literal["all", "new_settlers"] = Field(
        "new_settlers",
        description="'new_settlers': only firms that settled in their park less than "
        "`new_settler_months` ago; 'all': every tenant",
    )
    new_settler_months: int = Field(
        36,
        ge=1,
        le=120,
        description="months since the firm settled in its park during which it counts as a "
        "new settler",
    )


class Talent(_Policy):
    """Subsidies to practitioners who recently arrived (income-tax relief, housing, schools...)."""

    kind: Literal["talent"] = Field(description="the policy kind")
    parks: list[str] | None = Field(
        None,
        description="parks of the employers whose recently arrived staff are eligible "
        "(default: all parks)",
    )
    sectors: list[str] | None = Field(
        None,
        description="sectors of the employers whose recently arrived staff are eligible "
        "(default: all sectors)",
    )
    eligible_months: int | None = Field(
        None,
        ge=1,
        le=120,
        description="months since arrival in the city during which a person is eligible "
        "(default: parameter migration.arrival_history_months)",
    )
    income_tax_relief: float = Field(
        0.0, ge=0, le=1, description="share of income tax refunded, 0-1"
    )
    housing_subsidy_yuan_month: float = Field(
        0.0,
        ge=0,
        le=10000,
        description="housing subsidy, yuan per person per month (at most about a month's "
        "wage: Chinese cities pay 500-3,000)",
    )
    resettlement_subsidy_yuan: float = Field(
        0.0,
        ge=0,
        le=300000,
        description="one-off subsidy, yuan per arriving person (at most the top of city "
        "packages for doctoral graduates)",
    )
    school_places_per_year: float = Field(
        0.0,
        ge=0,
        le=50000,
        description="school places for practitioners' children per year (at most about one "
        "child per ten practitioners)",
    )
    training_places_per_year: float = Field(
        0.0,
        ge=0,
        le=100000,
        description="training places per year: local people retrained into software (at most "
        "about a fifth of the sector's size)",
    )


class ScaleUpAwards(_Policy):
    """One-off awards to firms whose trailing-12-month revenue first crosses a threshold."""

    kind: Literal["scale_up_awards"] = Field(description="the policy kind")
    thresholds_bn_yuan: list[float] = Field(
        min_length=1,
        description="trailing-12-month revenue thresholds, bn yuan; each > 0 and at most 1000, "
        "in increasing order",
    )
    awards_m_yuan: list[float] = Field(
        min_length=1,
        description="one-off award, million yuan, paid when a firm first crosses the threshold "
        "at the same position; each 0-1000, as many as thresholds",
    )
    parks: list[str] | None = Field(
        None, description="parks whose firms are eligible (default: all parks)"
    )
    sectors: list[str] | None = Field(
        None, description="sectors whose firms are eligible (default: all sectors)"
    )

    @model_validator(mode="after")
    def _paired(self) -> ScaleUpAwards:
        if len(self.thresholds_bn_yuan) != len(self.awards_m_yuan):
            raise ValueError("thresholds_bn_yuan and awards_m_yuan must have the same length")
        if any(not 0 < t <= MAX_AWARD_THRESHOLD_BN_YUAN for t in self.thresholds_bn_yuan):
            raise ValueError(
                f"thresholds must be > 0 and at most {MAX_AWARD_THRESHOLD_BN_YUAN:g} bn yuan"
            )
        if any(not 0 <= a <= MAX_AWARD_M_YUAN for a in self.awards_m_yuan):
            raise ValueError(f"awards must be 0-{MAX_AWARD_M_YUAN:g} m yuan each")
        pairs = zip(self.thresholds_bn_yuan, self.thresholds_bn_yuan[1:], strict=False)
        if any(b <= a for a, b in pairs):
            raise ValueError("thresholds_bn_yuan must be strictly increasing")
        return self


class LeadingEnterprises(_Policy):
    """Leading enterprises settle in a park and draw follower firms after them."""

    kind: Literal["leading_enterprises"] = Field(description="the policy kind")
    count: int = Field(
        ge=0,
        le=100,
        description="number of leading enterprises, arriving evenly over the policy's months "
        "(the documents name one; 100 would be every national leader settling at once)",
    )
    park: str = Field(description="park they settle in")
    sector: str = Field(description="their sector")
    staff: float | None = Field(
        None,
        gt=0,
        le=20000,
        description="people per leading enterprise (default: parameter leading.anchor_staff)",
    )
    followers: float | None = Field(
        None,
        ge=0,
        le=500,
        description="follower firms per leading enterprise, arriving in its park over "
        "parameter leading.follower_months after it "
        "(default: parameter leading.followers_per_anchor)",
    )
    settlement_subsidy_m_yuan: float | None = Field(
        None,
        ge=0,
        le=10000,
        description="one-off settlement subsidy, million yuan per leading enterprise "
        "(default: parameter costs.anchor_settlement_yuan)",
    )


class ApplicationScenarios(_Policy):
    """Public project opportunities released each month for firms to build and test products."""

    kind: Literal["application_scenarios"] = Field(description="the policy kind")
    per_month: float = Field(
        ge=0,
        le=2000,
        description="projects released per month (fractions are carried over to the next "
        "month; the city released about 136 a month in 2023-2025)",
    )
    value_m_yuan: float = Field(
        8.307,
        gt=0,
        le=1000,
        description="mean value of one project, million yuan "
        "(default: 34.2 bn yuan / 4,117 projects, stated)",
    )
    sectors: list[str] | None = Field(
        None,
        description="sectors the projects are in, drawn in proportion to the sectors' 2021 "
        "shares (default: all sectors)",
    )


class OfficeSupply(_Policy):
    """Office floor area delivered to parks, spread evenly over the policy's months."""

    kind: Literal["office_supply"] = Field(description="the policy kind")
    parks: list[str] = Field(
        min_length=1, description="parks that receive the space (not 'outside')"
    )
    area_m2: float = Field(
        ge=0,
        le=2e7,
        description="total m2 delivered, evenly over the policy's months and split equally "
        "among the parks",
    )
    cost_yuan_per_m2: float | None = Field(
        None,
        ge=0,
        le=50000,
        description="public cost, yuan per m2 delivered "
        "(default: parameter costs.office_public_cost_yuan_per_m2)",
    )


Policy = Annotated[
    RentReduction
    | Talent
    | ScaleUpAwards
    | LeadingEnterprises
    | ApplicationScenarios
    | OfficeSupply,
    Field(discriminator="kind"),
]
POLICY_KINDS = [
    "rent_reduction",
    "talent",
    "scale_up_awards",
    "leading_enterprises",
    "application_scenarios",
    "office_supply",
]


class ScenarioFile(_Strict):
    """One scenario file as written (before `extends` is resolved)."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    extends: str | None = None
    drop_policies: list[str] = Field(default_factory=list)
    run: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    policies: list[Policy] = Field(default_factory=list)


class Scenario(BaseModel):
    """A fully resolved scenario: run settings, parameter overrides and the policy list."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str = ""
    run: RunSettings = Field(default_factory=RunSettings)
    parameters: dict[str, float | int] = Field(default_factory=dict)
    policies: list[Policy] = Field(default_factory=list)

    def params(self, base: Parameters | None = None) -> Parameters:
        """The parameter set in force: the file's values with this scenario's overrides."""
        base = base if base is not None else load_parameters()
        return base.with_overrides(self.parameters)


# ----------------------------------------------------------------------------------------------
# Loading


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in POLICY_KINDS:
            continue  # pydantic adds the union tag to the path
        else:
            out += ("." if out else "") + str(part)
    return out


def _first_error(exc: ValidationError) -> dict:
    """The error to report: a misspelt key first, since it also causes a 'missing' error."""
    errors = exc.errors()
    for err in errors:
        if err["type"] == "extra_forbidden":
            return err
    return errors[0]


def _friendly(err: dict, data: dict) -> tuple[str, str]:
    """Turn one pydantic error into (key path, message)."""
    loc = err["loc"]
    key = _loc(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = loc[:-1]
        word = str(loc[-1])
        model_fields = _fields_at(parent, data)
        return key, f"unknown key '{word}'{_suggest(word, model_fields)}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = err.get("ctx", {}).get("tag", "")
        if kind == "union_tag_not_found":
            return key + ".kind", f"missing 'kind'; one of {', '.join(POLICY_KINDS)}"
        return key + ".kind", f"unknown policy kind '{tag}'{_suggest(tag, POLICY_KINDS)}"
    if kind == "missing":
        return key, "required key is missing"
    got = err.get("input")
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    shown = f" (got {got!r})" if not isinstance(got, dict | list) and repr(got) not in msg else ""
    if "is before start" in msg:
        key += ".end"
    return key, msg[0].lower() + msg[1:] + shown


_POLICY_MODELS = {
    "rent_reduction": RentReduction,
    "talent": Talent,
    "scale_up_awards": ScaleUpAwards,
    "leading_enterprises": LeadingEnterprises,
    "application_scenarios": ApplicationScenarios,
    "office_supply": OfficeSupply,
}


def _fields_at(parent: tuple, data: dict) -> list[str]:
    if not parent:
        return list(ScenarioFile.model_fields)
    if parent[0] == "run":
        return list(RunSettings.model_fields)
    if parent[0] == "policies" and len(parent) >= 2:
        try:
            kind = data["policies"][parent[1]].get("kind")
        except (IndexError, AttributeError, KeyError):
            kind = None
        model = _POLICY_MODELS.get(kind)
        return list(model.model_fields) if model else []
    return []


def _validate_file(path: Path, data: dict) -> ScenarioFile:
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        key, msg = _friendly(_first_error(exc), data)
        raise ScenarioError(path, key, msg) from None
    if parsed.run:
        try:
            RunSettings.model_validate({**RunSettings().model_dump(), **parsed.run})
        except ValidationError as exc:
            err = exc.errors()[0]
            key, msg = _friendly({**err, "loc": ("run", *err["loc"])}, data)
            raise ScenarioError(path, key, msg) from None
    return parsed


def _check_overrides(path: Path, overrides: dict, params: Parameters) -> dict[str, float]:
    """Flatten `[parameters]` to dotted keys; check each key, type and range."""
    flat: dict[str, float] = {}
    groups = sorted({k.split(".")[0] for k in params.specs})
    for group, table in overrides.items():
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
                f"unknown parameter group '{group}'{_suggest(group, groups)}",
            )
        names = [k.split(".", 1)[1] for k in params.specs if k.startswith(group + ".")]
        for name, value in table.items():
            key = f"{group}.{name}"
            where = f"parameters.{key}"
            if key not in params.specs:
                raise ScenarioError(
                    path, where, f"unknown parameter '{name}'{_suggest(name, names)}"
                )
            spec = params.specs[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(path, where, f"expected a number, got {value!r}")
            if not math.isfinite(value):
                raise ScenarioError(path, where, f"expected a finite number, got {value!r}")
            if isinstance(spec.value, int) and not isinstance(spec.value, bool):
                if isinstance(value, float) and not value.is_integer():
                    raise ScenarioError(path, where, f"expected a whole number, got {value!r}")
                value = int(value)
            if spec.min is not None and value < spec.min:
                raise ScenarioError(
                    path, where, f"{value} is below the minimum {spec.min} ({spec.unit})"
                )
            if spec.max is not None and value > spec.max:
                raise ScenarioError(
                    path, where, f"{value} is above the maximum {spec.max} ({spec.unit})"
                )
            flat[key] = value
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
                        f"unknown {what} '{item}'{_suggest(item, known)}",
                    )
        if getattr(pol, "kind", "") in ("office_supply",) and "outside" in pol.parks:
            raise ScenarioError(
                path, f"policies[{i}].parks", "office space cannot be added 'outside' any park"
            )


def _drop(path: Path, policies: list, patterns: list[str]) -> list:
    names = [p.name for p in policies if p.name] + [p.kind for p in policies]
    for i, pat in enumerate(patterns):
        if pat != "*" and pat not in names:
            raise ScenarioError(
                path,
                f"drop_policies[{i}]",
                f"no inherited policy has the name or kind '{pat}'{_suggest(pat, names)}",
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
    overrides = _check_overrides(path, parsed.parameters, params)
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
        key, msg = _friendly({**err, "loc": ("run", *err["loc"])}, merged)
        raise ScenarioError(path, key, msg) from None
    return Scenario(
        name=merged["name"],
        description=merged["description"],
        source=str(path),
        run=run,
        parameters=merged["parameters"],
        policies=merged["policies"],
    )
