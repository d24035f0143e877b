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

With many kinds the 2^k subsets grow out of reach (10 kinds: 1,024 runs a seed). A *sampled*
estimate (``orderings=M``) averages each kind's marginal effect over M orderings of the kinds
instead of all k! (Castro, Gomez and Tejada 2009), drawn in antithetic pairs (an ordering and
its reverse, which cancel much of the sampling noise; Mitchell et al. 2022): it needs only the
subsets that begin those orderings, at most M(k-1)+2 runs a seed. It still adds up to the total
effect seed by seed (each ordering's marginal effects telescope to it). Its error from the
orderings drawn is ``sampling_se`` (the standard error of ``effect_mean`` over the P pairs of
orderings) and ``sampling_margin90``, the half-width of its 90% interval (Student's t with
P - 1 degrees of freedom: with few pairs the standard error is itself rough; 16 orderings or
more make it steadier). The rows say which it is (``method``: exact or sampled, ``orderings``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from sim.calendar import parse_month
from sim.metrics import is_stock
from sim.params import Parameters
from sim.runner import RunResult, run_many
from sim.scenario import Scenario
from sim.shapley import shapley
from sim.targets import years_and_months

DEFAULT_METRICS = ("revenue_bn_yuan", "workforce")
ATTRIBUTION_COLUMNS = [
    "scenario",
    "metric",
    "year",
    "policy_kind",
    "effect_median",
    "effect_mean",
    "effect_p5",
    "effect_p95",
    "method",
    "orderings",
    "sampling_se",
    "sampling_margin90",
]


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


def sampled_orderings(kinds: list[str], count: int, seed: int) -> list[tuple[str, ...]] | None:
    """``count`` distinct orderings of ``kinds`` in antithetic pairs, or None if that is all.

    An odd ``count`` is rounded up to whole pairs. The orderings depend only on the kinds and
    the seed, so packages with the same kinds share their subsets. None (the exact split is as
    cheap) when the pairs would cover every one of the k! orderings.
    """
    if count < 1:
        raise ValueError(f"orderings must be at least 1, got {count}")
    pairs = (count + 1) // 2
    if len(kinds) < 2 or 2 * pairs >= factorial(len(kinds)):
        return None
    rng = np.random.default_rng([seed, zlib.crc32("|".join(kinds).encode())])
    taken: set[tuple[str, ...]] = set()
    out: list[tuple[str, ...]] = []
    while len(out) < 2 * pairs:
        order = tuple(kinds[i] for i in rng.permutation(len(kinds)))
        if order in taken:
            continue
        reverse = order[::-1]
        taken.update((order, reverse))
        out += [order, reverse]
    return out


def year_values(result: RunResult, metrics: Iterable[str], year: int) -> pd.DataFrame:
    """One row per seed, one column per metric: the metric in ``year``.

    Counted as :func:`analysis.tables.yearly` counts it (a flow summed over the year's months,
    NaN skipped; a stock's last value of the year), read from the run's arrays rather than the
    long table: a comparison reads some 100 runs.
    """
    monthly = result.values
    in_year = years_and_months(monthly.dates)[0] == year
    order = np.argsort(monthly.seeds, kind="stable")
    columns = {}
    for metric in sorted(set(metrics)):
        if not monthly.has(metric) or not in_year.any():
            continue
        months = monthly.wide(metric)[order][:, in_year]
        if is_stock(metric):
            present = ~np.isnan(months)
            last = months.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)
            value = np.where(present.any(axis=1), months[np.arange(len(order)), last], np.nan)
        else:
            value = _compensated_sum(months)
        columns[metric] = value
    table = pd.DataFrame(columns, index=pd.Index(monthly.seeds[order], name="seed"))
    table.columns.name = "metric"
    return table


def _compensated_sum(months: np.ndarray) -> np.ndarray:
    """Each row's sum, NaN skipped, with Kahan's compensation as pandas' group sums do.

    (A loop over the year's months, not over runs or agents.) The yearly table of all metrics
    gives the same bits; pandas takes another path for a table of a few metrics, which can
    differ in the last bit.
    """
    total = np.zeros(months.shape[0])
    compensation = np.zeros(months.shape[0])
    for column in months.T:
        present = ~np.isnan(column)
        with np.errstate(invalid="ignore"):  # inf - inf, as in pandas
            y = np.where(present, column - compensation, 0.0)
            t = total + y
            new_compensation = (t - total) - y
        new_compensation[np.isnan(new_compensation)] = 0.0  # an infinite value (as pandas)
        compensation = np.where(present, new_compensation, compensation)
        total = np.where(present, t, total)
    return total


def attribution(
    scenario: Scenario,
    replicates: int,
    seed: int,
    *,
    year: int = 2025,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    workers: int = 1,
    progress: bool = False,
    orderings: int | None = None,
) -> pd.DataFrame:
    """Shapley split of the package's effect in ``year`` on each metric among its policy kinds.

    Runs the scenario with every subset of its policy kinds (2^k runs per seed, to the end of
    ``year``), or with ``orderings`` the subsets of that many sampled orderings (see the
    module's note). Returns :data:`ATTRIBUTION_COLUMNS`; the row with ``policy_kind ==
    "total"`` is the whole package against no policy.
    """
    return attributions(
        [scenario],
        replicates,
        seed,
        year=year,
        metrics=metrics,
        workers=workers,
        progress=progress,
        orderings=orderings,
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
    orderings: int | None = None,
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
        orders = sampled_orderings(kinds, orderings, seed) if orderings else None
        if orders is None:
            subsets = [
                frozenset(c) for size in range(len(kinds) + 1) for c in combinations(kinds, size)
            ]
        else:  # the subsets that begin each ordering, in a fixed order
            subsets = list(
                dict.fromkeys(frozenset(o[:size]) for o in orders for size in range(len(o) + 1))
            )
        keys = {}
        for subset in subsets:
            variant = with_kinds(short, subset)
            keys[subset] = key = run_key(variant)
            if key not in values:
                to_run.setdefault(key, variant)
        plans.append((scenario, kinds, keys, orders))
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
    for scenario, kinds, keys, orders in plans:
        for metric in metrics:
            rows += _split(scenario.name, metric, year, kinds, keys, values, orders)
    return pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)


def _split(
    name: str,
    metric: str,
    year: int,
    kinds: list[str],
    keys: dict[frozenset, str],
    values: dict[str, pd.DataFrame],
    orders: list[tuple[str, ...]] | None = None,
) -> list[dict]:
    """The Shapley rows of one package and metric, from the subsets' values by seed.

    Exact over every subset when ``orders`` is None; else the mean marginal effect over the
    sampled ``orders`` (antithetic pairs, consecutive), with its sampling error.
    """
    per_subset = {subset: values[key][metric] for subset, key in keys.items()}
    seeds = per_subset[frozenset()].index
    table = np.array([per_subset[subset].loc[seeds].to_numpy(float) for subset in keys])
    at = {subset: i for i, subset in enumerate(keys)}  # subset -> row of `table` (seeds across)
    total = table[at[frozenset(kinds)]] - table[at[frozenset()]]
    effects: dict[str, np.ndarray] = {"total": total}
    errors: dict[str, float] = {"total": 0.0}
    t90 = 0.0  # the exact split has no sampling error
    if orders is None:
        effects.update({kind: np.zeros(len(seeds)) for kind in kinds})
        for j in range(len(seeds)):
            phi = shapley({s: float(table[i, j]) for s, i in at.items()}, kinds)
            for kind in kinds:
                effects[kind][j] = phi[kind]
        errors.update({kind: 0.0 for kind in kinds})
        method, count = "exact", factorial(len(kinds))
    else:
        # marginal[kind][o] = the kind's marginal effect in ordering o, seed by seed
        marginal = {kind: np.zeros((len(orders), len(seeds))) for kind in kinds}
        for o, order in enumerate(orders):
            for size, kind in enumerate(order):
                before, after = frozenset(order[:size]), frozenset(order[: size + 1])
                marginal[kind][o] = table[at[after]] - table[at[before]]
        from scipy.stats import t as student_t  # here: only a sampled split needs it

        pairs = len(orders) // 2
        t90 = float(student_t.ppf(0.95, pairs - 1)) if pairs > 1 else float("nan")
        for kind in kinds:
            effects[kind] = marginal[kind].mean(axis=0)
            pair_means = marginal[kind].mean(axis=1).reshape(-1, 2).mean(axis=1)
            errors[kind] = (
                float(pair_means.std(ddof=1) / np.sqrt(pairs)) if pairs > 1 else float("nan")
            )
        method, count = "sampled", len(orders)
    rows = []
    for kind in [*kinds, "total"]:
        arr = effects[kind]
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
                "method": method,
                "orderings": count,
                "sampling_se": errors[kind],
                "sampling_margin90": t90 * errors[kind],
            }
        )
    return rows
