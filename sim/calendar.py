"""Months as 'YYYY-MM' strings and as integer month counts."""

from __future__ import annotations

import re
from datetime import date

from sim.lazy import lazy_module

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """Months since year 0 for a 'YYYY-MM' string; ValueError if malformed."""
    match = _MONTH_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a month as 'YYYY-MM', got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 01-12, got {text!r}")
    if not 1900 <= year <= 2200:
        raise ValueError(f"year must be 1900-2200, got {text!r}")
    return year * 12 + month - 1


def format_month(count: int) -> str:
    """'YYYY-MM' for a month count."""
    return f"{count // 12:04d}-{count % 12 + 1:02d}"


def month_dates(start: int, end: int) -> np.ndarray:
    """First day of each month from start to end inclusive, as datetime64[D]."""
    return np.array(
        [date(m // 12, m % 12 + 1, 1) for m in range(start, end + 1)], dtype="datetime64[D]"
    )
