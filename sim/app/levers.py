"""The app's levers, the scenario they make, and saving it as a scenario file.

Every lever is a field of one policy that the app adds to the chosen starting scenario, in force
from January of ``package_start`` to December of ``package_end``. A lever left at zero adds
nothing, so with every lever at zero the app runs the starting scenario itself. The added
policies carry the names in :data:`POLICY_NAMES`, so each lever is a real scenario key, e.g.
``policies.app_rent_reduction.share`` (the same paths a sweep's factors use).

The sliders span the ranges of the policy fields they set (scenarios/README.md), read from the
fields themselves, so the app accepts exactly what a scenario file accepts.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from sim.calendar import format_month, parse_month
from sim.metrics import THRESHOLDS
from sim.params import Parameters, load_parameters, scenarios_dir
from sim.scenario import (
    MAX_AWARD_M_YUAN,
    ApplicationScenarios,
    LeadingEnterprises,
    OfficeSupply,
    RentReduction,
    RunSettings,
    Scenario,
    ScenarioError,
    Talent,
    field_range,
    load_scenario,
)

SAVE_DIR_ENV = "CQSIM_APP_SAVE_DIR"  # where "Save as scenario" writes (set by `cqsim app`)
POLICY_NAMES = {
    "rent_reduction": "app_rent_reduction",
    "talent": "app_talent",
    "scale_up_awards": "app_scale_up_awards",
    "leading_enterprises": "app_leading_enterprises",
    "application_scenarios": "app_application_scenarios",
    "office_supply": "app_office_supply",
}
# Scale-up awards are paid at the revenue classes the metrics count (100 m, 1 bn, 10 bn yuan).
AWARD_THRESHOLDS_BN_YUAN = [threshold / 1e9 for _, threshold in THRESHOLDS[1:]]
ALL_PARKS, SCIENCE_CITY, FIRST_BATCH, SECOND_BATCH = (
    "all parks",
    "Science City parks",
    "first-batch parks",
    "second-batch parks",
)
PARK_GROUPS = (ALL_PARKS, SCIENCE_CITY, FIRST_BATCH, SECOND_BATCH)
FIRMS_CHOICES = {"all tenants": "all", "new settlers only": "new_settlers"}

# Each numeric lever's slider: (label, min, max, step). The ranges are those of the policy
# field the lever sets (scenario.field_range), so the app accepts what a scenario file accepts.
FIRST_YEAR = parse_month(RunSettings().start) // 12
LAST_YEAR = parse_month(RunSettings().end) // 12


def _slider(label: str, model: type, field: str, step: float) -> tuple[str, float, float, float]:
    low, high = field_range(model, field)
    return (label, low or 0.0, high, step)


_AWARD = (0.0, MAX_AWARD_M_YUAN)
SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "package_start": ("Levers from (year)", FIRST_YEAR, LAST_YEAR, 1),
    "package_end": ("Levers until (year)", FIRST_YEAR, LAST_YEAR, 1),
    "rent_share": _slider("Rent cut: share the city pays", RentReduction, "share", 0.05),
    "housing_subsidy_yuan_month": _slider(
        "Talent: housing, yuan/month", Talent, "housing_subsidy_yuan_month", 100
    ),
    "income_tax_relief": _slider("Talent: income-tax refund", Talent, "income_tax_relief", 0.05),
    "resettlement_subsidy_yuan": _slider(
        "Talent: resettlement, yuan", Talent, "resettlement_subsidy_yuan", 5000
    ),
    "school_places_per_year": _slider(
        "Talent: school places/year", Talent, "school_places_per_year", 100
    ),
    "training_places_per_year": _slider(
        "Talent: training places/year", Talent, "training_places_per_year", 500
    ),
    "scenarios_per_month": _slider(
        "Application scenarios/month", ApplicationScenarios, "per_month", 5
    ),
    "award_100m_m_yuan": ("Award at 100 m revenue, m yuan", *_AWARD, 0.25),
    "award_1bn_m_yuan": ("Award at 1 bn revenue, m yuan", *_AWARD, 1),
    "award_10bn_m_yuan": ("Award at 10 bn revenue, m yuan", *_AWARD, 5),
    "office_area_m2": _slider("Office space added, m²", OfficeSupply, "area_m2", 20000),
    "leading_count": _slider("Leading enterprises", LeadingEnterprises, "count", 1),
}


@dataclass(frozen=True)
class Levers:
    """The settings a planner moves in the app (field names are the model's keyword arguments).

    Numeric fields are amounts of the app's added policies; ``*_parks`` are park choices of
    :func:`park_choices`; ``start_scenario`` is a file name (without ``.toml``) from
    :func:`starting_scenarios`.
    """

    start_scenario: str = "baseline"
    package_start: int = 2023
    package_end: int = LAST_YEAR
    rent_share: float = 0.0
    rent_parks: str = SCIENCE_CITY
    rent_firms: str = "all tenants"
    housing_subsidy_yuan_month: float = 0.0
    income_tax_relief: float = 0.0
    resettlement_subsidy_yuan: float = 0.0
    school_places_per_year: float = 0.0
    training_places_per_year: float = 0.0
    scenarios_per_month: float = 0.0
    award_100m_m_yuan: float = 0.0
    award_1bn_m_yuan: float = 0.0
    award_10bn_m_yuan: float = 0.0
    office_area_m2: float = 0.0
    office_parks: str = SCIENCE_CITY
    leading_count: int = 0
    leading_park: str = "Jinfeng Software Park"

    def changed(self) -> dict[str, Any]:
        """The levers that differ from their defaults."""
        default = Levers()
        return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}


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


def leading_sector(park_id: str, params: Parameters | None = None) -> str:
    """Sector of leading enterprises settling in a park: its first focus that is not general IT.

    General IT services (the first sector) when the park has no other focus.
    """
    params = params or load_parameters()
    park = next(p for p in params.parks if p.id == park_id)
    general = params.sector_ids[0]
    return next((s for s in park.focus if s != general), general)


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
    """The policy tables the levers add (as in a scenario file); none for a lever at zero."""
    params = params or load_parameters()
    parks = park_choices(params)
    start, end = _window(levers, run)
    when = {"start": start, "end": end}
    out: list[dict] = []

    def add(kind: str, **amounts: Any) -> None:
        out.append({"kind": kind, "name": POLICY_NAMES[kind], **when, **amounts})

    if levers.rent_share > 0:
        add(
            "rent_reduction",
            parks=parks[levers.rent_parks],
            share=float(levers.rent_share),
            firms=FIRMS_CHOICES[levers.rent_firms],
        )
    talent = {
        "housing_subsidy_yuan_month": float(levers.housing_subsidy_yuan_month),
        "income_tax_relief": float(levers.income_tax_relief),
        "resettlement_subsidy_yuan": float(levers.resettlement_subsidy_yuan),
        "school_places_per_year": float(levers.school_places_per_year),
        "training_places_per_year": float(levers.training_places_per_year),
    }
    if any(v > 0 for v in talent.values()):
        add("talent", **talent)
    if levers.scenarios_per_month > 0:
        add("application_scenarios", per_month=float(levers.scenarios_per_month))
    awards = [
        float(levers.award_100m_m_yuan),
        float(levers.award_1bn_m_yuan),
        float(levers.award_10bn_m_yuan),
    ]
    if any(a > 0 for a in awards):
        add("scale_up_awards", thresholds_bn_yuan=AWARD_THRESHOLDS_BN_YUAN, awards_m_yuan=awards)
    if levers.office_area_m2 > 0:
        add("office_supply", parks=parks[levers.office_parks], area_m2=float(levers.office_area_m2))
    if levers.leading_count > 0:
        park = parks[levers.leading_park][0]
        add(
            "leading_enterprises",
            count=int(levers.leading_count),
            park=park,
            sector=leading_sector(park, params),
        )
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
