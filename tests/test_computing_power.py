"""Subsidised computing power, the seventh policy kind, added as one plug-in file.

Requirements: the kind is found by the registry and appears everywhere kinds are listed (the
scenario schema and reference, the cost metrics, plot labels, the app's levers) without other
code naming it; its spec is validated; it lowers eligible firms' costs (more of them survive,
against the same seeds), books what it pays, and does nothing to firms outside its parks.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.policies import CLASSES, KINDS, LABELS, SPECS, cost_metric
from sim.runner import resolve, simulate
from sim.scenario import ScenarioError

SEEDS = (1, 2, 3, 4)


def computing(write_scenario, share: float, parks=None, end: str = "2030-12") -> object:
    where = f"parks = {parks!r}\n" if parks else ""
    path = write_scenario(
        f"""
        [[policies]]
        kind = "computing_power"
        name = "cheap_compute"
        start = "2021-01"
        end = "{end}"
        share = {share}
        {where}""",
        name=f"compute_{share}.toml",
    )
    return resolve(path, end="2024-12", posterior=False)


def test_the_registry_finds_it_and_every_list_of_kinds_has_it():
    from sim.app.levers import CHOICES, POLICY_NAMES, SLIDERS
    from sim.docs import scenario_reference
    from sim.metrics import metric_names

    assert (
        "computing_power" in KINDS and CLASSES["computing_power"].Spec is SPECS["computing_power"]
    )
    assert LABELS["computing_power"] == "computing power"
    assert cost_metric("computing_power") in metric_names(["outside"])
    assert "### `computing_power`" in scenario_reference()
    assert POLICY_NAMES["computing_power"] == "app_computing_power"
    assert SLIDERS["computing_share"][1:3] == (0.0, 1.0) and "computing_parks" in CHOICES


def test_spec_is_validated(write_scenario):
    with pytest.raises(ScenarioError, match=r"policies\[0\]\.share: input should be less than"):
        computing(write_scenario, 1.5)
    with pytest.raises(ScenarioError, match=r"unknown park 'mingyue_lak'; did you mean"):
        computing(write_scenario, 0.5, parks=["mingyue_lak"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The baseline and full computing subsidies, 2021-2024, the same four seeds."""
    from sim.params import scenarios_dir

    folder = tmp_path_factory.mktemp("compute")
    base = resolve(scenarios_dir() / "baseline.toml", end="2024-12", posterior=False)

    def write_scenario(body, name):
        import textwrap

        path = folder / name
        path.write_text(
            f'name = "{name[:-5]}"\nextends = "{scenarios_dir() / "baseline.toml"}"\n'
            + textwrap.dedent(body)
        )
        return path

    out = {"base": [simulate(base, s) for s in SEEDS]}
    for share in (0.5, 1.0):
        out[share] = [simulate(computing(write_scenario, share), s) for s in SEEDS]
    out["parks"] = [
        simulate(computing(write_scenario, 1.0, parks=["mingyue_lake"]), s) for s in SEEDS
    ]
    return out


def series(model, metric: str) -> np.ndarray:
    return model.recorder.values[:, model.recorder.index[metric]]


def test_cheaper_computing_keeps_more_firms_alive_seed_by_seed(runs):
    for base, cut in zip(runs["base"], runs[1.0], strict=True):
        assert series(cut, "firm_exits").sum() < series(base, "firm_exits").sum()
        assert series(cut, "firms")[-1] > series(base, "firms")[-1]


def test_the_city_books_what_it_pays(runs):
    metric = cost_metric("computing_power")
    for base, half, full in zip(runs["base"], runs[0.5], runs[1.0], strict=True):
        assert not series(base, metric).any()
        # the first month's state is the same: paying twice the share costs exactly twice
        assert series(full, metric)[0] == pytest.approx(2 * series(half, metric)[0], rel=1e-12)
        assert series(full, metric).sum() > 0
        # the relief is a share of other costs: at most share x computing share of revenue
        p = full.params
        most = p.computing.share_of_other_costs * p.economy.other_cost_share_max
        assert series(full, metric)[0] <= most * series(full, "revenue_bn_yuan")[0]


def test_firms_outside_the_named_parks_get_nothing(runs):
    metric = cost_metric("computing_power")
    for model in runs["parks"]:
        park = model.params.park_ids.index("mingyue_lake")
        f = model.firms
        assert series(model, metric).sum() > 0
        pol = model.policies.of("computing_power")[0]
        share = pol.other_cost_share()
        assert (share[f.park[: f.n] != park] == 0).all()
        assert (share[f.park[: f.n] == park] > 0).all()
