"""Validation against the observed figures: the check table and the figure, on a small run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from analysis.tables import yearly
from analysis.validation import _plotted_level, predictive_check, validate_model
from sim.targets import load_observations

SCENARIOS = Path(sim.__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def trajectories() -> pd.DataFrame:
    """Three replicates of the baseline to December 2025, with posterior draws."""
    return sim.run(SCENARIOS / "baseline.toml", replicates=3, seed=1, end="2025-12").trajectories


def _by_hand(traj: pd.DataFrame, metric: str, year: int, how: str) -> np.ndarray:
    rows = traj[traj["metric"] == metric].copy()
    dates = pd.to_datetime(rows["date"])
    rows["year"], rows["month"] = dates.dt.year, dates.dt.month
    if how == "sum_year":
        return rows[rows["year"] == year].groupby("replicate")["value"].sum().to_numpy()
    if how == "sum_from_2022":
        within = rows[(rows["year"] >= 2022) & (rows["year"] <= year)]
        return within.groupby("replicate")["value"].sum().to_numpy()
    december = rows[rows["month"] == 12].set_index(["replicate", "year"])["value"]
    if how == "december":
        return december.xs(year, level="year").to_numpy()
    return (december.xs(year, level="year") - december.xs(2021, level="year")).to_numpy()


@pytest.mark.parametrize(
    ("obs_id", "metric", "year", "how"),
    [
        ("cq_revenue_2021", "revenue_bn_yuan", 2021, "sum_year"),
        ("cq_practitioners_2022", "workforce", 2022, "december"),
        ("cq_added_workforce_2025", "workforce", 2025, "december_minus_2021"),
        ("cq_new_1bn_2025", "firms_rev_1bn_plus", 2025, "december_minus_2021"),
        ("cq_new_firms_2025", "firm_registrations", 2025, "sum_from_2022"),
    ],
)
def test_check_table_matches_a_hand_computation(trajectories, obs_id, metric, year, how):
    table = predictive_check(trajectories).set_index("id")
    values = _by_hand(trajectories, metric, year, how)
    observed = float(load_observations().set_index("id").loc[obs_id, "value"])
    row = table.loc[obs_id]
    assert row["model_median"] == pytest.approx(np.median(values))
    assert row["error_pct"] == pytest.approx(100 * (np.median(values) - observed) / observed)
    assert row["percentile"] == pytest.approx((values < observed).mean())
    assert row["in_90"] == bool(row["model_p5"] <= observed <= row["model_p95"])
    assert row["replicates"] == 3


def test_every_observation_with_a_metric_is_checked(trajectories):
    obs = load_observations()
    expected = set(obs[(obs["kind"] == "observation") & obs["metric"].notna()]["id"])
    assert set(predictive_check(trajectories)["id"]) == expected


def test_a_change_since_2021_is_drawn_at_its_level(trajectories):
    # An added count is drawn on the level chart at the model's own Dec-2021 median plus the
    # reported addition; a level is drawn as reported.
    obs = load_observations().set_index("id")
    table = yearly(trajectories, ["workforce", "revenue_bn_yuan"])
    base = table[(table["metric"] == "workforce") & (table["year"] == 2021)]["value"].median()
    level = _plotted_level(obs, "cq_added_workforce_2025", table)
    assert level == pytest.approx(base + obs.loc["cq_added_workforce_2025", "value"])
    assert _plotted_level(obs, "cq_revenue_2021", table) == obs.loc["cq_revenue_2021", "value"]


def test_validate_model_writes_the_table_and_the_figure(trajectories, tmp_path):
    table = validate_model(trajectories, tmp_path / "validation")
    written = pd.read_csv(tmp_path / "validation" / "validation.csv")
    assert list(written["id"]) == list(table["id"])
    png = (tmp_path / "validation" / "validation.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
