"""``cqsim optimize``: search, choose, re-check on fresh seeds, and write what a planner reads."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.optimize.evaluate import summarise
from sim.optimize.results import (
    CANDIDATES_FILE,
    CHECK_FILE,
    FRONT_DIR,
    FRONT_FILE,
    PLOT_FILE,
    SUMMARY_FILE,
    SearchResult,
    binding,
    check_table,
    choose,
    headline,
    pareto_front,
    plot_front,
    summary_markdown,
    write_packages,
)
from sim.optimize.search import (
    SearchSummary,
    completed_records,
    make_executor,
    run_packages,
    search,
)
from sim.optimize.spec import Optimization


@dataclass
class OptimizeOutcome:
    """A finished optimisation: its result tables, where they are, and what it cost."""

    result: SearchResult
    summary: SearchSummary
    out: Path
    seconds: float
    fresh_runs: int


def default_out(opt: Optimization) -> Path:
    """Where the result folder goes unless told otherwise."""
    return Path("runs") / "optimize" / opt.name


def candidates_table(opt: Optimization, records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per evaluated package; list-valued levers as JSON text."""
    table = pd.DataFrame(records)
    for lv in opt.levers:
        if lv.path in table and table[lv.path].map(lambda v: isinstance(v, list)).any():
            table[lv.path] = table[lv.path].map(json.dumps)
    return table


def optimize(
    opt: Optimization,
    *,
    store: Path,
    out: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = lambda msg: None,
) -> OptimizeOutcome:
    """Run or resume the search, re-run the chosen packages on fresh seeds, write the results."""
    from sim.outputs import check_output_folder, output_folder

    check_output_folder(out, force=force)
    t0 = time.perf_counter()
    executor = make_executor(workers, scheduler)
    try:
        study, summary = search(opt, store, executor, progress=progress, log=log)
        records = completed_records(study)
        candidates = candidates_table(opt, records)
        front = pareto_front(opt, candidates)
        any_feasible = bool(candidates["feasible"].any())
        chosen = choose(opt, front)
        fresh, fresh_runs = _fresh_check(opt, study, chosen, executor, log)
        attribution = pd.DataFrame()
        if any_feasible and not front.empty:
            best = front.iloc[0]
            best_values = {lv.path: _value(best[lv.path]) for lv in opt.levers}
            attribution, more = attribute(opt, study, best_values, executor, log)
            fresh_runs += more
    finally:
        executor.close()
    check = check_table(opt, chosen, fresh)
    details = _details(opt, candidates, front, check, any_feasible)
    answer = headline(opt, front, check, any_feasible)
    result = SearchResult(candidates, front, check, answer, details, attribution)
    seconds = time.perf_counter() - t0
    with output_folder(out, kind="optimize", force=force) as tmp:
        candidates.to_csv(tmp / CANDIDATES_FILE, index=False)
        front.to_csv(tmp / FRONT_FILE, index=False)
        check.to_csv(tmp / CHECK_FILE, index=False)
        if not attribution.empty:
            attribution.to_csv(tmp / ATTRIBUTION_FILE, index=False)
        plot_front(opt, candidates, front, check, tmp / PLOT_FILE)
        write_packages(opt, front, tmp / FRONT_DIR)
        (tmp / SUMMARY_FILE).write_text(
            summary_markdown(opt, result, seconds, summary.runs + fresh_runs), encoding="utf-8"
        )
        manifest = {
            "optimization": str(opt.file),
            "store": str(store),
            "fingerprint": opt.fingerprint(),
            "definition": opt.definition(),
            "candidates": len(candidates),
            "seconds": seconds,
            "runs_this_session": summary.runs + fresh_runs,
            "headline": result.headline,
            "details": result.details,
            "objectives": [[o.metric, o.direction] for o in opt.objectives],
            "constraints": [c.describe() for c in opt.constraints],
            "levers": [lv.path for lv in opt.levers],
            "base_values": {lv.path: lv.base_value for lv in opt.levers},
            "seeds": opt.search_seeds(),
            "fresh_seeds": opt.fresh_seeds(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return OptimizeOutcome(result, summary, Path(out), seconds, fresh_runs)


def _fresh_check(opt, study, chosen: pd.DataFrame, executor, log) -> tuple[dict, int]:
    """The chosen packages on fresh seeds (kept in the store, so a rerun does not redo them)."""
    if chosen.empty or opt.check_seeds == 0:
        return {}, 0
    seeds = opt.fresh_seeds()
    stored: dict[str, Any] = study.user_attrs.get("fresh_check", {})
    base = stored.get("base")
    todo: dict[int, dict[str, Any]] = {}
    if base is None:
        todo[-1] = opt.base_values()
    for _, row in chosen.iterrows():
        if str(int(row["candidate"])) not in stored:
            todo[int(row["candidate"])] = {lv.path: _value(row[lv.path]) for lv in opt.levers}
    runs = 0
    if todo:
        log(f"re-running {len(todo)} package(s) on {len(seeds)} fresh seeds")
        figures = run_packages(opt, todo, seeds, executor)
        runs = len(todo) * len(seeds)
        for key, per_seed in figures.items():
            stored["base" if key == -1 else str(key)] = {str(s): f for s, f in per_seed.items()}
        study.set_user_attr("fresh_check", stored)
    base_by_seed = {int(s): f for s, f in stored["base"].items()}
    out = {}
    for _, row in chosen.iterrows():
        per_seed = {int(s): f for s, f in stored[str(int(row["candidate"]))].items()}
        out[int(row["candidate"])] = summarise(per_seed, opt.targets, base_by_seed)
    return out, runs


def _value(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("["):
        return json.loads(v)
    if hasattr(v, "item"):
        return v.item()
    return v


def _details(opt, candidates, front, check, any_feasible) -> list[str]:
    lines = [
        f"{len(candidates)} packages evaluated on the same {opt.seeds} seeds "
        f"({opt.seed}..{opt.seed + opt.seeds - 1}); {int(candidates['feasible'].sum())} feasible; "
        f"{len(front)} on the front."
    ]
    if not any_feasible and opt.constraints:
        constraint, target = binding(opt, candidates)
        lines.append(f"The constraint that binds: {constraint}. The target that binds: {target}.")
    for c in opt.constraints:
        if check.empty or c.metric not in check:
            continue
        for _, r in check.iterrows():
            searched = r[f"search:{c.metric}"]
            if c.violation(r[c.metric]) > 0 and c.violation(searched) <= 0:
                lines.append(
                    f"Candidate {int(r['candidate'])} meets {c.describe()} on the search's seeds "
                    f"({r[f'search:{c.metric}']:.3g}) but not on the fresh ones "
                    f"({r[c.metric]:.3g} ± {r[f'se:{c.metric}']:.2g}): it may have won on luck."
                )
    return lines


ATTRIBUTION_FILE = "attribution.csv"
ATTRIBUTION_FIGURES = ("cost",)  # and every target's figure


def lever_players(opt: Optimization, values: dict[str, Any]) -> dict[str, list[str]]:
    """The package's moved levers grouped into players: one per policy (or parameter)."""
    players: dict[str, list[str]] = {}
    for lv in opt.levers:
        if _same_value(values[lv.path], lv.base_value):
            continue
        owner = lv.path.rsplit(".", 1)[0] if lv.path.startswith("policies.") else lv.path
        players.setdefault(owner, []).append(lv.path)
    return players


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def attribute(
    opt: Optimization, study, values: dict[str, Any], executor, log
) -> tuple[pd.DataFrame, int]:
    """Shapley split of the package's effect against the base among its moved policies.

    v(S) is the package with only the levers of the players in S moved (the others at the
    base's values), on the search's seeds; the split is exact seed by seed (2^k packages for k
    players), and averaged over the seeds. Kept in the store, so a rerun does not redo it.
    """
    from itertools import combinations

    from sim.shapley import shapley

    players = lever_players(opt, values)
    names = list(players)
    if not names:
        return pd.DataFrame(), 0
    key = json.dumps(values, sort_keys=True, default=str)
    stored = study.user_attrs.get("attribution", {})
    runs = 0
    if stored.get("package") != key:
        subsets = [
            frozenset(c) for size in range(len(names) + 1) for c in combinations(names, size)
        ]
        packages = {}
        for i, subset in enumerate(subsets):
            moved = {p for name in subset for p in players[name]}
            packages[i] = {
                lv.path: values[lv.path] if lv.path in moved else lv.base_value for lv in opt.levers
            }
        log(f"attributing the package to its {len(names)} moved policies: {len(subsets)} packages")
        seeds = opt.search_seeds()
        figures = run_packages(opt, packages, seeds, executor)
        runs = len(subsets) * len(seeds)
        stored = {
            "package": key,
            "subsets": [sorted(s) for s in subsets],
            "figures": {str(i): {str(s): f for s, f in per.items()} for i, per in figures.items()},
        }
        study.set_user_attr("attribution", stored)
    subsets = [frozenset(s) for s in stored["subsets"]]
    figures = {int(i): {int(s): f for s, f in per.items()} for i, per in stored["figures"].items()}
    seeds = sorted(figures[0])
    measures = list(ATTRIBUTION_FIGURES) + [
        t["id"] for t in opt.targets if t["id"] not in ATTRIBUTION_FIGURES
    ]
    rows = []
    for figure in measures:
        if figure not in figures[0][seeds[0]]:
            continue
        per_player: dict[str, list[float]] = {n: [] for n in [*names, "total"]}
        for s in seeds:
            v = {subset: figures[i][s][figure] for i, subset in enumerate(subsets)}
            for name, phi in shapley(v, names).items():
                per_player[name].append(phi)
            per_player["total"].append(v[frozenset(names)] - v[frozenset()])
        for name, vals in per_player.items():
            arr = np.asarray(vals)
            rows.append(
                {
                    "figure": figure,
                    "player": name,
                    "levers": "; ".join(players.get(name, [])) or "all moved levers",
                    "effect_mean": float(arr.mean()),
                    "effect_p5": float(np.percentile(arr, 5)),
                    "effect_p95": float(np.percentile(arr, 95)),
                }
            )
    return pd.DataFrame(rows), runs
