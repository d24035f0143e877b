"""How far to trust the model: the baseline against what the city reported, in a few lines.

The shipped table ``scenarios/validation_baseline.csv`` holds every observed figure against the
calibrated baseline (``cqsim validate-model``: 20 replicates with posterior draws): whether it
was calibrated against, the model's median and 5-95% band. :func:`trust_statement` turns it into
the short statement the report and the app show next to their answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.params import scenarios_dir

SHIPPED = "validation_baseline.csv"


def load_validation(path: Path | None = None) -> pd.DataFrame | None:
    """The shipped validation of the baseline, or None if there is none."""
    path = path or scenarios_dir() / SHIPPED
    if not path.is_file():
        return None
    return pd.read_csv(path)


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def by_construction(table: pd.DataFrame) -> pd.Series:
    """Figures the model reproduces exactly in every replicate: inputs, not tests of it."""
    exact = (table["model_p5"] == table["model_p95"]) | np.isclose(
        table["model_p5"], table["model_p95"], rtol=1e-9, atol=0.0
    )
    return exact & np.isclose(table["model_median"], table["observed"], rtol=1e-9, atol=0.0)


def trust_statement(table: pd.DataFrame | None = None) -> str:
    """Two or three sentences: how the baseline compares with what was reported, and its misses.

    Empty when no validation table is shipped.
    """
    table = load_validation() if table is None else table
    if table is None or table.empty:
        return ""
    inputs = by_construction(table)
    fitted = table[table["calibrated"] & ~inputs]
    unseen = table[~table["calibrated"] & ~inputs]
    parts = [
        f"How far to trust it: the baseline reproduces {int(fitted['in_90'].sum())} of the "
        f"{len(fitted)} reported figures it was calibrated to within its 90% band, and "
        f"{int(unseen['in_90'].sum())} of {len(unseen)} official figures it never saw "
        "(2022-2023 statistics, the Science City's firm sizes); "
        + (
            f"{int(inputs.sum())} more are inputs it reproduces by construction."
            if inputs.sum() != 1
            else "1 more is an input it reproduces by construction."
        )
    ]
    misses = table[~table["in_90"] & ~inputs]
    if not misses.empty:
        worst = misses.assign(gap=(misses["error_pct"]).abs()).sort_values("gap", ascending=False)
        shown = [
            f"{r.label} (model {_fmt(r.model_median)}, reported {_fmt(r.observed)})"
            for r in worst.head(3).itertuples()
        ]
        parts.append("It misses " + "; ".join(shown) + ".")
    parts.append(
        "Differences between scenarios run with the same seeds are more reliable than levels."
    )
    return " ".join(parts)
