"""Model validation: every observed figure against the model's predictive distribution."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.tables import yearly
from sim.outputs import GENERATOR, output_folder
from sim.targets import aggregate_rule, load_observations, observe

PLOTTED = (
    (
        "revenue_bn_yuan",
        "Revenue, bn yuan per year",
        ("cq_revenue_2021", "cq_revenue_2022", "cq_forecast_2025"),
    ),
    (
        "workforce",
        "Practitioners, December",
        ("cq_practitioners_2022", "cq_added_workforce_2025"),
    ),
    ("firm_registrations", "Firms registered in the year", ("cq_new_firms_2022",)),
    ("firms_rev_1bn_plus", "Firms with revenue >= 1 bn yuan, December", ("cq_new_1bn_2025",)),
    (
        "firms_above_designated_size",
        "Firms above designated size (>= 20 m yuan)",
        ("cq_above_scale_2023",),
    ),
    ("sc_firms", "Firms in the Science City", ("sc_firms_2022",)),
)
# Observed figures the model was calibrated against (the rest check it out of sample).
CALIBRATION_FILE = "calibration.toml"


def calibrated_ids() -> set[str]:
    """Ids of the observed figures the shipped calibration fits."""
    import tomllib

    from sim.params import scenarios_dir

    config = tomllib.loads((scenarios_dir() / CALIBRATION_FILE).read_text(encoding="utf-8"))
    return {t["id"] for t in config.get("targets", [])}


def _plotted_level(obs: pd.DataFrame, obs_id: str, table: pd.DataFrame) -> float:
    """An observed figure as a level of its chart: a change is added to the model's base level."""
    row = obs.loc[obs_id]
    rule = aggregate_rule(str(row["aggregate"]))
    if rule.kind != "change":
        return float(row["value"])
    base = table[(table["metric"] == row["metric"]) & (table["year"] == rule.base_year)]
    return float(row["value"]) + float(base["value"].median()) if len(base) else np.nan


def predictive_check(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Each observed figure the model records, against the replicates' distribution.

    ``percentile`` is the share of replicates below the observed value (a posterior-predictive
    p-value read two-sided: near 0 or 1 means the observation is unusual for the model);
    ``in_90`` says whether the observation lies within the replicates' 5-95% range.
    """
    obs = load_observations()
    fitted = calibrated_ids()
    rows = []
    for o in obs[(obs["kind"] == "observation") & obs["measure"].notna()].itertuples():
        values = observe(trajectories, o.measure, int(o.year)).dropna().to_numpy()
        if values.size == 0:
            continue
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        rows.append(
            {
                "id": o.id,
                "label": o.label,
                "calibrated": o.id in fitted,
                "observed": float(o.value),
                "unit": o.unit,
                "model_median": p50,
                "model_p5": p5,
                "model_p95": p95,
                "error_pct": 100 * (p50 - o.value) / o.value,
                "percentile": float((values < o.value).mean()),
                # an input matched exactly is inside its band, whatever the rounding of sums
                "in_90": bool(
                    np.isclose(o.value, p5) or np.isclose(o.value, p95) or p5 <= o.value <= p95
                ),
                "replicates": int(values.size),
                "source": o.source,
            }
        )
    return pd.DataFrame(rows)


def trajectory_figure(trajectories: pd.DataFrame, last_year: int = 2025) -> plt.Figure:
    """Yearly trajectories 2021 to ``last_year`` (median, 5-95% band) with the observed points.

    The officials' 2025 expectation is drawn hollow: a soft target, not an observation.
    """
    table = yearly(trajectories, [m for m, _, _ in PLOTTED])
    table = table[table["year"] <= last_year]
    obs = load_observations().set_index("id")
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (metric, title, obs_ids) in zip(axes.flat, PLOTTED, strict=True):
        data = table[table["metric"] == metric]
        sns.lineplot(
            data=data, x="year", y="value", estimator="median", errorbar=("pi", 90), ax=ax,
            marker="o",
        )  # fmt: skip
        for obs_id in obs_ids:
            if obs_id not in obs.index or int(obs.loc[obs_id, "year"]) > last_year:
                continue
            soft = "forecast" in obs_id
            source = re.split(r" \(|: ", str(obs.loc[obs_id, "source"]))[0]
            label = f"{'expected' if soft else 'observed'} ({source})"
            shown = {c.get_label() for c in ax.collections}
            ax.scatter(
                [int(obs.loc[obs_id, "year"])], [_plotted_level(obs, obs_id, table)], zorder=5,
                s=60,
                color="white" if soft else "crimson", edgecolors="crimson",
                label=label if label not in shown else "_nolegend_",
            )  # fmt: skip
        if obs_ids:
            ax.legend(fontsize=7, loc="upper left")
        ax.set_xticks(sorted(int(y) for y in data["year"].unique()))
        ax.yaxis.set_major_formatter(
            mticker.FuncFormatter(
                lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:.2f}"
            )
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
    fig.suptitle("cqsim against the observed figures (median and 5-95% of replicates)")
    fig.tight_layout()
    return fig


def validate_model(
    trajectories: pd.DataFrame, out_dir: str | Path, *, force: bool = False
) -> pd.DataFrame:
    """Write validation.csv and validation.png as the output folder ``out_dir``.

    The folder is replaced as one unit, keeping files cqsim did not write (:mod:`sim.outputs`).
    Returns the check table.
    """
    table = predictive_check(trajectories)
    fig = trajectory_figure(trajectories)
    try:
        with output_folder(out_dir, kind="validation", force=force) as tmp:
            table.to_csv(tmp / "validation.csv", index=False)
            fig.savefig(tmp / "validation.png", dpi=110, metadata={"Software": GENERATOR})
    finally:
        plt.close(fig)
    return table
