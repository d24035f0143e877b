"""Behaviour of the model that users rely on: determinism, policy directions, accounting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sim
from sim.agents import Firm, Park, Worker
from sim.metrics import METRICS
from sim.model import ClusterModel
from sim.scenario import load_scenario
from sim.targets import aggregate, load_observations, observe

SCENARIOS = Path(sim.__file__).resolve().parent.parent / "scenarios"
SEEDS = 6


def _run(name: str, end: str = "2025-12", replicates: int = SEEDS, seed: int = 101, **kw):
    return sim.run(SCENARIOS / f"{name}.toml", replicates=replicates, seed=seed, end=end, **kw)


@pytest.fixture(scope="module")
def paired() -> dict[str, sim.RunResult]:
    """The shipped scenarios run with the same seeds (common random numbers)."""
    names = ["baseline", "no_policy", "rent_cut_jinfeng", "talent_package", "double_scenarios"]
    return {name: _run(name) for name in names}


def _per_seed(result: sim.RunResult, metric: str, how: str, year: int) -> np.ndarray:
    return aggregate(result.trajectories, metric, how, year).sort_index().to_numpy()


# ------------------------------------------------------------------------------ determinism


def test_same_seed_gives_bit_identical_output():
    a = _run("baseline", end="2022-06", replicates=2, seed=7)
    b = _run("baseline", end="2022-06", replicates=2, seed=7)
    pd.testing.assert_frame_equal(a.trajectories, b.trajectories, check_exact=True)


def test_different_seeds_differ():
    a = _run("baseline", end="2022-06", replicates=1, seed=7).trajectories
    b = _run("baseline", end="2022-06", replicates=1, seed=8).trajectories
    assert not np.array_equal(a["value"].to_numpy(), b["value"].to_numpy())


def test_output_does_not_depend_on_worker_processes():
    serial = _run("baseline", end="2021-12", replicates=3, seed=3, workers=1)
    parallel = _run("baseline", end="2021-12", replicates=3, seed=3, workers=2)
    pd.testing.assert_frame_equal(serial.trajectories, parallel.trajectories, check_exact=True)


def test_replicate_k_uses_seed_plus_k():
    result = _run("baseline", end="2021-02", replicates=3, seed=40)
    seeds = result.trajectories.groupby("replicate")["seed"].first().to_dict()
    assert seeds == {0: 40, 1: 41, 2: 42}


# ------------------------------------------------------------------------------ policy directions


def test_rent_cut_raises_that_parks_occupancy(paired):
    # The cut draws firms into the park. Firms respond weakly to rent (the shipped sensitivity
    # follows the evidence that clusters, not rents, place software firms), so by Dec 2025 the
    # park has 0-30 more firms in most seeds and two seeds have 10 fewer: more over the six
    # seeds, and at least as many in most.
    park = "park.jinfeng_software"
    base_firms = _per_seed(paired["baseline"], f"{park}.firms", "december", 2025)
    cut_firms = _per_seed(paired["rent_cut_jinfeng"], f"{park}.firms", "december", 2025)
    assert cut_firms.sum() > base_firms.sum(), (cut_firms, base_firms)
    assert np.sum(cut_firms >= base_firms) > SEEDS / 2, (cut_firms, base_firms)
    # In the cut's first year the park is in no seed more than a point emptier. It is nearly
    # full in the baseline already (0.68-0.95 in these seeds), so the cut fills it little: the
    # mean gain, a few tenths of a point, is below what six seeds resolve (paired differences
    # of a park's occupancy spread by about a point), so no sign is asserted for it here.
    base = _per_seed(paired["baseline"], f"{park}.occupancy", "mean_year", 2023)
    cut = _per_seed(paired["rent_cut_jinfeng"], f"{park}.occupancy", "mean_year", 2023)
    assert np.all(cut >= base - 0.01), (cut, base)
    # Later, once the park has filled, developers deliver new space, and occupancy can dip below
    # the baseline's in a seed where they have built more. Over the cut's three years the mean
    # difference is within the noise (-0.2 points over these seeds with the Pareto body of firm
    # sizes, +0.1 before), so again no sign: in no seed more than 3 points lower.
    base = _sum_over(paired["baseline"], f"{park}.occupancy", range(2023, 2026)) / 36
    cut = _sum_over(paired["rent_cut_jinfeng"], f"{park}.occupancy", range(2023, 2026)) / 36
    assert np.all(cut > base - 0.03), (cut, base)


def test_rent_cut_costs_money(paired):
    base = _per_seed(paired["baseline"], "policy_cost_rent_reduction_bn_yuan", "sum_year", 2024)
    cut = _per_seed(
        paired["rent_cut_jinfeng"], "policy_cost_rent_reduction_bn_yuan", "sum_year", 2024
    )
    assert np.all(cut > base)


def _sum_over(result: sim.RunResult, metric: str, years: range) -> np.ndarray:
    traj = result.trajectories
    sub = traj[(traj["metric"] == metric) & traj["date"].dt.year.isin(list(years))]
    return sub.groupby("replicate")["value"].sum().sort_index().to_numpy()


def test_talent_package_raises_in_migration_and_workforce(paired):
    # In-migration over the package's first three years (later the extra graduates who stay
    # crowd the job market, which slows migration again: a real equilibrium effect).
    base = _sum_over(paired["baseline"], "in_migrants", range(2023, 2026))
    talent = _sum_over(paired["talent_package"], "in_migrants", range(2023, 2026))
    assert np.all(talent > base), (talent, base)
    base = _per_seed(paired["baseline"], "workforce", "december", 2025)
    talent = _per_seed(paired["talent_package"], "workforce", "december", 2025)
    assert np.all(talent > base), (talent, base)


def test_more_application_scenarios_raise_revenue(paired):
    # The extra projects add ~14 bn yuan a year of demand, but firms must hire to deliver
    # them: over 2023-2025 revenue rises by 2.4-31 bn yuan in four of these six seeds (and
    # parameter draws), and barely moves in two (-5.4 and -1.1 bn of ~1,300, with the Pareto
    # body of firm sizes; a tight labour market caps what firms can deliver). So seed by seed:
    # up by more than 2 bn in a clear majority (at least four of six), and in no seed down by
    # more than 8 bn (the noise of a seed, 0.6% of the three years' revenue).
    base = _sum_over(paired["baseline"], "revenue_bn_yuan", range(2023, 2026))
    double = _sum_over(paired["double_scenarios"], "revenue_bn_yuan", range(2023, 2026))
    assert np.sum(double > base + 2) >= SEEDS - 2, (double, base)
    assert np.all(double > base - 8), (double, base)
    released = _per_seed(
        paired["double_scenarios"], "application_scenarios_released", "sum_year", 2024
    )
    (doubled,) = [
        p.per_month
        for p in load_scenario(SCENARIOS / "double_scenarios.toml").policies
        if p.kind == "application_scenarios" and p.start == "2023-01"
    ]
    # whole projects, the fractions carried from month to month: 2024 is months 13-24 of it
    assert np.all(released == np.floor(24 * doubled) - np.floor(12 * doubled)), released


def test_no_policy_ends_below_baseline(paired):
    for metric, how in (("revenue_bn_yuan", "sum_year"), ("workforce", "december")):
        base = _per_seed(paired["baseline"], metric, how, 2025)
        none = _per_seed(paired["no_policy"], metric, how, 2025)
        assert np.all(none < base), (metric, none, base)
    cost = paired["no_policy"].trajectories
    assert cost.loc[cost["metric"] == "policy_cost_bn_yuan", "value"].sum() == 0


def test_application_scenario_counts_match_the_stated_programme(paired):
    traj = paired["baseline"].trajectories
    assert (
        aggregate(traj, "application_scenarios_released", "cumulative_to_june", 2022) == 45
    ).all()
    # 4,117 in the three years to December 2025 (press conference of 30 Dec 2025)
    assert (aggregate(traj, "application_scenarios_released", "sum_2023_2025", 2025) == 4117).all()


# ------------------------------------------------------------------------------ accounting


def _wide(result: sim.RunResult, replicate: int = 0) -> pd.DataFrame:
    return result.wide(replicate)


def _check_accounting(wide: pd.DataFrame) -> None:
    firms = wide["firms"].to_numpy()
    entries = wide["firm_entries"].to_numpy()
    exits = wide["firm_exits"].to_numpy()
    np.testing.assert_allclose(firms[1:], firms[:-1] + entries[1:] - exits[1:], rtol=0, atol=1e-6)
    assert (wide["workforce"] <= wide["people_in_city"]).all()
    np.testing.assert_allclose(wide["workforce"] + wide["job_seekers"], wide["people_in_city"])
    assert (wide["sc_revenue_bn_yuan"] <= wide["revenue_bn_yuan"] + 1e-9).all()
    parks = [c for c in wide.columns if c.startswith("park.") and c.endswith(".revenue_bn_yuan")]
    np.testing.assert_allclose(wide[parks].sum(axis=1), wide["revenue_bn_yuan"], rtol=1e-9)
    kinds = [c for c in wide.columns if c.startswith("policy_cost_") and c != "policy_cost_bn_yuan"]
    np.testing.assert_allclose(wide[kinds].sum(axis=1), wide["policy_cost_bn_yuan"], rtol=1e-9)
    sized = [
        "firms_rev_10m_plus",
        "firms_rev_100m_plus",
        "firms_rev_1bn_plus",
        "firms_rev_10bn_plus",
    ]
    assert (np.diff(wide[sized].to_numpy(), axis=1) <= 0).all()
    assert (wide[sized[0]] <= wide["firms"]).all()
    values = wide.to_numpy()
    assert not np.isnan(values).any()
    assert (values >= 0).all()


def test_accounting_holds_every_month(paired):
    for result in paired.values():
        for k in range(SEEDS):
            _check_accounting(_wide(result, k))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    scale=st.sampled_from([5, 10, 20]),
    quit_rate=st.floats(0.0, 0.1),
    rent_share=st.floats(0.0, 1.0),
)
# a quit rate near zero once drew tenures past int32 (an overflow, then NaN in the ramp-up)
@example(seed=3248, scale=10, quit_rate=1e-12, rent_share=0.18)
def test_accounting_holds_for_any_seed_scale_and_lever(seed, scale, quit_rate, rent_share):
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    policies = [
        p.model_copy(update={"share": rent_share}) if p.kind == "rent_reduction" else p
        for p in scenario.policies
    ]
    scenario = scenario.model_copy(
        update={
            "parameters": {"labour.quit_rate": quit_rate},
            "policies": policies,
            "run": scenario.run.model_copy(update={"end": "2022-06", "scale": scale}),
        }
    )
    _check_accounting(sim.run(scenario, seed=seed).wide(0))


def test_every_design_metric_is_recorded(paired):
    recorded = set(paired["baseline"].trajectories["metric"].unique())
    design = {
        "revenue_bn_yuan", "sc_revenue_bn_yuan", "workforce", "job_seekers", "firms",
        "firm_entries", "firm_exits", "firms_rev_10m_plus", "firms_rev_100m_plus",
        "firms_rev_1bn_plus", "firms_rev_10bn_plus", "office_area_m2", "occupied_area_m2",
        "in_migrants", "out_migrants", "mean_wage_yuan", "policy_cost_bn_yuan",
        "application_scenarios_released",
    }  # fmt: skip
    assert design <= recorded
    assert set(METRICS) <= recorded


# ------------------------------------------------------------------------------ 2021 state


@pytest.fixture(scope="module")
def start_2022() -> sim.RunResult:
    return sim.run(SCENARIOS / "baseline.toml", replicates=6, seed=1, end="2022-12")


def test_2021_revenue_and_starting_workforce_match_observations(start_2022):
    # 2021 revenue within 2% (issue 12's band); the January-2021 stock stands for the end-2020
    # count of 188,000 practitioners, within the calibration's tolerance of it.
    traj = start_2022.trajectories
    obs = load_observations().set_index("id")
    revenue = np.median(observe(traj, "revenue", 2021))
    assert abs(revenue / obs.loc["cq_revenue_2021", "value"] - 1) < 0.02, revenue
    workforce = np.median(observe(traj, "practitioners_in_january", 2021))
    assert abs(workforce / obs.loc["cq_practitioners_2020", "value"] - 1) < 0.05, workforce


def test_first_batch_parks_hold_about_70_percent(start_2022):
    share = np.median(
        aggregate(start_2022.trajectories, "first_batch_revenue_share", "mean_year", 2021)
    )
    assert 0.66 <= share <= 0.72, share


def test_science_city_firms_in_2022_stay_near_the_stated_300(start_2022):
    # "nearly 300" firms in 2022. The calibrated model has about 410: a miss of a third that
    # the README's "What the model gets wrong" states. This holds it from drifting further.
    firms = np.median(aggregate(start_2022.trajectories, "sc_firms", "mean_year", 2022))
    assert 150 <= firms <= 450, firms


# ------------------------------------------------------------------------------ Mesa views


def test_agents_are_mesa_views_of_the_arrays():
    scenario = load_scenario(SCENARIOS / "baseline.toml")
    scenario = scenario.model_copy(
        update={"run": scenario.run.model_copy(update={"end": "2021-06"})}
    )
    model = ClusterModel(scenario, rng=5)
    model.run()
    by_type = model.agents_by_type
    assert len(by_type[Park]) == len(model.params.parks)
    alive = int(model.firms.alive[: model.firms.n].sum())
    assert len(by_type[Firm]) == alive
    assert len(by_type[Worker]) * model.scale == model.people_in_city
    employed = by_type[Worker].select(lambda w: w.status == "employed")
    assert len(employed) * model.scale == model.workforce
    worker = next(iter(employed))
    assert worker.employer is not None and worker.wage_yuan > 0
    firm_staff = sum(f.staff * f.weight for f in by_type[Firm])
    assert firm_staff == pytest.approx(model.workforce)
    model.step()  # views follow departures and arrivals when looked at again
    assert len(model.agents_by_type[Worker]) * model.scale == model.people_in_city


def test_staff_counts_kept_up_to_date_equal_a_recount_every_month():
    """Firms' staff are updated as people are hired, separate and leave: a recount agrees."""
    from sim.model import ClusterModel

    model = ClusterModel(end="2022-06", rng=7, scale=20)
    while model.running:
        model.step()
        f = model.firms
        assert (f.staff[: f.n] == model.employed_count()).all(), model.month


def test_ramp_shortfall_kept_per_firm_equals_a_sum_over_each_firms_staff():
    """Each firm's kept ramp-up shortfall equals a sum over its staff, every month.

    The sum is (1 - theta0) exp(-months since hired / T) over every employed person.
    """
    from sim.model import ClusterModel
    from sim.state import WorkerStatus

    model = ClusterModel(end="2022-06", rng=7, scale=20)
    lab = model.params.labour
    while model.running:
        model.step()
        w, f = model.workers, model.firms
        employed = w.status[: w.n] == WorkerStatus.EMPLOYED
        tenure = model.month - w.hired[: w.n][employed]
        each = (1 - lab.new_hire_productivity) * np.exp(-tenure / lab.ramp_months)
        by_firm = np.bincount(w.employer[: w.n][employed], weights=each, minlength=f.n)[: f.n]
        np.testing.assert_allclose(f.ramp_shortfall[: f.n], by_firm, rtol=1e-9, atol=1e-9)
        assert by_firm.sum() > 0  # recent hires exist every month: the check is not vacuous


@pytest.mark.parametrize("name", ["talent_package", "double_scenarios"])
def test_kept_firm_sizes_are_the_staff_whenever_read(name, monkeypatch):
    """firm_size_people is kept between staff changes: no read may see a change unsaid."""
    from sim.core import ClusterSim
    from sim.params import scenarios_dir

    kept = ClusterSim.firm_size_people
    reads = []

    def checked(m):
        f = m.firms
        fresh = f.staff[: f.n] * m.scale / f.weight[: f.n]
        assert np.array_equal(kept(m), fresh), m.month
        reads.append(m.month)
        return kept(m)

    monkeypatch.setattr(ClusterSim, "firm_size_people", checked)
    ClusterSim(scenarios_dir() / f"{name}.toml", seed=3, end="2023-12").run()
    assert len(reads) > 36 * 10  # read a dozen times a month


def test_worker_statuses_compare_with_the_status_column_in_its_own_width():
    """A status compares with the int8 column as int8 (an IntEnum made numpy cast the column)."""
    from sim.state import WorkerStatus, WorkerTable

    column = WorkerTable(4).status
    for code in (WorkerStatus.GONE, WorkerStatus.EMPLOYED, WorkerStatus.SEEKING):
        assert np.result_type(column, code) == column.dtype == np.int8
    assert [WorkerStatus.name_of(c) for c in range(WorkerStatus.COUNT)] == [
        "gone",
        "employed",
        "seeking",
    ]
