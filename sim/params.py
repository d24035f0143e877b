"""The parameter file: every assumed or calibrated number, with its unit and source."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


def scenarios_dir() -> Path:
    """The folder holding the shipped scenarios and the parameter file."""
    for candidate in (_HERE.parent / "scenarios", _HERE / "_scenarios"):
        if (candidate / "parameters.toml").is_file():
            return candidate
    raise FileNotFoundError("cannot find scenarios/parameters.toml next to the sim package")


def default_parameter_path() -> Path:
    """Path of the parameter file shipped with cqsim."""
    return scenarios_dir() / "parameters.toml"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter's value and documentation."""

    key: str
    value: float | int
    unit: str
    status: str
    source: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Park:
    """A software park (or 'outside any park') as the parameter file describes it."""

    id: str
    name: str
    batch: str
    science_city: bool
    revenue_share_2021: float
    firm_share_2021: float
    occupancy_2021: float
    rent_2021: float
    focus: tuple[str, ...]
    x: float
    y: float
    young: bool = False


@dataclass(frozen=True)
class Sector:
    """A software sector: the Science City's '4+4' and general IT services."""

    id: str
    name: str
    share_2021: float
    demand_growth: float
    productivity: float
    labour_intensive: bool = False  # growth and productivity from the `segments` parameters


class _Group:
    """Read-only attribute access to one parameter group (``params.labour.quit_rate``).

    The values are plain instance attributes, so the model's many reads each month cost no
    more than any attribute's.
    """

    def __init__(self, name: str, values: dict[str, Any]):
        self.__dict__.update(values)
        self.__dict__["_group_name"] = name

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        raise AttributeError(f"no parameter '{self.__dict__.get('_group_name')}.{item}'")

    def __setattr__(self, item: str, value: Any) -> None:
        raise AttributeError(f"parameters are read-only: '{self._group_name}.{item}'")


@dataclass(frozen=True)
class Parameters:
    """All model parameters, parks and sectors, after any scenario overrides."""

    specs: dict[str, ParamSpec]  # key "group.name" -> ParamSpec (treat as read-only)
    parks: tuple[Park, ...]
    sectors: tuple[Sector, ...]
    path: Path
    overrides: dict[str, float] = field(default_factory=dict)
    # groups already looked up (the model reads them every month): filled on first use
    _groups: dict[str, _Group] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getitem__(self, key: str) -> Any:
        return self.overrides.get(key, self.specs[key].value)

    def __getattr__(self, group: str) -> _Group:
        if group.startswith("_"):
            raise AttributeError(group)
        cached = self._groups.get(group)
        if cached is not None:
            return cached
        prefix = group + "."
        values = {k[len(prefix) :]: self[k] for k in self.specs if k.startswith(prefix)}
        if not values:
            raise AttributeError(f"no parameter group '{group}'")
        self._groups[group] = found = _Group(group, values)
        object.__setattr__(self, group, found)  # found as an attribute from now on
        return found

    @property
    def park_ids(self) -> list[str]:
        """Park ids in file order."""
        return [p.id for p in self.parks]

    @property
    def sector_ids(self) -> list[str]:
        """Sector ids in file order."""
        return [s.id for s in self.sectors]

    def with_overrides(self, overrides: dict[str, float]) -> Parameters:
        """A copy with some values replaced (keys already validated)."""
        merged = dict(self.overrides)
        merged.update(overrides)
        return Parameters(self.specs, self.parks, self.sectors, self.path, merged)

    def resolved(self) -> dict[str, Any]:
        """Every parameter's value in force, by dotted key."""
        return {k: self[k] for k in self.specs}


# Parameter files read, by (path as given, resolved path, modification time, size): every model
# built without parameters reads the file, and parsing it costs about 9 ms, 60% of building a
# default-scale model. Parameters are read-only, so models can share one.
_LOADED: dict[tuple[str, str, int, int], Parameters] = {}


def load_parameters(path: Path | None = None) -> Parameters:
    """Read the parameter file (the shipped one unless a path is given)."""
    path = Path(path) if path is not None else default_parameter_path()
    stat = path.stat()
    key = (str(path), str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = _read_parameters(path)
    return _LOADED[key]


def _read_parameters(path: Path) -> Parameters:
    """:func:`load_parameters`, from the file."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    specs: dict[str, ParamSpec] = {}
    for group, table in raw.items():
        if group in ("parks", "sectors"):
            continue
        for name, spec in table.items():
            key = f"{group}.{name}"
            specs[key] = ParamSpec(
                key=key,
                value=spec["value"],
                unit=spec["unit"],
                status=spec["status"],
                source=spec["source"],
                min=spec.get("min"),
                max=spec.get("max"),
            )
    parks = tuple(Park(**{**p, "focus": tuple(p.get("focus", ()))}) for p in raw["parks"])
    sectors = tuple(Sector(**s) for s in raw["sectors"])
    return Parameters(specs, parks, sectors, path)
