"""Scenario discovery over a sweep store: where in the levers and parameters a target is met.

PRIM, as EMA Workbench does it, with EMA Workbench's own implementation.

Each stored run is a case: its design point's factor values, and, when the base scenario draws
its calibrated parameters from a posterior, that run's draw (the uncertain parameters). A case
is "of interest" when the run meets the chosen target. PRIM peels the space into a box; the
box chosen is the one on the peeling trajectory with the most coverage among those with at
least ``threshold`` density.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError, SettingError


@dataclass
class Discovery:
    """A PRIM box for one target over a sweep's runs."""

    target: dict[str, Any]
    cases: int
    of_interest: int
    trajectory: pd.DataFrame  # step, coverage, density, mass, restricted dimensions
    chosen: int
    limits: pd.DataFrame  # dimension, low, high, range_low, range_high, restricted
    threshold: float

    @property
    def box(self) -> pd.Series:
        """The chosen box's coverage, density, mass and number of restricted dimensions."""
        return self.trajectory.loc[self.chosen]


def _targets() -> dict[str, dict[str, Any]]:
    from sim.optimize.spec import stated_targets

    return {t["id"]: t for t in stated_targets()}


def cases(store: str | Path, target_id: str) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """The runs of a sweep store as PRIM cases: inputs per run, and whether it met the target.

    Raises:
        SettingError: an unknown target, or a store that lacks the metrics it needs.
        ScenarioError: a file that is not a sweep store.

    """
    from sim.measure import measure
    from sim.optimize.evaluate import met
    from sim.sweeps.store import open_read_only
    from sim.targets import observe

    targets = _targets()
    if target_id not in targets:
        from sim.validation import did_you_mean

        raise SettingError(
            "target",
            f"unknown target '{target_id}'{did_you_mean(target_id, list(targets))}",
        )
    target = targets[target_id]
    needed = measure(target["measure"]).metrics
    with open_read_only(store) as con:
        rows = con.execute("SELECT key, value FROM manifest").fetchall()
        manifest = {k: json.loads(v) for k, v in rows}
        points = con.execute("SELECT * FROM points ORDER BY point").df()
        runs = con.execute("SELECT * FROM runs ORDER BY point, replicate").df()
        stored = manifest.get("metrics") or []
        missing = [m for m in needed if stored and m not in stored]
        if missing:
            raise SettingError(
                "target",
                f"the store lacks the metric{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} that {target_id} is measured from; add "
                f"{'them' if len(missing) > 1 else 'it'} to the sweep's metrics",
            )
        quoted = ", ".join("'" + m.replace("'", "''") + "'" for m in needed)
        traj = con.execute(
            "SELECT point, scenario, replicate, seed, date, metric, value FROM trajectories "
            f"WHERE metric IN ({quoted}) ORDER BY point, replicate, date, metric"
        ).df()
    if runs.empty:
        raise ScenarioError(Path(store), "", "the store holds no finished run")
    definition = manifest["definition"]
    factors = [f["path"] for f in definition["factors"]]
    # one replicate number per run, so the measurement layer reads each run on its own
    runs = runs.reset_index(drop=True)
    runs["case"] = np.arange(len(runs))
    traj = traj.merge(runs[["point", "replicate", "case"]], on=["point", "replicate"])
    traj["replicate"] = traj["case"]
    traj["date"] = pd.to_datetime(traj["date"])
    values = observe(traj.drop(columns=["point", "case"]), target["measure"], target["year"])
    values = values.reindex(runs["case"]).to_numpy(dtype=float)
    if np.isnan(values).all():
        raise SettingError(
            "target", f"the store's runs do not reach {target['year']}, the year of {target_id}"
        )
    x = runs[["point"]].merge(points[["point", *factors]], on="point", how="left")[factors]
    x = x.rename(columns=lambda c: c.removeprefix("parameters.").removeprefix("policies."))
    uncertain = _posterior_draws(manifest, runs["seed"].to_numpy())
    if uncertain is not None:
        for col in uncertain.columns:
            if col not in x.columns:  # a factor that is also calibrated keeps its swept value
                x[col] = uncertain[col].to_numpy()
    constant = [c for c in x.columns if x[c].nunique() <= 1]
    x = x.drop(columns=constant).astype(float)
    y = np.array([met(v, target) for v in values])
    return x.reset_index(drop=True), y, target


def _posterior_draws(manifest: dict, seeds: np.ndarray) -> pd.DataFrame | None:
    """Each run's calibrated-parameter draw, if the sweep's base draws from a posterior."""
    from sim.params import load_parameters
    from sim.posterior import load_posterior, model_draw
    from sim.scenario import load_scenario

    base_file = manifest.get("base_file")
    if not base_file or not Path(base_file).is_file():
        return None
    params = load_parameters()
    base = load_scenario(base_file, params)
    if not base.run.posterior:
        return None
    post = load_posterior(base.run.posterior, params)
    rows = [model_draw(post, int(s), params) for s in seeds]  # as the runs drew them
    table = pd.DataFrame(rows)
    # the scenario's own parameter overrides win over the draw (as in cqsim run)
    return table.drop(columns=[c for c in table.columns if c in base.parameters])


def discover(store: str | Path, target_id: str, threshold: float = 0.8) -> Discovery:
    """PRIM over the store's runs: the box where ``target_id`` is met at ``threshold`` density."""
    if not 0 < threshold <= 1:
        raise SettingError("threshold", f"a density from 0 to 1, got {threshold:g}")
    x, y, target = cases(store, target_id)
    n_interest = int(y.sum())
    if n_interest == 0 or n_interest == len(y):
        word = "no" if n_interest == 0 else "every"
        raise SettingError(
            "target",
            f"{word} run of the store meets {target_id} ({len(y)} runs): there is nothing to "
            "tell apart; choose another target or widen the sweep's ranges",
        )
    if x.shape[1] == 0:
        raise SettingError("target", "the store's runs differ in no factor or parameter")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ema_workbench warns about optional packages
        from ema_workbench.analysis import prim

        finder = prim.Prim(x, y.astype(int), mass_min=0.05)
        box = finder.find_box()
    traj = box.peeling_trajectory.copy()
    traj = traj.rename(columns={"res_dim": "restricted"})[
        ["coverage", "density", "mass", "restricted"]
    ]
    ok = traj[traj["density"] >= threshold]
    chosen = int(ok["coverage"].idxmax()) if not ok.empty else int(traj["density"].idxmax())
    lims = box.box_lims[chosen]
    rows = []
    for col in x.columns:
        lo, hi = float(lims.loc[0, col]), float(lims.loc[1, col])
        full_lo, full_hi = float(x[col].min()), float(x[col].max())
        restricted = lo > full_lo + 1e-12 or hi < full_hi - 1e-12
        rows.append(
            {
                "dimension": col,
                "low": lo,
                "high": hi,
                "range_low": full_lo,
                "range_high": full_hi,
                "restricted": restricted,
            }
        )
    limits = pd.DataFrame(rows).sort_values(["restricted", "dimension"], ascending=[False, True])
    return Discovery(target, len(y), n_interest, traj, chosen, limits, threshold)


def describe(d: Discovery) -> str:
    """The box in words: how many runs it covers and what it restricts."""
    b = d.box
    head = (
        f"{d.target['label']} ({d.target['id']}): met in {d.of_interest} of {d.cases} runs "
        f"({d.of_interest / d.cases:.0%}). The box "
    )
    if b["density"] < d.threshold:
        head = (
            f"{d.target['label']} ({d.target['id']}): met in {d.of_interest} of {d.cases} runs; "
            f"no box reaches density {d.threshold:g}: the densest "
        )
    restricted = d.limits[d.limits["restricted"]]
    where = "; ".join(
        f"{r.dimension} from {r.low:.4g} to {r.high:.4g} (of {r.range_low:.4g} to "
        f"{r.range_high:.4g})"
        for r in restricted.itertuples()
    )
    return (
        head
        + f"covers {b['coverage']:.0%} of the runs that meet it with density {b['density']:.0%} "
        f"(mass {b['mass']:.0%} of all runs), restricting {int(b['restricted'])} dimension"
        f"{'s' if int(b['restricted']) != 1 else ''}: {where or 'none'}."
    )


def plot(d: Discovery, out: Path) -> None:
    """The peeling trajectory (coverage against density) and the chosen box's limits."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = d.limits
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(11, max(3.8, 0.45 * len(dims) + 1.6)),
        dpi=120,
        gridspec_kw={"width_ratios": [1, 1.3]},
    )
    t = d.trajectory
    sc = left.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18)
    left.scatter(
        [d.box["coverage"]],
        [d.box["density"]],
        s=120,
        facecolor="none",
        edgecolor="#c0504d",
        lw=2,
        label=f"chosen box (step {d.chosen})",
    )
    left.axhline(d.threshold, color="#c0504d", ls="--", lw=0.8)
    left.text(
        0.01,
        d.threshold,
        f" density threshold {d.threshold:g}",
        va="bottom",
        fontsize=8,
        color="#c0504d",
        transform=left.get_yaxis_transform(),
    )
    left.set_xlabel("coverage\n(share of the runs meeting the target that the box holds)")
    left.set_ylabel("density\n(share of the box's runs that meet it)")
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.05)
    left.grid(alpha=0.3)
    left.legend(fontsize=8, loc="lower left")
    fig.colorbar(sc, ax=left, label="dimensions restricted")
    left.set_title("PRIM peeling trajectory", fontsize=10)

    span = (dims["range_high"] - dims["range_low"]).replace(0, 1.0)
    lo = (dims["low"] - dims["range_low"]) / span
    hi = (dims["high"] - dims["range_low"]) / span
    ypos = np.arange(len(dims))[::-1]
    colors = np.where(dims["restricted"], "#1f4e79", "#bbbbbb")
    right.barh(ypos, hi - lo, left=lo, color=colors, height=0.55)
    for yv, r in zip(ypos, dims.itertuples(), strict=True):
        right.text(1.02, yv, f"{r.low:.3g} .. {r.high:.3g}", va="center", fontsize=8)
    right.set_yticks(ypos)
    right.set_yticklabels(dims["dimension"], fontsize=8)
    right.set_xlim(0, 1.35)
    right.set_xticks([0, 0.5, 1])
    right.set_xticklabels(["min", "mid", "max"])
    right.set_xlabel("each dimension's range in the sweep\n(dark: restricted by the box)")
    right.set_title(
        f"the box: coverage {d.box['coverage']:.0%}, density {d.box['density']:.0%}",
        fontsize=10,
    )
    fig.suptitle(
        f"Where {d.target['label']} is met ({d.of_interest} of {d.cases} runs)", fontsize=11
    )
    fig.tight_layout()
    from sim.outputs import GENERATOR

    fig.savefig(out, format="png", metadata={"Software": GENERATOR})
    plt.close(fig)


def default_output(store: str | Path, target_id: str) -> Path:
    """The plot's default path: beside the store."""
    store = Path(store)
    return store.parent / f"{store.stem}.discover.{target_id}.png"


def limits_table(d: Discovery) -> pd.DataFrame:
    """The box's limits with its statistics, as written to CSV."""
    out = d.limits.copy()
    for k in ("coverage", "density", "mass"):
        out[f"box_{k}"] = float(d.box[k])
    out["target"] = d.target["id"]
    out["threshold"] = d.threshold
    return out


__all__ = ["Discovery", "cases", "default_output", "describe", "discover", "limits_table", "plot"]
