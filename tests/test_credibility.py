"""The statement of how far to trust the model says what the validation table says."""

from __future__ import annotations

import pandas as pd

from sim.credibility import load_validation, trust_statement


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "label": ["2021 revenue", "added", "2022 revenue", "firms above size", "office"],
            "calibrated": [True, True, False, False, False],
            "observed": [282.4, 263000, 303.6, 600, 3.75e6],
            "model_median": [281.0, 250000, 320.0, 1800, 3.75e6],
            "model_p5": [275.0, 210000, 300.0, 1500, 3.75e6],
            "model_p95": [290.0, 280000, 330.0, 2100, 3.75e6 * (1 + 1e-15)],
            "in_90": [True, True, True, False, True],
            "error_pct": [-0.5, -5.0, 5.4, 200.0, 0.0],
        }
    )


def test_the_statement_counts_the_fits_and_names_the_misses():
    text = trust_statement(table())
    assert "2 of the 2 reported figures it was calibrated to" in text
    assert "1 of 2 official figures it never saw" in text
    # an input the model reproduces exactly in every replicate is not counted as a success
    assert "1 more is an input it reproduces by construction" in text
    assert "It misses firms above size (model 1,800, reported 600)" in text


def test_no_table_no_statement(tmp_path):
    assert load_validation(tmp_path / "none.csv") is None
    assert trust_statement(pd.DataFrame()) == ""
