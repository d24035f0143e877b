"""Mesa used for real: Mesa's conventions build and run the model, and Mesa's tools read it.

Requirements (issue 13): ClusterModel accepts `rng=` and keyword parameters and runs under
`mesa.batch_run`; a `mesa.DataCollector` collects the headline metrics at every step, from the
same arrays the recorder fills; agents are views queried with AgentSet methods; no Firm agent is
made by the month itself.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pytest

import sim
from sim.agents import Firm, Park, Worker
from sim.metrics import METRICS
from sim.model import ClusterModel

SCENARIOS = Path(sim.__file__).resolve().parent.parent / "scenarios"


def test_batch_run_runs_the_model_with_mesas_conventions():
    results = mesa.batch_run(
        ClusterModel,
        parameters={"end": "2022-06", "scale": [20, 40], "labour__quit_rate": 0.015},
        rng=[1, 2],
        max_steps=14,
        data_collection_period=1,
        number_processes=1,
        display_progress=False,
    )
    runs = {(r["scale"], r["RunId"]) for r in results}
    assert len(runs) == 4  # 2 scales x 2 seeds
    steps = sorted({r["Step"] for r in results})
    assert steps[-1] >= 12 and len(steps) >= 13  # collected at every step, not once at the end
    one = [r for r in results if r["scale"] == 20 and r["iteration"] == 0]
    model = ClusterModel(end="2022-06", scale=20, labour__quit_rate=0.015, rng=1)
    for _ in range(14):
        model.step()
    collected = model.datacollector.get_model_vars_dataframe()
    by_step = {r["Step"]: r["workforce"] for r in one}  # batch_run's step s is row s - 1
    assert [by_step[s + 1] for s in range(14)] == collected["workforce"].tolist()


def test_datacollector_reads_the_recorders_arrays_every_month():
    model = ClusterModel(end="2021-12", rng=4)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.n_months
    assert set(METRICS) <= set(frame.columns)
    rec = model.recorder
    for metric in ("revenue_bn_yuan", "workforce", "firms", "policy_cost_bn_yuan"):
        np.testing.assert_array_equal(frame[metric].to_numpy(), rec.values[:, rec.index[metric]])


def test_rng_seeds_the_model_as_cqsim_run_seeds_a_replicate():
    """ClusterModel(rng=s) is the run of `cqsim run baseline -n 1 --seed s`, posterior and all:
    the Mesa model and the Mesa-free core that `cqsim run` steps agree bit for bit."""
    model = ClusterModel(end="2022-12", rng=3)
    model.run()
    result = sim.run(SCENARIOS / "baseline.toml", replicates=1, seed=3, end="2022-12")
    wide = result.wide(0)
    rec = model.recorder
    for metric in rec.names:
        np.testing.assert_array_equal(wide[metric].to_numpy(), rec.values[:, rec.index[metric]])


def test_no_seed_draws_one_and_keeps_it():
    a = ClusterModel(end="2021-03")
    b = ClusterModel(end="2021-03", rng=a.seed)
    a.run()
    b.run()
    np.testing.assert_array_equal(a.recorder.values, b.recorder.values)


def test_unknown_keyword_is_named():
    with pytest.raises(TypeError, match="labour__quit_rat"):
        ClusterModel(end="2021-03", rng=1, labour__quit_rat=0.1)


def test_agents_are_made_only_when_looked_at_and_follow_the_arrays():
    model = ClusterModel(end="2021-06", rng=5, scale=20)
    for _ in range(3):
        model.step()
    assert not model._firm_views and not model._worker_views  # the month made none
    firms = model.agents_by_type[Firm]
    assert len(firms) == int(model.firms.alive[: model.firms.n].sum())
    big = firms.select(lambda f: f.staff >= 100)
    assert len(big) > 0 and all(f.staff >= 100 for f in big)
    parks = model.agents_by_type[Park]
    occupancy = parks.get("occupancy")
    assert max(occupancy[:-1]) <= 1.0  # every park but "outside any park"
    workers = model.agents_by_type[Worker]
    employed = workers.select(lambda w: w.status == "employed")
    assert len(employed) * model.scale == model.workforce
    assert employed.agg("wage_yuan", min) > 0
