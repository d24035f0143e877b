"""Which policy kinds do the work: Shapley values over a package's policy kinds.

The package's effect on a metric, v(all kinds) - v(no kinds), is split among its policy kinds
by their Shapley values, interactions included: each kind gets its marginal effect averaged
over every order in which the kinds could be added. v(S) is the metric in a same-seed run with
only the policies of the kinds in S, so the split is exact seed by seed (the values add up to
the total effect of each seed).

A run is made once however many splits need it: two packages that differ in one kind share
every subset without it, and runs a comparison already has (the packages themselves, the
no-policy counterfactual) are reused, read at the attribution year (a run to 2030 is, month
for month, the run to 2025 continued: each month has its own random streams).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import combinations

import numpy as np
import pandas as pd

from analysis.tables import yearly
from sim.calendar import parse_month
from sim.params import Parameters
from sim.runner import RunResult, run_many
from sim.scenario import Scenario
from sim.shapley import shapley

DEFAULT_METRICS = ("revenue_bn_yuan", "workforce")


def policy_kinds(scenario: Scenario) -> list[str]:
    """The policy kinds a scenario uses, in a fixed order."""
    return sorted({p.kind for p in scenario.policies})


def with_kinds(scenario: Scenario, kinds: frozenset[str]) -> Scenario:
    """The scenario with only the policies of the given kinds."""
    label = "+".join(sorted(kinds)) or "none"
    return scenario.model_copy(
        update={
            "name": f"{scenario.name}[{label}]",
            "policies": [p for p in scenario.policies if p.kind in kinds],
        }
    )


def run_key(scenario: Scenario) -> str:
    """What a run of ``scenario`` depends on besides its seed and end month (names aside)."""
    dump = scenario.model_dump(mode="json", exclude={"name", "description", "source"})
    dump["run"] = {k: v for k, v in dump["run"].items() if k not in ("end", "replicates", "seed")}
    return json.dumps(dump, sort_keys=True)


def year_values(result: RunResult, metrics: Iterable[str], year: int) -> pd.DataFrame:
    """One row per seed, one column per metric: the metric in ``year`` (as :func:`yearly`)."""
    table = yearly(result.trajectories, list(metrics))
    table = table[table["year"] == year]
    return table.pivot_table(index="seed", columns="metric", values="value", observed=True)


def attribution(
    scenario: Scenario,
    replicates: int,
    seed: int,
    *,
    year: int = 2025,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    workers: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Shapley split of the package's effect in ``year`` on each metric among its policy kinds.

    Runs the scenario with every subset of its policy kinds (2^k runs per seed, to the end of
    ``year``). Returns columns ``scenario, metric, year, policy_kind, effect_median,
    effect_mean, effect_p5, effect_p95``; the row with ``policy_kind == "total"`` is the whole
    package against no policy.
    """
    return attributions(
        [scenario], replicates, seed, year=year, metrics=metrics, workers=workers, progress=progress
    )


def attributions(
    scenarios: list[Scenario],
    replicates: int,
    seed: int,
    *,
    year: int = 2025,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    workers: int = 1,
    progress: bool = False,
    params: Parameters | None = None,
    known: Iterable[tuple[Scenario, RunResult]] = (),
) -> pd.DataFrame:
    """:func:`attribution` of several packages, each run made once (see the module's note).

    ``known`` are runs already made on the same seeds (``seed`` to ``seed + replicates - 1``)
    and parameter set, with the scenario each is of; any that reaches December of ``year`` is
    reused.
    """
    values: dict[str, pd.DataFrame] = {}  # run key -> metric values in `year`, by seed
    for sc, result in known:
        if parse_month(sc.run.end) >= parse_month(f"{year}-12"):
            values.setdefault(run_key(sc), year_values(result, metrics, year))
    plans = []  # per package: its kinds and the run key of each subset of them
    to_run: dict[str, Scenario] = {}
    for scenario in scenarios:
        kinds = policy_kinds(scenario)
        short = scenario.model_copy(
            update={"run": scenario.run.model_copy(update={"end": f"{year}-12"})}
        )
        subsets = [
            frozenset(c) for size in range(len(kinds) + 1) for c in combinations(kinds, size)
        ]
        keys = {}
        for subset in subsets:
            variant = with_kinds(short, subset)
            keys[subset] = key = run_key(variant)
            if key not in values:
                to_run.setdefault(key, variant)
        plans.append((scenario, kinds, keys))
    if to_run:
        label = "attribution " + ", ".join(sc.name for sc in scenarios)
        results = run_many(
            list(to_run.values()),
            replicates=replicates,
            seed=seed,
            workers=workers,
            params=params,
            progress=progress,
            label=label,
        )
        for key, result in zip(to_run, results, strict=True):
            values[key] = year_values(result, metrics, year)
    rows = []
    for scenario, kinds, keys in plans:
        for metric in metrics:
            rows += _split(scenario.name, metric, year, kinds, keys, values)
    return pd.DataFrame(rows)


def _split(
    name: str,
    metric: str,
    year: int,
    kinds: list[str],
    keys: dict[frozenset, str],
    values: dict[str, pd.DataFrame],
) -> list[dict]:
    """The Shapley rows of one package and metric, from the subsets' values by seed."""
    per_subset = {subset: values[key][metric] for subset, key in keys.items()}
    seeds = per_subset[frozenset()].index
    effects: dict[str, list[float]] = {k: [] for k in [*kinds, "total"]}
    for s in seeds:
        by_subset = {subset: float(v.loc[s]) for subset, v in per_subset.items()}
        for kind, phi in shapley(by_subset, kinds).items():
            effects[kind].append(phi)
        effects["total"].append(by_subset[frozenset(kinds)] - by_subset[frozenset()])
    rows = []
    for kind, vals in effects.items():
        arr = np.array(vals)
        rows.append(
            {
                "scenario": name,
                "metric": metric,
                "year": year,
                "policy_kind": kind,
                "effect_median": float(np.median(arr)),
                "effect_mean": float(arr.mean()),
                "effect_p5": float(np.percentile(arr, 5)),
                "effect_p95": float(np.percentile(arr, 95)),
            }
        )
    return rows
