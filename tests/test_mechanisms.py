"""The plan-period mechanisms push the way their docstrings say, on the same seed.

Each test runs the baseline (no posterior draws, a coarse scale, a short horizon) with one
mechanism on and switched off by its parameters, and checks the direction of what it is for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.core import ClusterSim
from sim.params import load_parameters
from sim.runner import replicate_frame, resolve
from sim.state import FirmKind
from sim.targets import observe

SCENARIO = Path(sim.__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
SEEDS = (11, 12, 13)


def _model(overrides: dict, seed: int, end: str = "2023-12", scale: int = 20) -> ClusterSim:
    params = load_parameters()
    base = resolve(SCENARIO, end=end, scale=scale, posterior=False, params=params)
    scenario = base.model_copy(update={"parameters": {**base.parameters, **overrides}})
    model = ClusterSim(scenario, seed=seed, params=params)
    while model.running:
        model.step()
    return model


def _figure(model: ClusterSim, measure: str, year: int) -> float:
    return float(observe(replicate_frame(model, 0), measure, year).iloc[0])


def _sum(model: ClusterSim, metric: str) -> float:
    return float(model.recorder.values[:, model.recorder.names.index(metric)].sum())


def _start(overrides: dict, seed: int) -> ClusterSim:
    """The January-2021 state only."""
    params = load_parameters()
    base = resolve(SCENARIO, end="2021-01", scale=10, posterior=False, params=params)
    scenario = base.model_copy(update={"parameters": {**base.parameters, **overrides}})
    return ClusterSim(scenario, seed=seed, params=params)


def test_branch_stock_puts_2021_revenue_in_a_few_booked_revenue_firms():
    """Branches that settled before 2021 hold revenue with few staff; totals stay calibrated."""
    for seed in SEEDS:
        on = _start({"init.branch_stock_years": 20}, seed)
        off = _start({"init.branch_stock_years": 0}, seed)
        for m in (on, off):
            f = m.firms
            staff = (f.staff[: f.n] * m.scale).sum()
            assert staff == pytest.approx(m.params.init.workforce_jan_2021, rel=0.01)
        f_on, f_off = on.firms, off.firms
        kind_on = f_on.kind[: f_on.n]
        assert (kind_on == FirmKind.BRANCH).sum() > 10  # 20 years at about two a year
        assert (f_off.kind[: f_off.n] == FirmKind.BRANCH).sum() == 0
        # the same revenue in Jan 2021 (the calibrated revenue per person times the workforce)
        rev_on = np.sum(f_on.weight[: f_on.n] * f_on.trailing_revenue[: f_on.n])
        rev_off = np.sum(f_off.weight[: f_off.n] * f_off.trailing_revenue[: f_off.n])
        assert rev_on == pytest.approx(rev_off, rel=0.02)
        # ...held with few staff: the branches' share of the revenue is several times their
        # share of the workforce (with the Pareto body the largest established firms already
        # hold as much as the branches, so the top firms' share need not rise)
        branch_rows = kind_on == FirmKind.BRANCH
        w_on = f_on.weight[: f_on.n]
        revenue_share = np.sum((w_on * f_on.trailing_revenue[: f_on.n])[branch_rows]) / rev_on
        staff_share = np.sum((w_on * f_on.staff[: f_on.n])[branch_rows]) / np.sum(
            w_on * f_on.staff[: f_on.n]
        )
        assert revenue_share > 3 * staff_share, (seed, revenue_share, staff_share)
        # branches book more per person than the city's average
        branch = kind_on == FirmKind.BRANCH
        per_person = f_on.trailing_revenue[: f_on.n][branch] / f_on.staff[: f_on.n][branch]
        city = rev_on / (f_on.weight[: f_on.n] * f_on.staff[: f_on.n]).sum()
        assert np.median(per_person) > city


def _new_branches(m: ClusterSim) -> np.ndarray:
    f = m.firms
    return (f.kind[: f.n] == FirmKind.BRANCH) & (f.born[: f.n] >= 0)


def test_branch_arrivals_bring_booked_revenue_firms_after_2021():
    for seed in SEEDS:
        on = _model({"entry.branch_rate": 6.0}, seed, end="2022-12")
        off = _model({"entry.branch_rate": 0.0}, seed, end="2022-12")
        assert _new_branches(off).sum() == 0
        assert _new_branches(on).sum() > 0
        f = on.firms
        # the branches that have operated for a year or more
        settled = _new_branches(on) & f.alive[: f.n] & (f.born[: f.n] < on.month - 12)
        assert settled.sum() > 0
        # they book from 1 bn yuan a year (what they earn also follows their demand and staff):
        # far above an ordinary entrant's few tens of millions
        booked = f.trailing_revenue[: f.n][settled]
        assert np.median(booked) >= 1e9 and np.all(booked >= 1e8), booked


def test_micro_firms_make_most_registrations():
    for seed in SEEDS:
        on = _model({}, seed)
        off = _model({"entry.micro_rate": 0.0}, seed)
        assert _sum(on, "firm_registrations") > 1.5 * _sum(off, "firm_registrations")


def test_registrations_that_never_operate_are_counted_but_never_operate():
    share = 0.3
    for seed in SEEDS:
        m = _model({"entry.never_operating_share": share}, seed)
        none = _model({"entry.never_operating_share": 0.0}, seed)
        entries, registrations = _sum(m, "firm_entries"), _sum(m, "firm_registrations")
        # shells are registrations on top of the entries, at odds share / (1 - share)
        assert registrations / entries == pytest.approx(1 / (1 - share), rel=0.08)
        assert _sum(none, "firm_registrations") == _sum(none, "firm_entries")


def test_local_switching_lowers_the_outside_share_of_the_added():
    for seed in SEEDS:
        on = _model({}, seed)
        off = _model({"labour.switch_base": 0}, seed)
        assert _sum(on, "new_practitioners_local") > _sum(off, "new_practitioners_local")
        share_on = _figure(on, "share_of_added_from_outside", 2023)
        share_off = _figure(off, "share_of_added_from_outside", 2023)
        assert share_on < share_off, (seed, share_on, share_off)


def test_ramp_up_of_new_hires_needs_more_people_for_the_same_demand():
    ratios = []
    for seed in SEEDS:
        on = _model({}, seed)
        off = _model({"labour.new_hire_productivity": 1.0}, seed)
        per_head = [
            _figure(m, "revenue", 2023) * 1e9 / _figure(m, "practitioners", 2023) for m in (on, off)
        ]
        ratios.append(per_head[0] / per_head[1])
    assert max(ratios) < 1.0, ratios  # new hires earn less while they learn: lower per head


def _labour_intensive_share(m: ClusterSim) -> tuple[float, float]:
    """The labour-intensive segment's share of the sector's staff, and of its revenue.

    Branches are left out: they book their group's revenue whatever their segment.
    """
    f = m.firms
    li = np.array([s.labour_intensive for s in m.params.sectors])[f.sector[: f.n]]
    alive = f.alive[: f.n] & (f.kind[: f.n] != FirmKind.BRANCH)
    staff = f.weight[: f.n] * f.staff[: f.n] * alive
    revenue = f.weight[: f.n] * f.trailing_revenue[: f.n] * alive
    return staff[li].sum() / staff.sum(), revenue[li].sum() / revenue.sum()


def test_labour_intensive_segment_grows_in_people_more_than_in_revenue():
    """The segment's demand grows faster and it earns less per person than the rest."""
    for seed in SEEDS:
        on = _labour_intensive_share(_model({}, seed, end="2025-12", scale=10))
        off = _labour_intensive_share(
            _model({"segments.labour_intensive_growth": 0.10}, seed, end="2025-12", scale=10)
        )
        assert on[0] > off[0], (seed, on, off)  # faster growth: a larger share of the people
        # less revenue per person than the rest of the sector: a smaller share of revenue
        assert on[1] < on[0], (seed, on)
