"""What a planner reads from a search: the answer first, then the front and its checks.

The Pareto front, the chosen packages re-run on fresh seeds, a scenario file for each package
on the front, and a plot.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.optimize.spec import Optimization

CANDIDATES_FILE = "candidates.csv"
FRONT_FILE = "front.csv"
CHECK_FILE = "fresh_seed_check.csv"
PLOT_FILE = "pareto.png"
SUMMARY_FILE = "summary.md"
FRONT_DIR = "packages"


@dataclass
class SearchResult:
    """The tables of a finished search and the sentence that answers it."""

    candidates: pd.DataFrame
    front: pd.DataFrame
    check: pd.DataFrame
    headline: str
    details: list[str]
    attribution: pd.DataFrame = field(default_factory=pd.DataFrame)


def _oriented(opt: Optimization, table: pd.DataFrame) -> np.ndarray:
    """Objective values, each turned so that smaller is better."""
    cols = []
    for o in opt.objectives:
        x = table[o.metric].to_numpy(dtype=float)
        cols.append(x if o.direction == "minimize" else -x)
    return np.column_stack(cols)


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows no other row dominates (smaller is better in every column)."""
    n = points.shape[0]
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if not keep[i]:
            continue
        dominates_i = np.all(points <= points[i], axis=1) & np.any(points < points[i], axis=1)
        if dominates_i.any():
            keep[i] = False
    return keep


def pareto_front(opt: Optimization, candidates: pd.DataFrame) -> pd.DataFrame:
    """The non-dominated packages: among the feasible ones, or among all if none is feasible.

    Sorted by the first objective, best first; duplicates of a package are dropped.
    """
    pool = candidates[candidates["feasible"]] if candidates["feasible"].any() else candidates
    if pool.empty:
        return pool
    lever_cols = [lv.path for lv in opt.levers]
    pool = pool.drop_duplicates(subset=lever_cols)
    points = _oriented(opt, pool)
    finite = np.all(np.isfinite(points), axis=1)
    pool, points = pool[finite], points[finite]
    front = pool[non_dominated(points)].copy()
    first = opt.objectives[0]
    return front.sort_values(first.metric, ascending=first.direction == "minimize", kind="stable")


def choose(opt: Optimization, front: pd.DataFrame) -> pd.DataFrame:
    """Up to ``check_packages`` packages of the front, spread along it, best first."""
    k = min(opt.check_packages, len(front))
    if k == 0:
        return front.iloc[:0]
    picks = sorted(set(np.linspace(0, len(front) - 1, k).round().astype(int).tolist()))
    return front.iloc[picks]


def binding(opt: Optimization, candidates: pd.DataFrame) -> tuple[str, str]:
    """The constraint that binds, and the target that binds, when nothing is feasible.

    The binding constraint is the one the closest packages (least total violation) miss by the
    most; the binding target is the one they meet least often.
    """
    closest = candidates.nsmallest(max(1, min(5, len(candidates))), "violation")
    worst, how_far = "", -math.inf
    for c in opt.constraints:
        gap = float(np.median([c.violation(v) for v in closest[c.metric]]))
        if gap > how_far:
            worst, how_far = c.describe(), gap
    probs = {t["id"]: float(closest[f"p:{t['id']}"].mean()) for t in opt.targets}
    target = min(probs, key=probs.get)
    label = next(t["label"] for t in opt.targets if t["id"] == target)
    return (
        worst,
        f"{label} ({target}): met on {probs[target]:.0%} of the seeds of the closest packages",
    )


def describe_levers(opt: Optimization, row: pd.Series | dict) -> str:
    """A package's levers in words: only those that differ from the base scenario."""
    parts = []
    for lv in opt.levers:
        v = row[lv.path]
        if _same(v, lv.base_value):
            continue
        shown = num(float(v)) if isinstance(v, int | float | np.number) else v
        parts.append(f"{lv.path.removeprefix('policies.')} = {shown}")
    return "; ".join(parts) if parts else "nothing beyond the base scenario"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b or (isinstance(a, list | tuple) and list(a) == list(b or []))


def headline(
    opt: Optimization, front: pd.DataFrame, check: pd.DataFrame, any_feasible: bool
) -> str:
    """The answer first: the best feasible package, its cost and what it does, or why none."""
    first = opt.objectives[0]
    rules = ", ".join(c.describe() for c in opt.constraints) or "no constraint"
    if front.empty:
        return "No package could be evaluated."
    best = front.iloc[0]
    fresh = check[check["candidate"] == best["candidate"]] if not check.empty else check
    shown = reported_metrics(opt)
    fresh_note = ""
    if not fresh.empty:
        f = fresh.iloc[0]
        figures = "; ".join(
            f"{metric_label(opt, m)} {num(f[m])} ± {num(f['se:' + m])}"
            for m in shown
            if m in f.index
        )
        fresh_note = (
            f" On {int(f['seeds'])} fresh seeds: {figures}; cost {f['cost']:.1f} bn yuan "
            f"(± {f['se:cost']:.1f})."
        )
    if not any_feasible:
        return (
            f"No package within the levers' ranges meets {rules} on the search's "
            f"{opt.seeds} seeds; the closest is candidate {int(best['candidate'])} "
            f"({describe_levers(opt, best)})."
        )
    year = max(t["year"] for t in opt.targets)
    cost = (
        f"costs {best['cost']:.1f} bn yuan to {year} "
        f"({best.get('extra_cost', float('nan')):+.1f} bn against the base)"
    )
    if first.metric in ("cost", "extra_cost") and first.direction == "minimize":
        lead = f"The cheapest package that meets {rules} {cost}"
    else:
        word = "most" if first.direction == "maximize" else "least"
        value = best[first.metric]
        fresh_value = ""
        if not fresh.empty and first.metric in fresh.columns:
            f = fresh.iloc[0]
            fresh_value = (
                f" (on fresh seeds {num(f[first.metric])} ± {num(f['se:' + first.metric])})"
            )
        lead = (
            f"The package with the {word} {metric_label(opt, first.metric)} that meets {rules} "
            f"reaches {num(value)}{fresh_value} and {cost}"
        )
    searched = "; ".join(f"{metric_label(opt, m)} {num(best[m])}" for m in shown)
    return (
        f"{lead}. It does: {describe_levers(opt, best)}. On the search's {opt.seeds} seeds: "
        f"{searched}.{fresh_note}"
    )


def reported_metrics(opt: Optimization) -> list[str]:
    """The figures the answer quotes: the constraints' and objectives' (not the cost's)."""
    metrics = [m for m in opt.metrics if m not in ("cost", "extra_cost")]
    return metrics or ["p_all"]


def num(value: float, sign: bool = False) -> str:
    """A figure as a planner reads it: thousands separated, three significant digits below."""
    plus = "+" if sign else ""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:{plus},.0f}"
    return f"{value:{plus}.3g}"


def metric_label(opt: Optimization, metric: str) -> str:
    """A metric of an objective or constraint in words."""
    if metric.startswith(("p:", "mean:")):
        kind, _, tid = metric.partition(":")
        label = next((t["label"] for t in opt.targets if t["id"] == tid), tid)
        return f"P({label.split(',')[0]} met)" if kind == "p" else label
    return {
        "cost": "public cost",
        "extra_cost": "extra cost",
        "p_all": "P(all targets met)",
        "cost_per_job": "cost per extra job",
    }.get(metric, metric)


def check_table(
    opt: Optimization, chosen: pd.DataFrame, fresh: dict[int, dict[str, float]]
) -> pd.DataFrame:
    """The chosen packages' figures on the search's seeds beside those on fresh seeds."""
    rows = []
    metrics = list(
        dict.fromkeys(["p_all", "cost", *opt.metrics, *[f"p:{t['id']}" for t in opt.targets]])
    )
    for _, row in chosen.iterrows():
        key = int(row["candidate"])
        if key not in fresh:
            continue
        f = fresh[key]
        rec = {"candidate": key, "seeds": f["seeds"]}
        for m in metrics:
            rec[f"search:{m}"] = row.get(m, math.nan)
            rec[m] = f.get(m, math.nan)
            rec[f"se:{m}"] = f.get(f"se:{m}", math.nan)
        rows.append(rec)
    return pd.DataFrame(rows)


def plot_front(
    opt: Optimization, candidates: pd.DataFrame, front: pd.DataFrame, check: pd.DataFrame, out: Path
) -> None:
    """Cost against the probability of meeting every target, with the front and fresh checks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x_metric = "cost"
    y_metric = next(
        (o.metric for o in opt.objectives if o.metric not in ("cost", "extra_cost")), "p_all"
    )
    probability = y_metric == "p_all" or y_metric.startswith("p:")
    fig, (ax, bars) = plt.subplots(
        1, 2, figsize=(12, 5), dpi=120, gridspec_kw={"width_ratios": [1.6, 1]}
    )
    _target_bars(opt, front, check, bars)
    feas = candidates["feasible"].to_numpy(dtype=bool)
    ax.scatter(
        candidates.loc[~feas, x_metric],
        candidates.loc[~feas, y_metric],
        s=14,
        color="#bbbbbb",
        label="infeasible packages",
        zorder=1,
    )
    ax.scatter(
        candidates.loc[feas, x_metric],
        candidates.loc[feas, y_metric],
        s=16,
        color="#6a9fd4",
        label="feasible packages",
        zorder=2,
    )
    if not front.empty:
        f = front.sort_values(x_metric)
        ax.plot(
            f[x_metric],
            f[y_metric],
            "-o",
            color="#1f4e79",
            ms=5,
            lw=1.5,
            label="Pareto front",
            zorder=3,
        )
    if not check.empty:
        ax.errorbar(
            check["cost"],
            check[y_metric],
            xerr=check["se:cost"],
            yerr=check[f"se:{y_metric}"],
            fmt="D",
            color="#c0504d",
            ms=5,
            capsize=3,
            label=f"re-run on {int(check['seeds'].iloc[0])} fresh seeds",
            zorder=4,
        )
    base = candidates[candidates["candidate"] == candidates["candidate"].min()]
    if not base.empty:
        ax.scatter(
            base[x_metric],
            base[y_metric],
            marker="s",
            s=50,
            facecolor="none",
            edgecolor="black",
            label="first candidate (the base's levers)",
            zorder=5,
        )
    for c in opt.constraints:
        if c.metric == y_metric and c.low is not None:
            ax.axhline(c.low, color="#c0504d", lw=0.8, ls="--")
            ax.text(
                ax.get_xlim()[0],
                c.low,
                f" required: {y_metric} >= {c.low:g}",
                va="bottom",
                fontsize=8,
                color="#c0504d",
            )
        if c.metric == x_metric and c.high is not None:
            ax.axvline(c.high, color="#c0504d", lw=0.8, ls="--")
    y_label = metric_label(opt, y_metric) + (
        f", share of {opt.seeds} seeds" if probability else f", mean of {opt.seeds} seeds"
    )
    ax.set_xlabel(f"public cost of the policies to {max(t['year'] for t in opt.targets)}, bn yuan")
    ax.set_ylabel(y_label)
    if probability:
        ax.set_ylim(-0.03, 1.05)
    ax.set_title(f"{opt.name}: cost against attainment", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    from sim.outputs import GENERATOR

    fig.savefig(out, format="png", metadata={"Software": GENERATOR})
    plt.close(fig)


def _target_bars(opt: Optimization, front: pd.DataFrame, check: pd.DataFrame, ax) -> None:
    """P(each target met) for the best package of the front: which target binds."""
    ax.set_title("the best package: P(each target met)", fontsize=10)
    if front.empty:
        ax.set_axis_off()
        return
    best = front.iloc[0]
    labels = [t["label"].split(",")[0] for t in opt.targets]
    ids = [t["id"] for t in opt.targets]
    y = np.arange(len(ids))[::-1]
    ax.barh(
        y + 0.18,
        [best[f"p:{i}"] for i in ids],
        height=0.34,
        color="#1f4e79",
        label=f"search seeds ({opt.seeds})",
    )
    fresh = check[check["candidate"] == best["candidate"]] if not check.empty else check
    if not fresh.empty:
        f = fresh.iloc[0]
        ax.barh(
            y - 0.18,
            [f[f"p:{i}"] for i in ids],
            height=0.34,
            color="#c0504d",
            xerr=[f[f"se:p:{i}"] for i in ids],
            capsize=3,
            label=f"fresh seeds ({int(f['seeds'])})",
        )
    for c in opt.constraints:
        if c.metric.startswith("p") and c.low is not None:
            ax.axvline(c.low, color="#555555", ls="--", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("share of seeds meeting the target")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")


def write_packages(opt: Optimization, front: pd.DataFrame, folder: Path) -> list[Path]:
    """Each package of the front as a scenario file that ``cqsim run`` takes as it is."""
    import tomli_w

    from sim.app.levers import scenario_document
    from sim.scenario import load_scenario

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for rank, (_, row) in enumerate(front.iterrows(), start=1):
        values = {lv.path: _from_csv(row[lv.path]) for lv in opt.levers}
        name = f"{opt.name}_{rank:02d}"
        scenario = opt.scenario(values).model_copy(
            update={
                "name": name,
                "description": (
                    f"Package {rank} of the Pareto front of {opt.file.name} (candidate "
                    f"{int(row['candidate'])}): {describe_levers(opt, row)}. On the search's "
                    f"{opt.seeds} seeds: P(all targets) {row['p_all']:.2f}, cost "
                    f"{row['cost']:.1f} bn yuan."
                ),
            }
        )
        run = scenario.run.model_copy(update={"end": opt.written_end or opt.base.run.end})
        scenario = scenario.model_copy(update={"run": run})
        path = folder / f"{name}.toml"
        text = (
            f"# Written by `cqsim optimize {opt.file.name}`; run it with `cqsim run {path.name}`.\n"
        )
        path.write_text(text + tomli_w.dumps(scenario_document(scenario, folder)), encoding="utf-8")
        load_scenario(path)  # it must load as written
        paths.append(path)
    return paths


def _from_csv(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def summary_markdown(opt: Optimization, result: SearchResult, seconds: float, runs: int) -> str:
    """The result as a short Markdown page."""
    lines = [f"# {opt.name}", "", result.headline, ""]
    lines += [f"- {d}" for d in result.details]
    lines += ["", "## The Pareto front", ""]
    cols = ["candidate", *opt.metrics, "cost", "extra_cost", "p_all"]
    cols = list(dict.fromkeys([*cols, *[f"p:{t['id']}" for t in opt.targets]]))
    cols = [c for c in cols if c in result.front.columns]
    lines.append("| " + " | ".join(cols) + " | levers |")
    lines.append("|" + "---|" * (len(cols) + 1))
    for _, row in result.front.iterrows():
        cells = [f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + f" | {describe_levers(opt, row)} |")
    if not result.attribution.empty:
        lines += [
            "",
            "## What each lever contributes (the best package, Shapley values against the base)",
            "",
            "| figure | policy | levers | mean effect | 5-95% over seeds |",
            "|---|---|---|---|---|",
        ]
        for r in result.attribution.itertuples():
            lines.append(
                f"| {r.figure} | {r.player} | {r.levers} | {num(r.effect_mean, sign=True)} | "
                f"{num(r.effect_p5, sign=True)} to {num(r.effect_p95, sign=True)} |"
            )
    if not result.check.empty:
        lines += ["", f"## Re-run on {int(result.check['seeds'].iloc[0])} fresh seeds", ""]
        lines.append("| candidate | P(all), search | P(all), fresh | cost, search | cost, fresh |")
        lines.append("|---|---|---|---|---|")
        for _, r in result.check.iterrows():
            lines.append(
                f"| {int(r['candidate'])} | {r['search:p_all']:.2f} | {r['p_all']:.2f} ± "
                f"{r['se:p_all']:.2f} | {r['search:cost']:.1f} | {r['cost']:.1f} ± "
                f"{r['se:cost']:.1f} |"
            )
    lines += [
        "",
        f"{len(result.candidates)} packages, {runs} runs in this session, {seconds:.0f} s.",
    ]
    return "\n".join(lines) + "\n"
