"""The app's levers, the scenario they make, and saving it as a scenario file.

Every lever belongs to a policy kind (each kind declares its levers and the policy they make:
``levers`` and ``app_policy`` in :mod:`sim.policies`). The app adds that policy to the chosen
starting scenario, in force
from January of ``package_start`` to December of ``package_end``. A lever left at zero adds
nothing, so with every lever at zero the app runs the starting scenario itself. The added
policies carry the names in :data:`POLICY_NAMES`, so each lever is a real scenario key, e.g.
``policies.app_rent_reduction.share`` (the same paths a sweep's factors use).

The sliders span the ranges of the policy fields they set (scenarios/README.md), read from the
fields themselves, so the app accepts exactly what a scenario file accepts.
"""

from __future__ import annotations

import os
from dataclasses import asdict, field, make_dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from sim.calendar import format_month, parse_month
from sim.params import Parameters, load_parameters, scenarios_dir
from sim.policies import CLASSES
from sim.policies.base import Lever
from sim.scenario import RunSettings, Scenario, ScenarioError, load_scenario
from sim.validation import field_range

SAVE_DIR_ENV = "CQSIM_APP_SAVE_DIR"  # where "Save as scenario" writes (set by `cqsim app`)
ALL_PARKS, SCIENCE_CITY, FIRST_BATCH, SECOND_BATCH = (
    "all parks",
    "Science City parks",
    "first-batch parks",
    "second-batch parks",
)
PARK_GROUPS = (ALL_PARKS, SCIENCE_CITY, FIRST_BATCH, SECOND_BATCH)
FIRST_YEAR = parse_month(RunSettings().start) // 12
LAST_YEAR = parse_month(RunSettings().end) // 12

# The levers: those every kind declares (sim.policies: each kind's `levers`), in kind order.
KIND_LEVERS: dict[str, tuple[Lever, ...]] = {
    kind: cls.levers for kind, cls in CLASSES.items() if cls.levers
}
# The policy each kind's levers add to the starting scenario, named so a sweep can address it.
POLICY_NAMES = {kind: f"app_{kind}" for kind in KIND_LEVERS}


def _slider(lever: Lever, kind: str) -> tuple[str, float, float, float]:
    if lever.field is not None:
        low, high = field_range(CLASSES[kind].Spec, lever.field)
    else:
        low, high = lever.low, lever.high
    return (lever.label, low or 0.0, high, lever.step)


# Each numeric lever's slider: (label, min, max, step). The ranges are those of the policy
# field the lever sets (sim.validation.field_range), so the app accepts what a file accepts.
SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "package_start": ("Levers from (year)", FIRST_YEAR, LAST_YEAR, 1),
    "package_end": ("Levers until (year)", FIRST_YEAR, LAST_YEAR, 1),
} | {
    lever.name: _slider(lever, kind)
    for kind, levers in KIND_LEVERS.items()
    for lever in levers
    if lever.choices is None
}
# Each choice lever: (label, what it chooses: "park groups", "parks" or fixed labels).
CHOICES: dict[str, tuple[str, str | tuple[str, ...]]] = {
    lever.name: (lever.label, lever.choices)
    for levers in KIND_LEVERS.values()
    for lever in levers
    if lever.choices is not None
}


def _levers_class():
    fields = [
        ("start_scenario", str, field(default="baseline")),
        ("package_start", int, field(default=2023)),
        ("package_end", int, field(default=LAST_YEAR)),
    ]
    for levers in KIND_LEVERS.values():
        for lever in levers:
            kind = type(lever.default)
            fields.append((lever.name, kind, field(default=lever.default)))
    return make_dataclass(
        "Levers",
        fields,
        frozen=True,
        namespace={"changed": _changed, "__module__": __name__},
    )


def _changed(self) -> dict[str, Any]:
    """The levers that differ from their defaults."""
    default = type(self)()
    return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}


Levers = _levers_class()
Levers.__doc__ = """The settings a planner moves in the app (the model's keyword arguments).

The starting scenario (a file name from :func:`starting_scenarios`), the years the levers are
in force, and every lever of every policy kind (:data:`KIND_LEVERS`); a choice of parks is a
label of :func:`park_choices`.
"""


# ----------------------------------------------------------------------------------------------
# choices


def _label(name: str) -> str:
    return name.split(" (")[0]


def park_choices(params: Parameters | None = None) -> dict[str, list[str]]:
    """Park choices offered by the app: groups first, then each park; label -> park ids."""
    params = params or load_parameters()
    parks = [p for p in params.parks if p.batch != "outside"]
    out = {
        ALL_PARKS: [p.id for p in parks],
        SCIENCE_CITY: [p.id for p in parks if p.science_city],
        FIRST_BATCH: [p.id for p in parks if p.batch == "first"],
        SECOND_BATCH: [p.id for p in parks if p.batch == "second"],
    }
    out.update({_label(p.name): [p.id] for p in parks})
    return out


def default_save_dir() -> Path:
    """Where "Save as scenario" writes: $CQSIM_APP_SAVE_DIR, else ./scenarios, else ./."""
    if os.environ.get(SAVE_DIR_ENV):
        return Path(os.environ[SAVE_DIR_ENV])
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path.cwd()


def starting_scenarios(extra_dir: Path | None = None) -> dict[str, Path]:
    """Scenario files the app can start from: the shipped ones and those in ``extra_dir``.

    Files that are not valid scenarios (the parameter file, calibration files) are skipped.
    """
    params = load_parameters()
    found: dict[str, Path] = {}
    folders = [scenarios_dir()]
    if extra_dir is not None and extra_dir.resolve() != scenarios_dir().resolve():
        folders.append(extra_dir)
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            if path.stem in found or path.name == "parameters.toml":
                continue
            try:
                load_scenario(path, params)
            except ScenarioError:
                continue
            found[path.stem] = path
    first = [name for name in ("baseline", "no_policy") if name in found]
    return {name: found[name] for name in first + sorted(set(found) - set(first))}


# ----------------------------------------------------------------------------------------------
# levers -> scenario


def _window(levers: Levers, run: RunSettings) -> tuple[str, str]:
    """The months the app's policies are in force, within the run."""
    start_year, end_year = int(levers.package_start), int(levers.package_end)
    first = max(parse_month(f"{start_year:04d}-01"), parse_month(run.start))
    last = min(parse_month(f"{max(start_year, end_year):04d}-12"), parse_month(run.end))
    return format_month(first), format_month(max(first, last))


def lever_policies(
    levers: Levers, run: RunSettings, params: Parameters | None = None
) -> list[dict]:
    """The policy tables the levers add (as in a scenario file); none for levers at zero."""
    params = params or load_parameters()
    parks = park_choices(params)
    start, end = _window(levers, run)
    values = asdict(levers)
    out: list[dict] = []
    for kind in KIND_LEVERS:
        table = CLASSES[kind].app_policy(values, parks, params)
        if table is not None:
            out.append({"kind": kind, "name": POLICY_NAMES[kind], "start": start, "end": end})
            out[-1].update(table)
    return out


def describe(policies: list[dict]) -> str:
    """One line naming the levers in force, for the scenario's description."""
    if not policies:
        return "no levers moved"
    kinds = ", ".join(p["kind"].replace("_", " ") for p in policies)
    return f"{kinds}, {policies[0]['start']} to {policies[0]['end']}"


def build_scenario(base: Scenario, levers: Levers, params: Parameters | None = None) -> Scenario:
    """The starting scenario plus the levers' policies, validated like a scenario file.

    Raises:
        ScenarioError: a lever value a policy does not accept (names the policy key).

    """
    added = lever_policies(levers, base.run, params)
    if not added:
        return base
    data = base.model_dump(exclude={"policies"})
    data["name"] = f"{base.name}_app"
    data["description"] = f"{base.name} plus levers set in cqsim app: {describe(added)}."
    data["policies"] = [p.model_dump() for p in base.policies] + added
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:  # name the first bad key
        error = exc.errors()[0]
        loc = ".".join(str(part) for part in error["loc"])
        raise ScenarioError("app levers", loc, error["msg"]) from None


# ----------------------------------------------------------------------------------------------
# saving


def scenario_document(scenario: Scenario, directory: Path) -> dict[str, Any]:
    """The scenario as the tables of a self-contained scenario file written into ``directory``.

    Every policy is written out (no ``extends``); a posterior file is referred to relative to
    ``directory``, as a scenario file's paths are.
    """
    run = scenario.run.model_dump(exclude_none=True)
    if run.get("posterior"):
        try:
            run["posterior"] = os.path.relpath(run["posterior"], directory.resolve())
        except ValueError:  # another drive (Windows): keep the absolute path
            pass
    parameters: dict[str, dict[str, float | int]] = {}
    for key, value in scenario.parameters.items():
        group, name = key.split(".", 1)
        parameters.setdefault(group, {})[name] = value
    doc: dict[str, Any] = {"name": scenario.name, "description": scenario.description, "run": run}
    if parameters:
        doc["parameters"] = parameters
    doc["policies"] = [
        {"kind": p.kind, **p.model_dump(mode="json", exclude_none=True)} for p in scenario.policies
    ]
    return doc


def safe_name(text: str) -> str:
    """A scenario name (letters, digits, ``_.-``) made from what a planner typed."""
    cleaned = "".join(
        c if (c.isascii() and c.isalnum()) or c in "_.-" else "_" for c in text.strip()
    )
    return cleaned.strip("._") or "my_scenario"


def save_scenario(
    scenario: Scenario, directory: Path, name: str, *, overwrite: bool = False
) -> Path:
    """Write the scenario as ``directory/NAME.toml`` and check that it loads as written.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is false.
        ScenarioError: the written file does not validate (it is removed again).

    """
    name = safe_name(name)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name")
    doc = scenario_document(scenario.model_copy(update={"name": name}), directory)
    text = "# Saved from `cqsim app`; run it with `cqsim run " + path.name + "`.\n"
    text += tomli_w.dumps(doc)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    try:
        load_scenario(path)
    except ScenarioError:
        path.unlink()
        raise
    return path
