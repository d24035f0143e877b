"""The planner's numbers against hand computations: differences, targets, costs, Shapley."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from analysis.attribution import (
    _split,
    attribution,
    attributions,
    sampled_orderings,
    shapley,
    with_kinds,
)
from analysis.compare import Comparison, compare
from analysis.tables import attainment, cost_ledger, paired_differences, yearly
from sim.policies import KINDS as POLICY_KINDS
from sim.scenario import load_scenario

SCENARIOS = Path(sim.__file__).resolve().parent.parent / "scenarios"


def _frame(scenario: str, seeds: list[int], months: int, fn) -> pd.DataFrame:
    """Synthetic long trajectories: value = fn(metric, seed, month index)."""
    dates = pd.date_range("2021-01-01", periods=months, freq="MS")
    metrics = [
        "revenue_bn_yuan",
        "workforce",
        "firms",
        "office_area_m2",
        "sc_revenue_bn_yuan",
        "policy_cost_bn_yuan",
        *[f"policy_cost_{k}_bn_yuan" for k in POLICY_KINDS],
    ]
    rows = []
    for k, seed in enumerate(seeds):
        for i, date in enumerate(dates):
            for metric in metrics:
                rows.append((scenario, k, seed, date, metric, float(fn(metric, seed, i))))
    return pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "date", "metric", "value"])


def test_yearly_sums_flows_and_takes_december_of_stocks():
    frame = _frame("a", [1], 24, lambda metric, seed, i: i)
    table = yearly(frame).set_index(["metric", "year"])["value"]
    assert table[("revenue_bn_yuan", 2021)] == sum(range(12))
    assert table[("revenue_bn_yuan", 2022)] == sum(range(12, 24))
    assert table[("workforce", 2021)] == 11
    assert table[("workforce", 2022)] == 23


def test_paired_differences_pair_by_seed_not_by_replicate_order():
    seeds = [5, 6, 7, 8]
    base = _frame("base", seeds, 12, lambda m, s, i: 10.0 * s)
    policy = _frame("policy", seeds[::-1], 12, lambda m, s, i: 10.0 * s + s**2)
    paired = paired_differences(pd.concat([base, policy]), "base")
    row = paired[(paired["metric"] == "workforce") & (paired["year"] == 2021)].iloc[0]
    diffs = np.array([s**2 for s in seeds], dtype=float)  # per seed, exactly
    assert row["diff_median"] == pytest.approx(np.median(diffs))
    assert row["diff_p5"] == pytest.approx(np.percentile(diffs, 5))
    assert row["diff_p95"] == pytest.approx(np.percentile(diffs, 95))
    assert row["n_pairs"] == 4


def test_attainment_probability_gap_and_first_year():
    # Revenue per month = seed-dependent level growing each year; target 500 bn in 2025.
    def fn(metric, seed, i):
        year = i // 12
        if metric == "revenue_bn_yuan":
            return (30 + 5 * year + seed) * 1.0  # annual = 12 * (30 + 5y + seed)
        if metric == "workforce":
            return 263_000 + 40_000 * year + 1000 * seed
        return 0.0

    frame = _frame("s", [0, 1, 2, 3], 120, fn)
    table = attainment(frame).set_index("target_id")
    revenue_2025 = np.array([12 * (30 + 5 * 4 + s) for s in range(4)], dtype=float)  # 600..636
    assert table.loc["cq_revenue_2025", "prob_met"] == 1.0
    assert table.loc["cq_revenue_2025", "median"] == pytest.approx(np.median(revenue_2025))
    # First year the median annual revenue 12 * (31.5 + 5y) reaches 500: y >= 2.03, so 2024.
    assert table.loc["cq_revenue_2025", "first_year_median_met"] == 2024
    practitioners = 40_000 * 4  # Dec 2025 minus Dec 2021, every seed
    assert table.loc["cq_new_practitioners_2025", "prob_met"] == 0.0
    assert table.loc["cq_new_practitioners_2025", "expected_gap"] == pytest.approx(
        200_000 - practitioners
    )
    assert table.loc["cq_new_practitioners_2025", "first_year_median_met"] == 2026


def test_cost_ledger_against_hand_computation():
    seeds = [1, 2, 3]

    def policy(metric, seed, i):
        year = i // 12
        return {
            "policy_cost_bn_yuan": 0.1,
            "policy_cost_talent_bn_yuan": 0.1,
            "workforce": 100_000 + 10_000 * year + 1000 * seed,
            "firms": 1000 + 100 * year,
            "revenue_bn_yuan": 20.0 + seed,
        }.get(metric, 0.0)

    def none(metric, seed, i):
        year = i // 12
        return {
            "workforce": 100_000 + 6_000 * year + 1000 * seed,
            "firms": 1000 + 80 * year,
            "revenue_bn_yuan": 18.0 + seed,
        }.get(metric, 0.0)

    ledger = cost_ledger(_frame("p", seeds, 60, policy), _frame("cf", seeds, 60, none), year=2025)
    row = ledger.iloc[0]
    cost = 0.1 * 60  # bn yuan over 2021-2025
    extra_jobs = 4 * (10_000 - 6_000)  # Dec 2025 difference
    extra_revenue = 2.0 * 60
    assert row["cost_bn_yuan"] == pytest.approx(cost)
    assert row["cost_talent_bn_yuan"] == pytest.approx(cost)
    assert row["extra_jobs"] == pytest.approx(extra_jobs)
    assert row["cost_per_job_yuan"] == pytest.approx(cost * 1e9 / extra_jobs)
    assert row["cost_per_bn_revenue"] == pytest.approx(cost / extra_revenue)
    assert row["deadweight_jobs"] == pytest.approx(6_000 / 10_000)
    assert row["deadweight_firms"] == pytest.approx(80 / 100)


def test_cost_per_job_is_expected_cost_over_expected_jobs_when_seeds_disagree():
    # Seed 1 adds 30,000 jobs, seed 2 loses 10,000, seed 3 adds nothing: on average 20,000/3.
    # A median of per-seed ratios would ignore seeds 2 and 3 and quote cost / 30,000.
    seeds = [1, 2, 3]
    extra = {1: 30_000, 2: -10_000, 3: 0}

    def policy(metric, seed, i):
        jobs = extra[seed] if i == 59 else 0
        return {"policy_cost_bn_yuan": 0.1, "workforce": 100_000 + jobs}.get(metric, 0.0)

    def none(metric, seed, i):
        return {"workforce": 100_000.0}.get(metric, 0.0)

    row = cost_ledger(_frame("p", seeds, 60, policy), _frame("cf", seeds, 60, none)).iloc[0]
    assert row["extra_jobs"] == 0  # the median seed
    assert row["cost_per_job_yuan"] == pytest.approx(6.0 * 1e9 / (20_000 / 3))

    def losing(metric, seed, i):
        return {"policy_cost_bn_yuan": 0.1, "workforce": 100_000 - 1000 * (i == 59)}.get(
            metric, 0.0
        )

    row = cost_ledger(_frame("p", seeds, 60, losing), _frame("cf", seeds, 60, none)).iloc[0]
    assert np.isnan(row["cost_per_job_yuan"])  # no price for jobs that were not added


def test_shapley_of_a_two_player_game():
    a, b = "a", "b"
    values = {frozenset(): 0.0, frozenset({a}): 1.0, frozenset({b}): 2.0, frozenset({a, b}): 5.0}
    phi = shapley(values, [a, b])
    assert phi[a] == pytest.approx(0.5 * 1 + 0.5 * 3)
    assert phi[b] == pytest.approx(0.5 * 2 + 0.5 * 4)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 4),
    data=st.data(),
)
def test_shapley_efficiency_and_dummy(n, data):
    players = [f"p{i}" for i in range(n)] + ["dummy"]
    values = {}
    for size in range(n + 1):
        for subset in combinations(players[:-1], size):
            v = data.draw(st.floats(-100, 100, allow_nan=False))
            values[frozenset(subset)] = v
            values[frozenset(subset) | {"dummy"}] = v  # the dummy adds nothing
    phi = shapley(values, players)
    total = values[frozenset(players)] - values[frozenset()]
    assert sum(phi.values()) == pytest.approx(total, abs=1e-9)
    assert phi["dummy"] == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------------------ on real runs


@pytest.fixture(scope="module")
def small_comparison() -> Comparison:
    return compare(
        [SCENARIOS / "baseline.toml", SCENARIOS / "double_scenarios.toml"],
        replicates=2,
        seed=3,
        end="2023-12",
        attribute=False,
    )


def test_compare_pairs_seeds_and_uses_a_same_seed_counterfactual(small_comparison):
    traj = small_comparison.trajectories
    seeds = traj.groupby("scenario", observed=True)["seed"].unique()
    assert all(sorted(s) == [3, 4] for s in seeds)
    assert small_comparison.counterfactual in set(traj["scenario"].astype(str))
    cf = traj[traj["scenario"] == small_comparison.counterfactual]
    assert cf.loc[cf["metric"] == "policy_cost_bn_yuan", "value"].sum() == 0
    paired = small_comparison.paired
    assert set(paired["scenario"]) == {"double_scenarios"}
    released = paired[
        (paired["metric"] == "application_scenarios_released") & (paired["year"] == 2023)
    ].iloc[0]

    def pace(name: str) -> float:
        (policy,) = [
            p
            for p in load_scenario(SCENARIOS / f"{name}.toml").policies
            if p.kind == "application_scenarios" and p.start == "2023-01"
        ]
        return policy.per_month

    # whole projects a month: the 2023 difference is 12 months of the extra pace, to one project
    extra = 12 * (pace("double_scenarios") - pace("baseline"))
    assert released["diff_median"] == pytest.approx(extra, abs=1)


def test_compare_folder_round_trip(small_comparison, tmp_path):
    small_comparison.write(tmp_path / "cmp")
    back = Comparison.load(tmp_path / "cmp")
    assert back.names == small_comparison.names
    pd.testing.assert_frame_equal(
        back.paired.reset_index(drop=True),
        small_comparison.paired.reset_index(drop=True),
        check_dtype=False,
    )
    assert len(back.trajectories) == len(small_comparison.trajectories)


def test_attribution_adds_up_to_the_total_effect():
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    keep = [p for p in scenario.policies if p.kind in ("application_scenarios", "talent")]
    scenario = scenario.model_copy(update={"policies": keep})
    table = attribution(scenario, replicates=2, seed=1, year=2022, metrics=("revenue_bn_yuan",))
    parts = table[table["policy_kind"] != "total"]
    total = table[table["policy_kind"] == "total"].iloc[0]
    assert set(parts["policy_kind"]) == {"application_scenarios", "talent"}
    assert parts["effect_mean"].sum() == pytest.approx(total["effect_mean"], rel=1e-9)
    # The total is the package against no policy, seed by seed.
    runs = {
        name: sim.run(sc, replicates=2, seed=1, end="2022-12")
        for name, sc in (("all", scenario), ("none", with_kinds(scenario, frozenset())))
    }
    sums = {
        k: yearly(r.trajectories, ["revenue_bn_yuan"]).query("year == 2022")["value"].to_numpy()
        for k, r in runs.items()
    }
    assert total["effect_mean"] == pytest.approx(np.mean(sums["all"] - sums["none"]))


def test_attributions_share_runs_and_give_each_package_its_own_split(monkeypatch):
    """Two packages differing in one kind run each shared subset once, and reuse known runs."""
    import analysis.attribution as attribution_module

    base = load_scenario(SCENARIOS / "baseline.toml")
    kinds = ("application_scenarios", "talent", "scale_up_awards")
    base = base.model_copy(
        update={
            "policies": [p for p in base.policies if p.kind in kinds],
            "run": base.run.model_copy(update={"end": "2022-12"}),
        }
    )
    talent = [p for p in base.policies if p.kind == "talent"]
    richer = [p.model_copy(update={"housing_subsidy_yuan_month": 3000}) for p in talent]
    other = base.model_copy(
        update={
            "name": "richer",
            "policies": [p for p in base.policies if p.kind != "talent"] + richer,
        }
    )
    made: list[str] = []
    real_run_many = attribution_module.run_many

    def counting(scenarios, **kwargs):
        made.extend(sc.name for sc in scenarios)
        return real_run_many(scenarios, **kwargs)

    monkeypatch.setattr(attribution_module, "run_many", counting)
    known = [(base, sim.run(base, replicates=2, seed=1))]
    shared = attributions([base, other], 2, 1, year=2022, metrics=("revenue_bn_yuan",), known=known)
    # 8 subsets each; the 4 without talent are shared; the base's full set is known
    assert len(made) == 8 + 4 - 1
    made.clear()
    alone = pd.concat(
        [attribution(sc, 2, 1, year=2022, metrics=("revenue_bn_yuan",)) for sc in (base, other)],
        ignore_index=True,
    )
    assert len(made) == 16
    pd.testing.assert_frame_equal(shared, alone)
    richer_talent = shared.query("scenario == 'richer' and policy_kind == 'talent'")
    base_talent = shared.query("scenario == 'baseline' and policy_kind == 'talent'")
    assert richer_talent["effect_mean"].iloc[0] != base_talent["effect_mean"].iloc[0]


@settings(max_examples=40, deadline=None)
@given(k=st.integers(2, 7), count=st.integers(1, 30), seed=st.integers(0, 2**31))
def test_sampled_orderings_are_distinct_pairs_of_an_ordering_and_its_reverse(k, count, seed):
    kinds = [f"kind{i}" for i in range(k)]
    orders = sampled_orderings(kinds, count, seed)
    pairs = (count + 1) // 2
    from math import factorial

    if 2 * pairs >= factorial(k):
        assert orders is None  # the exact split costs no more
        return
    assert len(orders) == 2 * pairs
    assert len(set(orders)) == len(orders)
    assert all(sorted(o) == kinds for o in orders)
    assert all(orders[i + 1] == orders[i][::-1] for i in range(0, len(orders), 2))
    assert sampled_orderings(kinds, count, seed) == orders  # a function of kinds and seed


def _game(kinds, seeds, value):
    """Subset values as :func:`_split` reads them: key -> metric by seed."""
    keys, values = {}, {}
    for size in range(len(kinds) + 1):
        for subset in combinations(kinds, size):
            key = "+".join(subset) or "none"
            keys[frozenset(subset)] = key
            values[key] = pd.DataFrame(
                {"m": [value(frozenset(subset), s) for s in seeds]}, index=pd.Index(seeds)
            )
    return keys, values


@settings(max_examples=30, deadline=None)
@given(
    weights=st.lists(st.floats(-50, 50), min_size=4, max_size=4),
    pair=st.floats(-20, 20),
    count=st.integers(2, 10),
)
def test_a_sampled_split_adds_up_seed_by_seed_and_is_exact_without_interactions(
    weights, pair, count
):
    kinds = ["a", "b", "c", "d"]
    seeds = [1, 2, 3]

    def additive(subset, seed):
        return seed * sum(w for k, w in zip(kinds, weights, strict=True) if k in subset)

    def interacting(subset, seed):  # a and b together add `pair` more
        return additive(subset, seed) + (pair if {"a", "b"} <= subset else 0.0)

    orders = sampled_orderings(kinds, count, seed=7)
    for value in (additive, interacting):
        keys, values = _game(kinds, seeds, value)
        rows = pd.DataFrame(_split("p", "m", 2025, kinds, keys, values, orders))
        parts, total = rows[rows["policy_kind"] != "total"], rows[rows["policy_kind"] == "total"]
        assert set(rows["method"]) == {"sampled"}
        assert parts["effect_mean"].sum() == pytest.approx(total["effect_mean"].iloc[0])
        exact = pd.DataFrame(_split("p", "m", 2025, kinds, keys, values))
        assert set(exact["method"]) == {"exact"} and (exact["sampling_se"] == 0).all()
        if value is additive:  # each kind's marginal effect is its weight in every ordering
            assert parts["effect_mean"].to_numpy() == pytest.approx(
                exact.loc[exact["policy_kind"] != "total", "effect_mean"].to_numpy(), abs=1e-9
            )
            if len(orders) >= 4:
                assert parts["sampling_se"].to_numpy() == pytest.approx(0.0, abs=1e-9)
            else:  # one pair of orderings: no spread to tell the error from
                assert parts["sampling_se"].isna().all()


def test_a_sampled_attribution_runs_fewer_subsets_and_is_near_the_exact_split(monkeypatch):
    """Four kinds: 16 subsets exact; 4 sampled orderings need at most 4 x 3 + 2 = 14."""
    import analysis.attribution as attribution_module

    base = load_scenario(SCENARIOS / "baseline.toml")
    kinds = ("application_scenarios", "talent", "scale_up_awards", "rent_reduction")
    base = base.model_copy(update={"policies": [p for p in base.policies if p.kind in kinds]})
    assert len({p.kind for p in base.policies}) == 4
    made: list[str] = []
    real_run_many = attribution_module.run_many

    def counting(scenarios, **kwargs):
        made.extend(sc.name for sc in scenarios)
        return real_run_many(scenarios, **kwargs)

    monkeypatch.setattr(attribution_module, "run_many", counting)
    metrics = ("revenue_bn_yuan",)
    exact = attribution(base, 3, 1, year=2022, metrics=metrics)
    assert len(made) == 16
    made.clear()
    sampled = attribution(base, 3, 1, year=2022, metrics=metrics, orderings=4)
    assert len(made) < 16
    assert set(sampled["method"]) == {"sampled"} and set(sampled["orderings"]) == {4}
    parts = sampled[sampled["policy_kind"] != "total"]
    total = sampled[sampled["policy_kind"] == "total"]
    assert parts["effect_mean"].sum() == pytest.approx(total["effect_mean"].iloc[0], rel=1e-9)
    assert (
        total["effect_mean"].iloc[0] == exact.query("policy_kind == 'total'")["effect_mean"].iloc[0]
    )
    truth = exact.set_index("policy_kind")["effect_mean"]
    assert (parts["sampling_margin90"] > 2 * parts["sampling_se"]).all()  # t with 1 d.o.f.
    for r in parts.itertuples():  # within its 90% margin of the exact value
        assert abs(r.effect_mean - truth[r.policy_kind]) <= r.sampling_margin90


def _work_line(shares: pd.DataFrame, capsys) -> str:
    """The CLI summary's first 'what does the work' line for an attribution table alone."""
    from types import SimpleNamespace

    from cqsim.planning import print_summary

    empty = pd.DataFrame(columns=["scenario"])
    comparison = SimpleNamespace(
        names=["pkg"], attainment=empty, costs=empty, attribution=shares, paired=pd.DataFrame()
    )
    print_summary(comparison)
    return next(x for x in capsys.readouterr().out.splitlines() if "what does the work" in x)


def test_the_cli_labels_a_sampled_split_with_its_error(capsys):
    shares = pd.DataFrame(
        {
            "scenario": ["pkg"] * 3,
            "metric": ["workforce"] * 3,
            "year": [2025] * 3,
            "policy_kind": ["rent_reduction", "talent", "total"],
            "effect_median": [190.0, 810.0, 1000.0],
            "effect_mean": [200.0, 800.0, 1000.0],
            "method": ["sampled"] * 3,
            "orderings": [8] * 3,
            "sampling_se": [12.5, 30.0, 0.0],
            "sampling_margin90": [25.0, 60.0, 0.0],
        }
    )
    line = _work_line(shares, capsys)
    assert "sampled estimate from 8 orderings, ± its 90% sampling margin" in line
    assert "talent +800 ±60," in line


def test_the_cli_ranks_what_does_the_work_by_the_mean_as_the_report_does(capsys):
    """Shapley values add up to the package's effect in the mean over seeds, not the median."""
    shares = pd.DataFrame(
        {
            "scenario": ["pkg"] * 3,
            "metric": ["workforce"] * 3,
            "year": [2025] * 3,
            "policy_kind": ["rent_reduction", "talent", "total"],
            "effect_median": [900.0, 100.0, 1000.0],  # by medians rent would lead
            "effect_mean": [200.0, 800.0, 1000.0],
        }
    )
    line = _work_line(shares, capsys)
    assert "mean over seeds" in line
    assert line.index("talent") < line.index("rent_reduction")


def test_year_values_of_a_run_are_its_yearly_table_bit_for_bit(baseline_path):
    """Attribution reads each subset run's year from the arrays: the same bits as the
    yearly table (flows summed as pandas sums groups, stocks in December) would give."""
    from analysis.attribution import year_values

    result = sim.run(baseline_path, replicates=2, seed=5, end="2022-12")
    metrics = list(result.values.names)
    for year in (2021, 2022):
        fast = year_values(result, metrics, year)
        table = yearly(result.trajectories, metrics)
        table = table[table["year"] == year]
        slow = table.pivot_table(index="seed", columns="metric", values="value", observed=True)
        assert list(fast.index) == list(slow.index) == [5, 6]
        assert list(fast.columns) == list(slow.columns)
        np.testing.assert_array_equal(fast.to_numpy(), slow.to_numpy())


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                st.floats(-1e12, 1e12),
                st.just(float("nan")),
                st.sampled_from([float("inf"), 0.1, 1e-9]),
            ),
            min_size=12,
            max_size=12,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_year_is_summed_as_pandas_sums_a_group(rows):
    from analysis.attribution import _compensated_sum

    months = np.array(rows, dtype=float)
    frame = pd.DataFrame({"run": np.repeat(np.arange(len(rows)), 12), "value": months.reshape(-1)})
    expected = frame.groupby("run")["value"].sum().to_numpy()
    np.testing.assert_array_equal(_compensated_sum(months), expected)
