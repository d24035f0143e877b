"""Stylised facts of firm dynamics: the model's firms against what the literature finds.

- the upper tail of firm sizes is close to Zipf (Axtell 2001: an exponent near 1 for employment);
  :func:`zipf_exponent` estimates it by the log-rank regression with the Gabaix-Ibragimov
  correction (log(rank - 1/2) on log size);
- yearly growth rates are tent-shaped (Laplace, not Gaussian: Bottazzi & Secchi; Stanley et al.
  1996), so their excess kurtosis is well above 0 (a Laplace's is 3);
- growth volatility falls with size, roughly as size^-0.2 (Stanley et al. 1996; Amaral et al.:
  0.18-0.20): :func:`volatility_slope`.

:func:`firm_panel` records the firms of a run every December to compute them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd


def firm_panel(scenario: str | Path, seed: int = 1, end: str = "2025-12") -> pd.DataFrame:
    """Each firm alive in December of each year of a run: its staff and yearly revenue.

    Columns: ``firm`` (row), ``year``, ``weight`` (firms it stands for), ``people`` (headcount
    of one firm), ``revenue`` (trailing 12 months, yuan), ``kind``.
    """
    from sim.model import ClusterModel

    model = ClusterModel(scenario, rng=seed, end=end)
    frames = []
    while model.running:
        model.step()
        date = model.dates[model.month - 1]
        if date.astype("datetime64[M]").astype(int) % 12 == 11:  # December
            f = model.firms
            alive = np.flatnonzero(f.alive[: f.n])
            frames.append(
                pd.DataFrame(
                    {
                        "firm": alive,
                        "year": int(str(date)[:4]),
                        "weight": f.weight[alive],
                        "people": model.firm_size_people()[alive],
                        "revenue": f.trailing_revenue[alive],
                        "kind": f.kind[alive],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def zipf_exponent(sizes: np.ndarray, top: int = 100, weights: np.ndarray | None = None) -> float:
    """The Pareto exponent of the ``top`` largest sizes (log-rank regression, rank - 1/2).

    ``weights``: how many firms each size stands for (ranks count them).
    """
    sizes = np.asarray(sizes, dtype=float)
    weights = np.ones_like(sizes) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(-sizes)
    sizes, weights = sizes[order], weights[order]
    rank = np.cumsum(weights) - (weights - 1) / 2  # a row of w firms: its middle rank
    keep = (rank <= top) & (sizes > 0)
    if keep.sum() < 5:
        return np.nan
    slope = np.polyfit(np.log(sizes[keep]), np.log(rank[keep] - 0.5), 1)[0]
    return float(-slope)


def growth_rates(panel: pd.DataFrame, column: str = "revenue") -> pd.DataFrame:
    """Yearly log growth of each firm alive in two consecutive Decembers (positive both)."""
    wide = panel.pivot_table(index="firm", columns="year", values=column, aggfunc="first")
    size = panel.pivot_table(index="firm", columns="year", values="people", aggfunc="first")
    rows = []
    years = sorted(wide.columns)
    for a, b in itertools.pairwise(years):
        ok = (wide[a] > 0) & (wide[b] > 0)
        rows.append(
            pd.DataFrame(
                {
                    "firm": wide.index[ok],
                    "year": b,
                    "growth": np.log(wide.loc[ok, b] / wide.loc[ok, a]).to_numpy(),
                    "people": size.loc[ok, a].to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def excess_kurtosis(values: np.ndarray) -> float:
    """Excess kurtosis (0 for a Gaussian, 3 for a Laplace)."""
    values = np.asarray(values, dtype=float)
    centred = values - values.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3)


def volatility_slope(growth: pd.DataFrame, bins: int = 8) -> float:
    """Slope of log sd of growth on log size, over size bins of equal counts."""
    g = growth[growth["people"] > 0]
    edges = np.quantile(np.log(g["people"]), np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, np.log(g["people"]), side="right") - 1, 0, bins - 1)
    table = pd.DataFrame({"bin": which, "growth": g["growth"], "size": np.log(g["people"])})
    stats = table.groupby("bin").agg(sd=("growth", "std"), size=("size", "mean")).dropna()
    stats = stats[stats["sd"] > 0]
    if len(stats) < 3:
        return np.nan
    return float(np.polyfit(stats["size"], np.log(stats["sd"]), 1)[0])


def stylised_facts(panel: pd.DataFrame, year: int = 2025) -> dict[str, float]:
    """The three facts for a panel: tail exponents, growth kurtosis, volatility slope."""
    last = panel[panel["year"] == year]
    growth = growth_rates(panel)
    return {
        "zipf_exponent_employment_top100": zipf_exponent(last["people"], 100, last["weight"]),
        "zipf_exponent_revenue_top100": zipf_exponent(last["revenue"], 100, last["weight"]),
        "growth_excess_kurtosis": excess_kurtosis(growth["growth"]),
        "volatility_size_slope": volatility_slope(growth),
    }
