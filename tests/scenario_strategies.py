"""Hypothesis strategies for scenario files, valid and invalid, derived from the documented schema.

The policy kinds, their fields and each field's range are read from the scenario models (the
same definitions that validate files), so a new policy kind is fuzzed without editing this file.
Used by tests/test_fuzz.py (a fast run in the default suite) and benchmarks/fuzz.py (hundreds).
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import strategies as st

from sim.params import load_parameters
from sim.policies import KINDS as POLICY_KINDS
from sim.policies import SPECS
from sim.policies.scale_up_awards import MAX_AWARD_M_YUAN, MAX_AWARD_THRESHOLD_BN_YUAN
from sim.validation import field_range

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
PARAMS = load_parameters()
PARKS = PARAMS.park_ids
SECTORS = PARAMS.sector_ids
MONTHS = [f"{y}-{m:02d}" for y in (2021, 2022) for m in range(1, 13)]


def _choices(annotation: Any) -> list[type]:
    """The plain types a field's annotation admits (None left out)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def valid_value(model: type, name: str, kind: str) -> st.SearchStrategy:
    """A value the documented schema accepts for one field of a policy kind."""
    field = model.model_fields[name]
    plain = _choices(field.annotation)[0]
    origin = typing.get_origin(plain)
    if name in ("start", "end"):
        return st.sampled_from(MONTHS)
    if name == "kind":
        return st.just(kind)
    if name == "name":
        return st.none() | st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
    if name in ("park", "parks"):
        ids = [p for p in PARKS if p != "outside"] if kind == "office_supply" else PARKS
        one = st.sampled_from(ids)
        return one if name == "park" else st.lists(one, min_size=1, max_size=3, unique=True)
    if name in ("sector", "sectors"):
        one = st.sampled_from(SECTORS)
        return one if name == "sector" else st.lists(one, min_size=1, max_size=3, unique=True)
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(plain))
    if name == "thresholds_bn_yuan":
        return st.lists(
            st.floats(0.01, MAX_AWARD_THRESHOLD_BN_YUAN), min_size=1, max_size=3, unique=True
        ).map(sorted)
    if name == "awards_m_yuan":
        return st.lists(st.floats(0, MAX_AWARD_M_YUAN), min_size=1, max_size=3)
    low, high = field_range(model, name)
    low = 0.0 if low is None else low
    high = 1e6 if high is None else high
    if plain is int:
        return st.integers(int(low), int(high))
    gt = any(getattr(b, "gt", None) is not None for b in field.metadata)
    return st.floats(low, high, exclude_min=gt, allow_nan=False)


@st.composite
def policy(draw, kind: str | None = None) -> dict[str, Any]:
    """One valid [[policies]] table."""
    kind = kind or draw(st.sampled_from(POLICY_KINDS))
    model = SPECS[kind]
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if field.is_required() or draw(st.booleans()):
            value = draw(valid_value(model, name, kind))
            if value is not None:
                out[name] = value
    if "start" in out and "end" in out and out["end"] < out["start"]:
        out["start"], out["end"] = out["end"], out["start"]
    if kind == "scale_up_awards":
        n = min(len(out["thresholds_bn_yuan"]), len(out["awards_m_yuan"]))
        out["thresholds_bn_yuan"] = out["thresholds_bn_yuan"][:n]
        out["awards_m_yuan"] = out["awards_m_yuan"][:n]
    return out


@st.composite
def valid_scenario(draw) -> dict[str, Any]:
    """A short scenario that the schema accepts (it may still be refused as too large)."""
    start = draw(st.sampled_from(MONTHS[:18]))
    end_index = MONTHS.index(start) + draw(st.integers(0, 3))
    doc: dict[str, Any] = {
        "name": draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)),
        "extends": str(SCENARIOS / draw(st.sampled_from(["baseline.toml", "no_policy.toml"]))),
        "run": {
            "start": start,
            "end": MONTHS[min(end_index, len(MONTHS) - 1)],
            "scale": draw(st.sampled_from([5, 10, 20, 50, 200])),
        },
    }
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(sorted(PARAMS.specs)), max_size=3, unique=True))
        overrides: dict[str, dict[str, Any]] = {}
        for key in keys:
            spec = PARAMS.specs[key]
            low = spec.min if spec.min is not None else 0.0
            high = spec.max if spec.max is not None else max(1.0, 2 * abs(spec.value))
            if isinstance(spec.value, int):
                value = draw(st.integers(int(low), int(high)))
            else:
                value = draw(st.floats(low, high, allow_nan=False))
            group, name = key.split(".", 1)
            overrides.setdefault(group, {})[name] = value
        doc["parameters"] = overrides
    doc["policies"] = draw(st.lists(policy(), max_size=3))
    return doc


MUTATIONS = (
    "out_of_range",
    "wrong_type",
    "unknown_key",
    "missing_key",
    "bad_month",
    "unknown_park",
    "missing_extends",
    "bad_scale",
    "bad_parameter",
    "latin1",
    "bom",
    "truncated",
)


@st.composite
def scenario_file(draw) -> tuple[bytes, str | None]:
    """The bytes of a scenario file and the mutation applied to it (None: left valid)."""
    doc = draw(valid_scenario())
    mutation = draw(st.none() | st.sampled_from(MUTATIONS))
    policies = doc["policies"]
    numeric = [
        (i, k)
        for i, p in enumerate(policies)
        for k, v in p.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    bounded = [
        (i, k) for i, k in numeric if field_range(SPECS[policies[i]["kind"]], k) != (None, None)
    ]
    has_park = any("park" in p or "parks" in p for p in policies)
    if (
        (mutation == "out_of_range" and not bounded)
        or (mutation == "wrong_type" and not numeric)
        or (mutation == "missing_key" and not policies)
        or (mutation == "unknown_park" and not has_park)
    ):
        mutation = None  # nothing in this file for the mutation to act on: it stays valid
    if mutation == "out_of_range":
        i, k = draw(st.sampled_from(bounded))
        low, high = field_range(SPECS[policies[i]["kind"]], k)
        policies[i][k] = (high * 2 + 1) if high is not None else low - 1
    elif mutation == "wrong_type":
        i, k = draw(st.sampled_from(numeric))
        policies[i][k] = str(policies[i][k])
    elif mutation == "unknown_key":
        target = policies[0] if policies else doc
        target[draw(st.sampled_from(["shares", "parc", "ammount", "extend", "polices"]))] = 1
    elif mutation == "missing_key":
        required = [
            k
            for k, f in SPECS[policies[0]["kind"]].model_fields.items()
            if f.is_required() and k != "kind"
        ]
        policies[0].pop(draw(st.sampled_from(required)))
    elif mutation == "bad_month":
        doc["run"]["end"] = draw(st.sampled_from(["2021-13", "2021/06", "21-01", "2020-12"]))
    elif mutation == "unknown_park":
        for p in policies:
            if "parks" in p:
                p["parks"] = ["jinfeng_sofware"]
            elif "park" in p:
                p["park"] = "liangjaing_software"
    elif mutation == "missing_extends":
        doc["extends"] = "no_such_parent.toml"
    elif mutation == "bad_scale":
        doc["run"]["scale"] = draw(st.sampled_from([0, -3, 5000, 2.5]))
    elif mutation == "bad_parameter":
        doc["parameters"] = {"migration": {"income_elasticty": 2.0}}
    data = tomli_w.dumps(doc).encode()
    if mutation == "latin1":
        data = data.replace(b'name = "', b'name = "\xe9', 1)
    elif mutation == "bom":
        data = b"\xef\xbb\xbf" + data  # accepted
    elif mutation == "truncated":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    return data, mutation


def describe(data: bytes) -> str:
    """The file as text, for a failing example's report."""
    return json.dumps(data.decode("utf-8", errors="replace"))
