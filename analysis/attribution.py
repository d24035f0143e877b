"""Which policy kinds do the work: Shapley values over a package's policy kinds.

The package's effect on a metric, v(all kinds) - v(no kinds), is split among its policy kinds
by their Shapley values, interactions included: each kind gets its marginal effect averaged
over every order in which the kinds could be added. v(S) is the metric in a same-seed run with
only the policies of the kinds in S, so the split is exact seed by seed (the values add up to
the total effect of each seed).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from analysis.tables import yearly
from sim.runner import run_many
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
    kinds = policy_kinds(scenario)
    short = scenario.model_copy(
        update={"run": scenario.run.model_copy(update={"end": f"{year}-12"})}
    )
    subsets = [frozenset(c) for size in range(len(kinds) + 1) for c in combinations(kinds, size)]
    variants = [with_kinds(short, s) for s in subsets]
    results = run_many(
        variants,
        replicates=replicates,
        seed=seed,
        workers=workers,
        progress=progress,
        label=f"attribution {scenario.name}",
    )
    rows = []
    for metric in metrics:
        per_subset = {}
        for subset, result in zip(subsets, results, strict=True):
            table = yearly(result.trajectories, [metric])
            table = table[table["year"] == year].set_index("seed")["value"]
            per_subset[subset] = table
        seeds = per_subset[frozenset()].index
        effects: dict[str, list[float]] = {k: [] for k in [*kinds, "total"]}
        for s in seeds:
            values = {subset: float(v.loc[s]) for subset, v in per_subset.items()}
            for kind, phi in shapley(values, kinds).items():
                effects[kind].append(phi)
            effects["total"].append(values[frozenset(kinds)] - values[frozenset()])
        for kind, vals in effects.items():
            arr = np.array(vals)
            rows.append(
                {
                    "scenario": scenario.name,
                    "metric": metric,
                    "year": year,
                    "policy_kind": kind,
                    "effect_median": float(np.median(arr)),
                    "effect_mean": float(arr.mean()),
                    "effect_p5": float(np.percentile(arr, 5)),
                    "effect_p95": float(np.percentile(arr, 95)),
                }
            )
    return pd.DataFrame(rows)
