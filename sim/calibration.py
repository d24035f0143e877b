"""Matching the 2021 starting state to the observed 2021 figures.

Two parameters are marked ``calibrated`` in the parameter file: the January-2021 workforce and
revenue per person. They are set by a fixed-point iteration: run the baseline through 2021 for
several seeds, compare the medians with the observed 2021 revenue (282.4 bn yuan) and December
workforce (263,000), and scale each parameter by observed / modelled. Run
``python -m sim.calibration`` to recompute them after changing the model.
"""

from __future__ import annotations

import numpy as np

from sim.params import load_parameters
from sim.runner import run
from sim.scenario import load_scenario
from sim.targets import aggregate, load_observations


def calibrate_start(
    scenario_path: str = "scenarios/baseline.toml",
    seeds: int = 8,
    iterations: int = 3,
    scale: int = 10,
) -> dict[str, float]:
    """Fixed-point fit of the two starting-state parameters; returns their new values."""
    obs = load_observations().set_index("id")
    revenue_target = float(obs.loc["cq_revenue_2021", "value"])
    workforce_target = float(obs.loc["cq_workforce_2021", "value"])
    base = load_parameters()
    values = {
        "init.productivity_yuan_per_person_month": float(
            base["init.productivity_yuan_per_person_month"]
        ),
        "init.workforce_jan_2021": float(base["init.workforce_jan_2021"]),
    }
    for _ in range(iterations):
        scenario = load_scenario(scenario_path, base)
        scenario = scenario.model_copy(
            update={
                "parameters": {**scenario.parameters, **values},
                "run": scenario.run.model_copy(update={"end": "2021-12", "scale": scale}),
            }
        )
        result = run(scenario, replicates=seeds, seed=1, params=base)
        revenue = np.median(aggregate(result.trajectories, "revenue_bn_yuan", "sum_year", 2021))
        workforce = np.median(aggregate(result.trajectories, "workforce", "december", 2021))
        values["init.productivity_yuan_per_person_month"] *= revenue_target / revenue
        values["init.workforce_jan_2021"] *= workforce_target / workforce
        print(f"revenue 2021 {revenue:.1f} bn yuan, workforce Dec 2021 {workforce:,.0f}")
    return {
        "init.productivity_yuan_per_person_month": round(
            values["init.productivity_yuan_per_person_month"], -1
        ),
        "init.workforce_jan_2021": round(values["init.workforce_jan_2021"], -2),
    }


if __name__ == "__main__":
    for key, value in calibrate_start().items():
        print(f"{key} = {value:g}")
