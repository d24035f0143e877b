"""What every validated input shares: strict models, months, ranges and "did you mean".

The scenario, sweep, calibration and policy models all build on :class:`StrictModel` (unknown
keys and wrong types are errors) and report problems with :func:`did_you_mean` and
:func:`describe_error`, so that every file's messages read alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sim.calendar import parse_month

Month = Annotated[str, Field(description="a month as 'YYYY-MM'")]


class StrictModel(BaseModel):
    """A settings model that accepts no unknown key and converts no type."""

    model_config = ConfigDict(extra="forbid", strict=True)


def check_month(value: str) -> str:
    """A 'YYYY-MM' month, as given; ValueError if it is not one."""
    parse_month(value)
    return value


CHOICES_LISTED = 12
"""How many choices an error message lists in full when none is close to what was typed."""


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest of ``options``; the choices if none is close.

    Short lists (up to ``CHOICES_LISTED``) are named in full when nothing is close, so that a
    user who guessed a name wrong sees the right ones; long lists give '' then.
    """
    options = list(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if 0 < len(options) <= CHOICES_LISTED:
        return "; choose from " + ", ".join(f"'{o}'" for o in sorted(options))
    return ""


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


def key_path(loc: tuple, skip: Callable[[str], bool] = lambda part: False) -> str:
    """A pydantic error location as a key path (``policies[2].share``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif skip(str(part)):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def first_error(errors: list[dict]) -> dict:
    """The error to report: a misspelt key first, since it also causes a 'missing' error."""
    return next((err for err in errors if err["type"] == "extra_forbidden"), errors[0])


def describe_error(
    err: dict,
    fields_at: Callable[[tuple], list[str]],
    key: str | None = None,
) -> tuple[str, str]:
    """One pydantic error as (key path, message) in cqsim's words.

    ``fields_at(parent_loc)`` lists the keys valid at a location, for "did you mean".
    """
    loc = err["loc"]
    key = key_path(loc) if key is None else key
    kind = err["type"]
    if kind == "extra_forbidden":
        word = str(loc[-1])
        return key, f"unknown key '{word}'{did_you_mean(word, fields_at(loc[:-1]))}"
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
