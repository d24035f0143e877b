"""Compare scenarios with the same seeds: paired differences, targets, costs, attribution."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd

from analysis.attribution import attributions
from analysis.tables import attainment, cost_ledger, paired_differences
from sim.outputs import output_folder
from sim.params import Parameters, load_parameters
from sim.runner import resolve, run_many
from sim.scenario import Scenario, ScenarioError

COUNTERFACTUAL_SUFFIX = "__no_policy"


@dataclass
class Comparison:
    """Several scenarios run with the same seeds, and what a planner reads from them.

    Attributes:
        names: scenario names in the order given; the first is the base of the differences.
        trajectories: every run, long format (scenarios and the no-policy counterfactual).
        counterfactual: name of the same-seed run without any policy.
        paired: paired differences against the base, per scenario, metric and year.
        attainment: per scenario and target: probability met, expected gap, first year met.
        costs: cost ledger per scenario against the counterfactual.
        attribution: Shapley split of each package's effect among its policy kinds.
        manifest: resolved scenarios, seeds, settings.

    """

    names: list[str]
    trajectories: pd.DataFrame
    counterfactual: str
    paired: pd.DataFrame
    attainment: pd.DataFrame
    costs: pd.DataFrame
    attribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    manifest: dict = field(default_factory=dict)

    FILES: ClassVar[dict[str, str]] = {
        "paired": "paired_differences.csv",
        "attainment": "attainment.csv",
        "costs": "cost_ledger.csv",
        "attribution": "attribution.csv",
    }

    def write(self, out_dir: str | Path, *, force: bool = False) -> Path:
        """Write every table (CSV), the trajectories (Parquet) and the manifest as one folder.

        The folder is replaced as one unit, keeping files cqsim did not write (see
        :mod:`sim.outputs`); a folder that is not a cqsim output is refused unless ``force``.
        """
        with output_folder(out_dir, kind="compare", force=force) as tmp:
            self.trajectories.to_parquet(tmp / "trajectories.parquet", index=False)
            for attr, name in self.FILES.items():
                table = getattr(self, attr)
                if not table.empty:
                    table.to_csv(tmp / name, index=False)
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str))
        return Path(out_dir)

    @classmethod
    def load(cls, folder: str | Path) -> Comparison:
        """Read a comparison folder written by :meth:`write`."""
        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        tables = {}
        for attr, name in cls.FILES.items():
            path = folder / name
            tables[attr] = pd.read_csv(path) if path.exists() else pd.DataFrame()
        return cls(
            names=manifest["names"],
            trajectories=pd.read_parquet(folder / "trajectories.parquet"),
            counterfactual=manifest["counterfactual"],
            manifest=manifest,
            **tables,
        )


def unique_names(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, a repeated name getting a suffix (``_2``, ``_3``) so each is told apart."""
    seen: dict[str, int] = {}
    out = []
    for sc in scenarios:
        count = seen.get(sc.name, 0)
        seen[sc.name] = count + 1
        out.append(sc if count == 0 else sc.model_copy(update={"name": f"{sc.name}_{count + 1}"}))
    return out


def compare(
    scenarios: list[str | Path | Scenario],
    replicates: int | None = None,
    seed: int | None = None,
    *,
    end: str | None = None,
    scale: int | None = None,
    workers: int = 1,
    attribute: bool = True,
    attribution_year: int = 2025,
    attribution_orderings: int | None = None,
    params: Parameters | None = None,
    progress: bool = False,
) -> Comparison:
    """Run scenarios with the same seeds and build every comparison table.

    The first scenario is the base for paired differences. A same-seed run of the base without
    any policy is the counterfactual for the cost ledger. With ``attribute``, each scenario with
    policies gets a Shapley split of its effect in ``attribution_year`` among its policy kinds:
    exact, or estimated from ``attribution_orderings`` sampled orderings of the kinds.
    """
    params = params or load_parameters()
    resolved = unique_names([resolve(s, scale=scale, end=end, params=params) for s in scenarios])
    base = resolved[0]
    for sc in resolved[1:]:
        if sc.run.start != base.run.start or sc.run.end != base.run.end:
            raise ScenarioError(
                sc.source or sc.name,
                "run",
                f"runs {sc.run.start} to {sc.run.end}, but the base runs {base.run.start} to "
                f"{base.run.end}; compared scenarios must cover the same months (use --end)",
            )
    replicates = base.run.replicates if replicates is None else replicates
    seed = base.run.seed if seed is None else seed
    counterfactual = base.model_copy(
        update={"name": base.name + COUNTERFACTUAL_SUFFIX, "policies": []}
    )
    results = run_many(
        [*resolved, counterfactual],
        replicates=replicates,
        seed=seed,
        workers=workers,
        params=params,
        progress=progress,
        label="compare",
    )
    trajectories = pd.concat([r.trajectories for r in results], ignore_index=True)
    trajectories["scenario"] = trajectories["scenario"].astype(str).astype("category")
    trajectories["metric"] = trajectories["metric"].astype(str).astype("category")
    scenario_runs = trajectories[trajectories["scenario"] != counterfactual.name]
    last_year = int(trajectories["date"].dt.year.max())
    ledger_year = min(attribution_year, last_year)
    costs = cost_ledger(scenario_runs, results[-1].trajectories, year=ledger_year).set_index(
        "scenario"
    )
    costs = costs.reindex([sc.name for sc in resolved if sc.policies]).reset_index()
    shares = pd.DataFrame()
    if attribute and attribution_year <= last_year:
        packages = [sc for sc in resolved if sc.policies]
        if packages:
            shares = attributions(
                packages,
                replicates,
                seed,
                year=attribution_year,
                workers=workers,
                progress=progress,
                params=params,
                known=zip([*resolved, counterfactual], results, strict=True),
                orderings=attribution_orderings,
            )
    manifest = {
        "names": [sc.name for sc in resolved],
        "base": base.name,
        "counterfactual": counterfactual.name,
        "scenarios": {sc.name: sc.model_dump(mode="json") for sc in resolved},
        "replicates": replicates,
        "base_seed": seed,
        "seeds": [seed + k for k in range(replicates)],
        "attribution_year": attribution_year if not shares.empty else None,
        "attribution_orderings": attribution_orderings if not shares.empty else None,
        "warnings": [w for r in results[:-1] for w in r.manifest["warnings"]],
        "created": results[0].manifest["created"],
        "versions": results[0].manifest["versions"],
        "git_revision": results[0].manifest["git_revision"],
    }
    return Comparison(
        names=[sc.name for sc in resolved],
        trajectories=trajectories,
        counterfactual=counterfactual.name,
        paired=paired_differences(scenario_runs, base.name),
        attainment=attainment(scenario_runs),
        costs=costs,
        attribution=shares,
        manifest=manifest,
    )
