"""Validation against the observed figures: the check table and the figure, on a small run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
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
    december = rows[rows["month"] == 12].set_index(["replicate", "year"])["value"]
    if how == "december":
        return december.xs(year, level="year").to_numpy()
    return (december.xs(year, level="year") - december.xs(2021, level="year")).to_numpy()


@pytest.mark.parametrize(
    ("obs_id", "metric", "year", "how"),
    [
        ("cq_revenue_2021", "revenue_bn_yuan", 2021, "sum_year"),
        ("cq_workforce_2021", "workforce", 2021, "december"),
        ("cq_workforce_added_2024", "workforce", 2024, "december_minus_2021"),
        ("cq_firms_1bn_2024", "firms_rev_1bn_plus", 2024, "december"),
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


def test_a_change_since_2021_is_drawn_at_its_level():
    obs = load_observations().set_index("id")
    level = _plotted_level(obs, "cq_workforce_added_2024")
    assert (
        level == obs.loc["cq_workforce_2021", "value"] + obs.loc["cq_workforce_added_2024", "value"]
    )
    assert _plotted_level(obs, "cq_revenue_2021") == obs.loc["cq_revenue_2021", "value"]


def test_validate_model_writes_the_table_and_the_figure(trajectories, tmp_path):
    table = validate_model(trajectories, tmp_path / "validation")
    written = pd.read_csv(tmp_path / "validation" / "validation.csv")
    assert list(written["id"]) == list(table["id"])
    png = (tmp_path / "validation" / "validation.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
