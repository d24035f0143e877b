"""Sensitivity indices of a stored Sobol or Morris sweep (SALib), as a table and a bar plot."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calendar import parse_month
from sim.errors import ScenarioError, SettingError
from sim.metrics import is_stock
from sim.sweeps.store import open_read_only, read_manifest
from sim.validation import did_you_mean

AGGREGATES = ("auto", "sum", "mean", "december")


@dataclass
class SensitivityResult:
    """Indices of one metric over one year: a row per factor, and what they were computed on."""

    table: pd.DataFrame
    method: str  # "sobol" or "morris"
    metric: str
    year: int
    agg: str
    sweep: str
    points: int
    replicates: int


def _per_run(values: np.ndarray, agg: str) -> np.ndarray:
    """One number per run from its 12 monthly values (last axis)."""
    if agg == "sum":
        return values.sum(axis=-1)
    if agg == "mean":
        return values.mean(axis=-1)
    return values[..., 11]  # december


def sensitivity(
    store: str | Path, metric: str, year: int, agg: str = "auto", seed: int = 1
) -> SensitivityResult:
    """Sobol or Morris indices (by the store's design) of a metric aggregated over a year.

    Each run gives one number: the metric's sum over the year's months (flows), its mean, or its
    December value (stocks); ``auto`` picks sum for flows and December for stocks. The numbers
    are averaged over the replicates of each design point (they share seeds, so the average
    removes noise common to all points), then handed to SALib with the design matrix.

    Raises:
        ScenarioError: not a sobol/morris store, an incomplete sweep, an unknown metric, or a
            year the runs do not cover.

    """
    store = Path(store)
    if agg not in AGGREGATES:
        raise SettingError("agg", f"one of {', '.join(AGGREGATES)}, got {agg!r}")
    with open_read_only(store) as con:
        manifest = read_manifest(con)
        definition = manifest["definition"]
        design = definition["design"]
        if design not in ("sobol", "morris"):
            raise ScenarioError(
                store,
                "design",
                f"sensitivity indices need a sobol or morris sweep; this store's design is "
                f"'{design}' (read its points and trajectories tables instead)",
            )
        metrics = manifest["metrics"]
        if metric not in metrics:
            raise SettingError(
                "metric",
                f"the store holds no metric '{metric}'{did_you_mean(metric, metrics)}",
            )
        start, end = parse_month(manifest["start"]), parse_month(manifest["end"])
        if not (start <= parse_month(f"{year:04d}-01") and parse_month(f"{year:04d}-12") <= end):
            raise SettingError(
                "year",
                f"the runs cover {manifest['start']} to {manifest['end']}, not all of {year}",
            )
        n_points, replicates = manifest["points"], manifest["replicates"]
        stored = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        if stored < n_points * replicates:
            raise ScenarioError(
                store,
                "runs",
                f"the sweep is not complete: {stored} of {n_points * replicates} runs stored; "
                "run the sweep again to finish it",
            )
        rows = con.execute(
            "SELECT point, replicate, value FROM trajectories "
            "WHERE metric = ? AND year(date) = ? ORDER BY point, replicate, date",
            [metric, year],
        ).fetchnumpy()
        x = np.array(
            [r[0] for r in con.execute("SELECT sample FROM points ORDER BY point").fetchall()],
            dtype=np.float64,
        )
    values = np.asarray(rows["value"], dtype=np.float64).reshape(n_points, replicates, 12)
    how = ("december" if is_stock(metric) else "sum") if agg == "auto" else agg
    y = _per_run(values, how).mean(axis=1)
    factors = definition["factors"]
    problem = {
        "num_vars": len(factors),
        "names": [f["path"] for f in factors],
        "bounds": [[f["min"], f["max"]] for f in factors],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns on constant outputs; NaN shows it
        if design == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(
                problem, y, calc_second_order=bool(definition["second_order"]), seed=seed
            )
            table = pd.DataFrame(
                {
                    "factor": problem["names"],
                    "S1": res["S1"],
                    "S1_conf": res["S1_conf"],
                    "ST": res["ST"],
                    "ST_conf": res["ST_conf"],
                }
            )
        else:
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_levels=int(definition["levels"]), seed=seed)
            table = pd.DataFrame(
                {
                    "factor": problem["names"],
                    "mu": np.asarray(res["mu"], dtype=float),
                    "mu_star": np.asarray(res["mu_star"], dtype=float),
                    "sigma": np.asarray(res["sigma"], dtype=float),
                    "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                }
            )
    return SensitivityResult(
        table=table,
        method=design,
        metric=metric,
        year=year,
        agg=how,
        sweep=manifest["name"],
        points=n_points,
        replicates=replicates,
    )


def describe(result: SensitivityResult) -> str:
    """One line saying what the indices are of, e.g. 'revenue_bn_yuan, sum over 2025'."""
    how = (
        f"December {result.year}"
        if result.agg == "december"
        else f"{result.agg} over {result.year}"
    )
    reps = f"{result.replicates} replicate{'s' if result.replicates > 1 else ''}"
    return (
        f"{result.sweep}: {result.method} indices of {result.metric} ({how}), "
        f"{result.points} points x {reps}"
    )


def format_table(result: SensitivityResult) -> str:
    """The indices as aligned text, most influential factor first."""
    key = "ST" if result.method == "sobol" else "mu_star"
    table = result.table.sort_values(key, ascending=False, na_position="last")
    head = list(table.columns)
    rows = [
        [str(r[0]), *(f"{v:.4g}" if np.isfinite(v) else "nan" for v in r[1:])]
        for r in table.itertuples(index=False)
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def plot(result: SensitivityResult, path: str | Path, *, force: bool = False) -> Path:
    """Save a bar plot of the indices with their confidence intervals as PNG (one rename).

    An existing file that cqsim did not write is replaced only with ``force``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.outputs import GENERATOR, output_file

    path = Path(path)
    t = result.table
    if result.method == "sobol":
        bars = [("S1", "S1_conf", "first order (S1)"), ("ST", "ST_conf", "total (ST)")]
        order = t.sort_values("ST", ascending=True, na_position="first")
        xlabel = "Sobol index (share of output variance)"
    else:
        bars = [("mu_star", "mu_star_conf", "mean |elementary effect| (mu*)")]
        order = t.sort_values("mu_star", ascending=True, na_position="first")
        xlabel = f"mu* ({result.metric} per unit range step)"
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(t) * len(bars)))
    ypos = np.arange(len(order))
    height = 0.8 / len(bars)
    for i, (col, conf, label) in enumerate(bars):
        ax.barh(
            ypos + (i - (len(bars) - 1) / 2) * height,
            order[col].to_numpy(),
            height=height,
            xerr=order[conf].to_numpy(),
            capsize=3,
            label=label,
        )
    ax.set_yticks(ypos, order["factor"].tolist())
    ax.set_xlabel(xlabel)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_title(describe(result).replace(" indices of ", " indices\n"), fontsize=10)
    ax.legend(loc="lower right")
    fig.tight_layout()
    try:
        with output_file(path, force=force) as tmp:
            fig.savefig(tmp, dpi=120, format="png", metadata={"Software": GENERATOR})
    finally:
        plt.close(fig)
    return path


def default_output(store: str | Path, metric: str, year: int) -> Path:
    """Default plot path: next to the store, named after the store, metric and year."""
    store = Path(store)
    return store.parent / f"{store.stem}.sensitivity.{metric}.{year}.png"
