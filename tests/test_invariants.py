"""Invariants every month of every run must satisfy: parks never overfull, no negative stocks,
and the accounting identities between the recorded metrics.

Short runs (to 2023-12 at the default scale 10) of the baseline and of stressed but valid
inputs: an office-starved start (a small sector whose parks fill up fast, with no developer
building), a small start (parks of a few dozen worker agents, where rounding to whole agents
matters most) and restless firms in an office-starved start (a fifth of the firms reconsider
their park every month, so many movers compete for the same free space). The stressed
scenarios are written as scenario files, so their overrides pass the parameter ranges of
scenarios/parameters.toml.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.params import load_parameters
from sim.policies import KINDS as POLICY_KINDS

SCENARIOS = Path(sim.__file__).resolve().parent.parent / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
END = "2023-12"
PARAMS = load_parameters()
PARKS = [pk.id for pk in PARAMS.parks if pk.batch != "outside"]  # the market outside has no cap
SCIENCE_CITY = [pk.id for pk in PARAMS.parks if pk.science_city]
FULL = PARAMS["offices.full_occupancy"]

# name -> (parameter overrides by group, seeds, posterior)
CASES: dict[str, tuple[dict[str, dict[str, float]], range, bool]] = {
    "baseline": ({}, range(1, 4), True),
    "baseline_no_posterior": ({}, range(1, 4), False),
    "office_starved": (
        {
            "init": {"workforce_jan_2021": 20000},
            "offices": {"developer_delivery": 0.0},
            "demand": {"growth_scale": 3.0},
        },
        range(1, 4),
        False,
    ),
    # A sector of 10,000 people in 2021, far smaller than its parks, whose markets grow fast.
    # (From a few thousand people the model runs away in most seeds: vacancies far above
    # seekers pull in migrants without bound until the worker table's limit stops the run; a
    # known defect, in the README's "What the model gets wrong".)
    "small_start": (
        {"init": {"workforce_jan_2021": 10000}, "demand": {"growth_scale": 3.0}},
        range(1, 4),
        False,
    ),
    "restless_office_starved": (
        {
            "init": {"workforce_jan_2021": 20000},
            "offices": {"developer_delivery": 0.0},
            "demand": {"growth_scale": 3.0},
            # restless firms, but not so restless that moves keep every park below full
            "firms": {"relocation_probability": 0.05},
        },
        range(1, 4),
        False,
    ),
}


def _scenario_file(folder: Path, name: str, overrides: dict[str, dict[str, float]]) -> Path:
    tables = "".join(
        f"\n[parameters.{group}]\n"
        + "".join(f"{key} = {value!r}\n" for key, value in values.items())
        for group, values in overrides.items()
    )
    body = f"name = {json.dumps(name)}\nextends = {json.dumps(str(BASELINE))}\n{tables}"
    path = folder / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, list[pd.DataFrame]]:
    """Each case's replicates as wide tables (one row per month, one column per metric)."""
    folder = tmp_path_factory.mktemp("invariants")
    out = {}
    for name, (overrides, seeds, posterior) in CASES.items():
        path = _scenario_file(folder, name, overrides) if overrides else BASELINE
        result = sim.run(
            path,
            replicates=len(seeds),
            seed=seeds.start,
            end=END,
            posterior=None if posterior else False,
        )
        out[name] = [result.wide(k) for k in range(len(seeds))]
    return out


def _replicates(runs: dict[str, list[pd.DataFrame]]):
    for name, tables in runs.items():
        for k, wide in enumerate(tables):
            yield f"{name}[{k}]", wide


# ------------------------------------------------------------------------------ office space


def test_no_park_is_ever_more_than_full(runs):
    # Firms moving in (with their staff) and hiring (whole worker agents) may only take space a
    # park has free below offices.full_occupancy, shared among all of the month's claims on it;
    # all parks start below it, so occupancy stays at most that: by construction, not by
    # clipping the metric. 'Outside any park' has whatever space it needs and is not checked.
    for label, wide in _replicates(runs):
        occupancy = wide[[f"park.{pid}.occupancy" for pid in PARKS]]
        worst = occupancy.max().max()
        assert worst <= 1.0, (label, occupancy.max()[occupancy.max() > 1.0].to_dict())
        assert worst <= FULL + 1e-9, (label, occupancy.max()[occupancy.max() > FULL].to_dict())
        occupied, supplied = wide["occupied_area_m2"], wide["office_area_m2"]
        assert (occupied <= supplied).all(), label
        assert (occupied <= FULL * supplied * (1 + 1e-12)).all(), label


def test_stressed_starts_do_fill_their_parks(runs):
    # The stressed cases must press on the limit, else the test above proves nothing.
    for name in ("office_starved", "small_start", "restless_office_starved"):
        occupancy = pd.concat(runs[name])[[f"park.{pid}.occupancy" for pid in PARKS]]
        assert occupancy.max().max() > FULL - 0.01, (name, occupancy.max().max())


# ------------------------------------------------------------------------------ stocks


STOCKS = [
    "workforce",
    "job_seekers",
    "people_in_city",
    "firms",
    "firms_rev_10m_plus",
    "firms_rev_100m_plus",
    "firms_rev_1bn_plus",
    "firms_rev_10bn_plus",
    "sc_firms",
    "sc_firms_above_scale",
    "office_area_m2",
    "occupied_area_m2",
    "vacancies",
]


def test_no_negative_stock(runs):
    for label, wide in _replicates(runs):
        columns = STOCKS + [f"park.{pid}.firms" for pid in PARAMS.park_ids]
        values = wide[columns]
        assert not values.isna().any().any(), label
        negative = values.min()[values.min() < 0]
        assert negative.empty, (label, negative.to_dict())


# ------------------------------------------------------------------------------ accounting


def test_firm_count_moves_by_entries_less_exits(runs):
    # From the second month on: the first month's entries and exits start from the Jan-2021
    # stock, which is not recorded.
    for label, wide in _replicates(runs):
        firms = wide["firms"].to_numpy()
        change = wide["firm_entries"].to_numpy()[1:] - wide["firm_exits"].to_numpy()[1:]
        np.testing.assert_allclose(np.diff(firms), change, rtol=0, atol=1e-6, err_msg=label)


def test_people_in_city_are_workforce_plus_seekers(runs):
    for label, wide in _replicates(runs):
        np.testing.assert_array_equal(
            wide["workforce"] + wide["job_seekers"], wide["people_in_city"], err_msg=label
        )


def test_policy_cost_is_the_sum_of_its_kinds(runs):
    kinds = [f"policy_cost_{kind}_bn_yuan" for kind in POLICY_KINDS]
    for label, wide in _replicates(runs):
        np.testing.assert_allclose(
            wide[kinds].sum(axis=1),
            wide["policy_cost_bn_yuan"],
            rtol=1e-9,
            atol=1e-12,
            err_msg=label,
        )


def test_revenue_and_firms_add_up_over_parks(runs):
    # Both sides count the firms alive at month end: the last month's revenue of a firm that
    # closes in the month is in neither (about 0.07% of revenue in the baseline).
    for label, wide in _replicates(runs):
        park_revenue = wide[[f"park.{pid}.revenue_bn_yuan" for pid in PARAMS.park_ids]]
        np.testing.assert_allclose(
            park_revenue.sum(axis=1), wide["revenue_bn_yuan"], rtol=1e-9, err_msg=label
        )
        sc_revenue = wide[[f"park.{pid}.revenue_bn_yuan" for pid in SCIENCE_CITY]]
        np.testing.assert_allclose(
            sc_revenue.sum(axis=1), wide["sc_revenue_bn_yuan"], rtol=1e-9, err_msg=label
        )
        park_firms = wide[[f"park.{pid}.firms" for pid in PARAMS.park_ids]]
        np.testing.assert_allclose(
            park_firms.sum(axis=1), wide["firms"], rtol=0, atol=1e-6, err_msg=label
        )
        sc_firms = wide[[f"park.{pid}.firms" for pid in SCIENCE_CITY]]
        np.testing.assert_allclose(
            sc_firms.sum(axis=1), wide["sc_firms"], rtol=0, atol=1e-6, err_msg=label
        )


# ------------------------------------------------------------------------------ the space rule


def test_fit_in_parks_grants_no_more_than_each_parks_room():
    from sim.month.parks import fit_in_parks

    rng = np.random.default_rng(0)
    park = rng.integers(0, 4, 200)
    amount = rng.integers(0, 6, 200)
    room = np.array([0.0, 7.0, 40.0, np.inf])
    for partial in (True, False):
        granted = fit_in_parks(park, amount, room, rng.random(200), partial)
        assert ((granted >= 0) & (granted <= amount)).all()
        used = np.bincount(park, weights=granted, minlength=4)
        assert (used <= room).all(), used
        asked = np.bincount(park, weights=amount, minlength=4)
        # A park grants everything it can: all claims when they fit, else (partial) its room.
        assert used[3] == asked[3]
        if partial:
            np.testing.assert_array_equal(used, np.minimum(asked, room))
        else:
            assert set(np.unique(granted[amount > 0] / amount[amount > 0])) <= {0.0, 1.0}
            assert used[1] > room[1] - amount.max()  # stops only when the next one won't fit


def _fit_one_by_one(park, amount, room, order, partial):
    """fit_in_parks written plainly: in each park, claims in ``order`` while they fit (a whole
    claim that does not fit is refused, and what it asked still counts against the ones after
    it: movers queue in order, and the queue stops there)."""
    granted = np.zeros(len(amount))
    left = {int(p): float(r) for p, r in enumerate(room)}
    for i in sorted(range(len(amount)), key=lambda i: (park[i], order[i])):
        want = float(amount[i])
        if partial:
            got = min(want, max(left[park[i]], 0.0))
        else:
            got = want if want <= left[park[i]] else 0.0
        granted[i] = got
        left[park[i]] -= got if partial else want
    return granted


@settings(max_examples=200, deadline=None)
@given(
    claims=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6)), min_size=1, max_size=40),
    room=st.lists(st.integers(0, 30), min_size=4, max_size=4),
    seed=st.integers(0, 2**32 - 1),
    partial=st.booleans(),
)
def test_fit_in_parks_admits_claims_in_their_order_while_they_fit(claims, room, seed, partial):
    """Whole claims, zero claims among them: granted exactly as one by one in their order."""
    from sim.month.parks import fit_in_parks

    park = np.array([c[0] for c in claims])
    amount = np.array([c[1] for c in claims], dtype=np.int64)
    order = np.random.default_rng(seed).random(len(claims))
    room_ = np.array(room, dtype=float)
    granted = fit_in_parks(park, amount, room_, order, partial)
    np.testing.assert_array_equal(granted, _fit_one_by_one(park, amount, room_, order, partial))


# ------------------------------------------------------------------------------ the library check


@pytest.fixture(scope="module")
def baseline_long():
    return sim.run(BASELINE, replicates=1, seed=1, end="2022-06").trajectories


@pytest.mark.parametrize(
    ("metric", "change", "fragment"),
    [
        ("park.jinfeng_software.occupancy", 1.05, "occupancy of jinfeng_software above 1"),
        ("job_seekers", -10.0, "negative job_seekers"),
        ("firm_entries", 7.0, "firms(t) - firms(t-1) != entries - exits"),
        ("people_in_city", 10.0, "people in the labour market != workforce + job seekers"),
        ("policy_cost_talent_bn_yuan", 0.5, "policy cost != sum of costs by kind"),
        ("park.outside.revenue_bn_yuan", 1.0, "revenue != sum of the parks' revenue"),
        ("park.jinfeng_software.firms", 3.0, "firms != sum of the parks' firms"),
    ],
)
def test_the_library_check_holds_on_a_run_and_catches_each_break(
    baseline_long, metric, change, fragment
):
    """sim.invariants (what the fuzz test relies on) passes a real run and flags each break."""
    from sim.invariants import violations

    assert violations(baseline_long) == []
    broken = baseline_long.copy()
    row = (broken["metric"] == metric) & (broken["date"] == broken["date"].max())
    broken.loc[row, "value"] = (
        change
        if metric.endswith("occupancy") or change < 0
        else (broken.loc[row, "value"] + change)
    )
    found = violations(broken)
    assert any(fragment in line for line in found), found


# --------------------------------------------------------------------- the trailing revenue


@settings(max_examples=200, deadline=None)
@given(
    firms=st.integers(0, 40),
    seed=st.integers(0, 2**32 - 1),
    spread=st.floats(0, 30),
    zeros=st.floats(0, 1),
)
def test_twelve_month_totals_are_numpys_sums_bit_for_bit(firms, seed, spread, zeros):
    """A firm's trailing revenue is the same number numpy's own sum of its 12 months gives."""
    from sim.state import twelve_month_totals

    rng = np.random.default_rng(seed)
    by_month = rng.lognormal(10, spread, (12, firms)) * (rng.random((12, firms)) >= zeros)
    expected = np.ascontiguousarray(by_month.T).sum(axis=1)
    assert twelve_month_totals(by_month).tobytes() == expected.tobytes()
    out = np.full(firms, np.nan)
    twelve_month_totals(by_month, out=out)
    assert out.tobytes() == expected.tobytes()


def test_trailing_revenue_is_each_firms_revenue_of_the_last_12_months():
    """The annual revenue the statistics count: the firm's last 12 monthly revenues."""
    from sim.model import ClusterModel
    from sim.runner import resolve

    model = ClusterModel(resolve(BASELINE, end="2022-10"), rng=5)
    monthly: list[np.ndarray] = []
    while model.running:
        model.step()
        monthly.append(model.firms.revenue[: model.firms.n].copy())
    n = monthly[-13].size  # firms that existed 13 months ago: a full year of revenue since
    last_year = np.sum([r[:n] for r in monthly[-12:]], axis=0)
    trailing = model.firms.trailing_revenue[:n]
    assert (trailing > 0).mean() > 0.5
    np.testing.assert_allclose(trailing, last_year, rtol=1e-12, atol=1e-6)
    months_13 = last_year + monthly[-13][:n]
    assert not np.allclose(trailing, months_13, rtol=1e-9)  # not 13 months, not all time
