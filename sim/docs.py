"""The reference for scenario files (scenarios/README.md), rendered from the code.

The key tables come from the pydantic models in :mod:`sim.scenario` (types, bounds, defaults and
``description`` texts) and from scenarios/parameters.toml, so the reference cannot drift from
what the validator accepts. Regenerate it with ``python -m sim.docs > scenarios/README.md``;
tests/test_docs.py fails when the file is out of date.
"""

from __future__ import annotations

import inspect
import re
import sys
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.errors import ScenarioError
from sim.params import Parameters, load_parameters
from sim.policies import SPECS
from sim.scenario import RunSettings, ScenarioFile, load_scenario
from sim.validation import check_month

# A complete scenario; tests/test_docs.py checks that it loads next to the shipped baseline.
EXAMPLE = """\
name = "science_city_push"
description = "Baseline with all new office space in the Science City, more talent support there."
extends = "baseline.toml"               # path relative to this file
drop_policies = ["office_supply"]       # both inherited office programmes (matched by kind)

[run]
end = "2027-12"                         # the other run settings are inherited
replicates = 20

[parameters.migration]
income_elasticity = 2.0                 # instead of 2.5 in parameters.toml

[[policies]]
kind = "office_supply"
name = "office_programme_science_city_only"
start = "2022-01"
end = "2025-12"
parks = ["jinfeng_software", "science_city_points"]
area_m2 = 400000                        # 200,000 m2 each, delivered evenly over 48 months

[[policies]]
kind = "talent"
name = "science_city_talent_2024"
start = "2024-01"
end = "2027-12"
parks = ["jinfeng_software", "xiyong_microelectronics", "science_city_points"]
housing_subsidy_yuan_month = 1500
school_places_per_year = 1000
"""

# (what is wrong, the body of a scenario file `my_idea.toml` with that mistake)
_VALID_RENT = """\
[[policies]]
kind = "rent_reduction"
start = "2023-01"
parks = ["jinfeng_software"]
"""
_ERROR_EXAMPLES = [
    (
        "misspelt key: `shares = 0.5` in a `rent_reduction`",
        _VALID_RENT + 'end = "2025-12"\nshares = 0.5\n',
    ),
    ('wrong type: `share = "half"`', _VALID_RENT + 'end = "2025-12"\nshare = "half"\n'),
    ("value out of range: `share = 1.5`", _VALID_RENT + 'end = "2025-12"\nshare = 1.5\n'),
    ("required key left out: no `share`", _VALID_RENT + 'end = "2025-12"\n'),
    (
        'unknown park: `parks = ["jinfeng"]`',
        _VALID_RENT.replace('"jinfeng_software"', '"jinfeng"') + 'end = "2025-12"\nshare = 0.5\n',
    ),
    ('bad month: `end = "2025-13"`', _VALID_RENT + 'end = "2025-13"\nshare = 0.5\n'),
    ('end before start: `end = "2022-12"`', _VALID_RENT + 'end = "2022-12"\nshare = 0.5\n'),
    (
        'unknown policy kind: `kind = "rent_reduce"`',
        '[[policies]]\nkind = "rent_reduce"\nstart = "2023-01"\nend = "2025-12"\n',
    ),
    (
        "unknown parameter: `quit_rat = 0.01` in `[parameters.labour]`",
        "[parameters.labour]\nquit_rat = 0.01\n",
    ),
    (
        "parameter out of range: `quit_rate = 1.5` in `[parameters.labour]`",
        "[parameters.labour]\nquit_rate = 1.5\n",
    ),
    ('missing `extends`: `extends = "basline.toml"`', 'extends = "basline.toml"\n'),
    ('circular `extends`: `extends = "my_idea.toml"`', 'extends = "my_idea.toml"\n'),
    (
        'nothing to drop: `drop_policies = ["talent"]` without `extends`',
        'drop_policies = ["talent"]\n',
    ),
]

_DEFAULT_NOTE = re.compile(r"\s*\(default: ([^()]*)\)")
_PARAM_REF = re.compile(r"parameter ([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)")
_ID_FIELDS = {"park": "park", "parks": "park", "sector": "sector", "sectors": "sector"}
_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}
_SCALAR_PLURALS = {int: "integers", float: "numbers", str: "strings", bool: "booleans"}


def policy_models() -> dict[str, type[BaseModel]]:
    """The spec of each policy kind, in the registry's order (sim.policies.KINDS)."""
    return dict(SPECS)


# ----------------------------------------------------------------------------------------------
# Formatting helpers


def _num(value: float) -> str:
    """A bound or default as it would be written in TOML (whole floats without '.0')."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{_num(value)}`"
    if isinstance(value, list):
        return "`[" + ", ".join(_literal(v).strip("`") for v in value) + "]`"
    return f"`{value}`"


def _param_ref(key: str, params: Parameters, with_value: bool) -> str:
    if key not in params.specs:
        raise ValueError(f"a description names parameter '{key}', which parameters.toml lacks")
    if not with_value:
        return f"parameter `{key}`"
    spec = params.specs[key]
    return f"parameter `{key}`: {_num(spec.value)} {spec.unit} ({spec.status})"


def _param_refs(text: str, params: Parameters, with_value: bool = False) -> str:
    return _PARAM_REF.sub(lambda m: _param_ref(m[1], params, with_value), text)


# ----------------------------------------------------------------------------------------------
# Model fields


def _month_fields(model: type[BaseModel]) -> set[str]:
    """Fields checked as 'YYYY-MM' months by a field validator."""
    out: set[str] = set()
    for dec in model.__pydantic_decorators__.field_validators.values():
        if dec.func is check_month:
            out.update(dec.info.fields)
    return out


def _type(name: str, info: FieldInfo, months: set[str]) -> str:
    ann = info.annotation
    if typing.get_origin(ann) in (types.UnionType, typing.Union):
        ann = next(a for a in typing.get_args(ann) if a is not type(None))
    if name in months:
        return 'month `"YYYY-MM"`'
    if typing.get_origin(ann) is typing.Literal:
        return " or ".join(_literal(v) for v in typing.get_args(ann))
    if typing.get_origin(ann) is list:
        (item,) = typing.get_args(ann)
        if name in _ID_FIELDS:
            return f"list of {_ID_FIELDS[name]} ids"
        return f"list of {_SCALAR_PLURALS.get(item, str(item))}"
    if name in _ID_FIELDS:
        return f"{_ID_FIELDS[name]} id"
    return _SCALARS.get(ann, str(ann))


def _range(info: FieldInfo) -> str:
    bounds: dict[str, float] = {}
    for meta in info.metadata:
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = getattr(meta, attr, None)
            if value is not None:
                bounds[attr] = value
    parts = []
    if "min_length" in bounds or "max_length" in bounds:
        lo, hi = bounds.get("min_length"), bounds.get("max_length")
        if hi is None:
            parts.append(f"at least {lo} item{'s' if lo != 1 else ''}")
        else:
            parts.append(f"{lo or 0} to {hi} items")
    lo = bounds.get("ge", bounds.get("gt"))
    hi = bounds.get("le", bounds.get("lt"))
    if "ge" in bounds and "le" in bounds:
        parts.append(f"{_num(lo)} to {_num(hi)}")
    else:
        if lo is not None:
            parts.append(f"{'>=' if 'ge' in bounds else '>'} {_num(lo)}")
        if hi is not None:
            parts.append(f"{'<=' if 'le' in bounds else '<'} {_num(hi)}")
    return ", ".join(parts)


def _field_rows(model: type[BaseModel], params: Parameters) -> list[list[str]]:
    """One row per key: key, type, required, range, default, meaning."""
    months = _month_fields(model)
    names = list(model.model_fields)
    if "kind" in names:  # the kind first, as it is written in files
        names.remove("kind")
        names.insert(0, "kind")
    rows = []
    for name in names:
        info = model.model_fields[name]
        if not info.description:
            raise ValueError(f"{model.__name__}.{name} has no description")
        match = _DEFAULT_NOTE.search(info.description)
        meaning = _DEFAULT_NOTE.sub("", info.description)
        note = _param_refs(match[1], params, with_value=True) if match else None
        if info.is_required():
            required, default = "required", ""
        else:
            value = info.get_default(call_default_factory=True)
            if value is None and note is None:
                raise ValueError(
                    f"{model.__name__}.{name} defaults to None: its description must say "
                    "what that means with '(default: ...)'"
                )
            required = "optional"
            if value is None:
                default = note
            else:
                default = _literal(value) + (f" ({note})" if note else "")
        rows.append(
            [
                f"`{name}`",
                _type(name, info, months),
                required,
                _range(info),
                default,
                _param_refs(meaning, params),
            ]
        )
    return rows


def _fields_table(model: type[BaseModel], params: Parameters) -> str:
    head = ["Key", "Type", "Required", "Range", "Default", "Meaning"]
    return _table(head, _field_rows(model, params))


# ----------------------------------------------------------------------------------------------
# Sections


def _name_rule() -> str:
    info = ScenarioFile.model_fields["name"]
    lo = hi = pattern = None
    for meta in info.metadata:
        lo = getattr(meta, "min_length", lo)
        hi = getattr(meta, "max_length", hi)
        pattern = getattr(meta, "pattern", pattern)
    return f"{lo} to {hi} characters matching `{pattern}`"


def _intro() -> str:
    kinds = ", ".join(f"`{k}`" for k in policy_models())
    return f"""\
# Scenario files

<!-- Generated by `python -m sim.docs > scenarios/README.md` from sim/scenario.py and
scenarios/parameters.toml. Do not edit by hand: tests/test_docs.py checks it is up to date. -->

A scenario file is a [TOML](https://toml.io) file that says which policy levers are in force,
when and how strongly, and optionally changes the run settings and any model parameter.
`cqsim run FILE` runs it; `cqsim validate FILE...` checks files without running them. Every file
is checked completely before anything runs (see [Errors](#errors)).

## Top-level keys

- `name` (required): names the run (default output folder `runs/<name>/`);
  {_name_rule()}.
- `description` (optional): free text. When left out or empty, the description of the file it
  extends is kept.
- `extends` (optional): path of another scenario file, relative to the folder of this file. This
  file starts from everything that one resolves to: its run settings, parameter overrides and
  policies. Chains are allowed (a file may extend a file that extends another); a cycle is
  rejected.
- `drop_policies` (optional, list of strings): removes inherited policies whose `kind` or `name`
  equals one of the entries; `"*"` drops every inherited policy. Each entry other than `"*"` must
  match at least one inherited policy. Only inherited policies are dropped, never the file's own.
- `[run]` (optional table): run settings; see [`[run]`](#run).
- `[parameters.GROUP]` (optional tables): parameter overrides; see [Parameters](#parameters).
- `[[policies]]` (optional, one table per policy); see [Policies](#policies). `kind` is one of
  {kinds}.

A file is resolved in this order:

1. The file it `extends` is resolved first (recursively).
2. `[run]`: each key set here replaces the inherited value; the rest are inherited, or take
   their defaults.
3. `[parameters]`: each parameter set here replaces the inherited override; the rest are
   inherited, or keep their value in parameters.toml.
4. Policies: the inherited list, less those matched by `drop_policies`, then this file's
   `[[policies]]` appended in the order written.

## Example

```toml
{EXAMPLE.rstrip()}
```
"""


def _run_section(params: Parameters) -> str:
    return f"""\
## `[run]`

{inspect.cleandoc(RunSettings.__doc__ or "")}

All keys are optional. Options of `cqsim run` override them: `-n/--replicates`, `--seed`,
`--scale` and `--end`.

{_fields_table(RunSettings, params)}
"""


def _policies_section(params: Parameters) -> str:
    parts = [
        """\
## Policies

Each `[[policies]]` table is one policy; `kind` says which, and the keys allowed are those in
the table for that kind. Any number of policies of any kind may be combined. Every policy has
`start` and `end` months (both inclusive) and acts only in months that are also in the run;
`name` is optional. Money is in yuan unless the key says otherwise (`_m_yuan`: million yuan,
`_bn_yuan`: billion yuan); every yuan a policy pays is booked as its fiscal cost. Park and
sector ids are listed under [Parks and sectors](#parks-and-sectors); an optional `parks` or
`sectors` list left out means all of them.
"""
    ]
    for kind, model in policy_models().items():
        doc = inspect.cleandoc(model.__doc__ or "")
        parts.append(f"### `{kind}`\n\n{doc}\n\n{_fields_table(model, params)}\n")
    return "\n".join(parts)


def _places_section(params: Parameters) -> str:
    parks = [
        [
            f"`{p.id}`",
            p.name,
            "yes" if p.science_city else "no",
            p.batch,
            "yes" if p.young else "no",
            ", ".join(f"`{s}`" for s in p.focus),
        ]
        for p in params.parks
    ]
    sectors = [[f"`{s.id}`", s.name] for s in params.sectors]
    return f"""\
## Parks and sectors

The ids that `park`, `parks`, `sector` and `sectors` accept, from scenarios/parameters.toml.
`outside` stands for firms outside any park; `office_supply` cannot deliver space there.
Young parks (set up in 2020 with the Science City) start in January 2021 with recently arrived,
entrant-sized firms only (`init.young_park_months`).

{_table(["Park id", "Name", "Science City", "Batch", "Young", "Focus sectors"], parks)}

{_table(["Sector id", "Name"], sectors)}
"""


def _parameters_section(params: Parameters) -> str:
    parts = [
        """\
## Parameters

Every number in scenarios/parameters.toml can be overridden by a scenario, under a table named
after its group:

```toml
[parameters.migration]
income_elasticity = 2.0          # overrides migration.income_elasticity
```

An override must name a known group and parameter, be a finite number (not a boolean or a
string) within the parameter's range, and be a whole number where the value below is written
without a decimal point. `status` says where the value comes from: `stated` (the source
documents), `assumed` (reasoning or public statistics in `source`) or `calibrated` (set so the
model reproduces an observed figure).
"""
    ]
    groups: dict[str, list] = {}
    for key, spec in params.specs.items():
        groups.setdefault(key.split(".")[0], []).append(spec)
    for group, specs in groups.items():
        rows = []
        for spec in specs:
            lo, hi = spec.min, spec.max
            if lo is not None and hi is not None:
                rng = f"{_num(lo)} to {_num(hi)}"
            elif lo is not None:
                rng = f">= {_num(lo)}"
            elif hi is not None:
                rng = f"<= {_num(hi)}"
            else:
                rng = "any"
            rows.append(
                [f"`{spec.key}`", repr(spec.value), spec.unit, rng, spec.status, spec.source]
            )
        head = ["Key", "Value", "Unit", "Range", "Status", "Source"]
        parts.append(f"### `[parameters.{group}]`\n\n{_table(head, rows)}\n")
    return "\n".join(parts)


def _error_message(body: str, params: Parameters) -> str:
    """The message cqsim prints for a file `my_idea.toml` with this body."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "my_idea.toml"
        path.write_text('name = "my_idea"\n' + body, encoding="utf-8")
        try:
            load_scenario(path, params)
        except ScenarioError as exc:
            return f"cqsim: error: {path.name}{str(exc)[len(exc.file) :]}"
    raise ValueError(f"error example is valid, expected an error:\n{body}")


def _errors_section(params: Parameters) -> str:
    rows = [[what, f"`{_error_message(body, params)}`"] for what, body in _ERROR_EXAMPLES]
    return f"""\
## Errors

Every invalid input (a file that is not valid TOML, an unknown or misspelt key, a wrong type, a
value out of range, an unknown park, sector or parameter, a bad month, a missing or circular
`extends`) gives one message naming the file and the key path,

```
cqsim: error: FILE: KEY: message
```

and exit status 2; nothing is simulated and no output folder is created. `cqsim validate`
prints one such line per invalid file. Examples, for a file `my_idea.toml`:

{_table(["Mistake", "Message"], rows)}
"""


def scenario_reference(params: Parameters | None = None) -> str:
    """The Markdown text of scenarios/README.md."""
    params = params if params is not None else load_parameters()
    sections = [
        _intro(),
        _run_section(params),
        _policies_section(params),
        _places_section(params),
        _parameters_section(params),
        _errors_section(params),
    ]
    return "\n".join(sections)


if __name__ == "__main__":
    sys.stdout.write(scenario_reference())
