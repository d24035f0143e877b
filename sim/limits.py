"""Bounds on what one run may use, checked before it starts and while it runs; fiscal warnings.

Every scenario that validates either runs within the memory the ``limits`` parameters allow, or
is refused with a message that says why and what to change:

- before the run, :func:`check_scenario` estimates the people the scenario's policies bring by
  construction (leading enterprises' staff and followers, trainees, the staff that application
  scenarios' contract revenue would employ) and refuses one that would exceed
  ``limits.max_people`` (implausible for the city) or ``limits.max_worker_agents`` at its scale;
- while it runs, the model's tables refuse to grow past ``limits.max_worker_agents`` and
  ``limits.max_firm_agents`` (:class:`~sim.state.Table`), so a run whose dynamics explode stops
  early with :class:`~sim.errors.ResourceLimitError` instead of exhausting memory.

:func:`fiscal_warnings` flags a run whose yearly public cost is implausible against the city's
budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.calendar import parse_month
from sim.errors import ResourceLimitError

if TYPE_CHECKING:
    from sim.params import Parameters
    from sim.scenario import Scenario
    from sim.targets import Trajectories


@dataclass(frozen=True)
class PeopleEstimate:
    """People a scenario brings into the sector by construction, by the key path responsible."""

    parts: dict[str, float]

    @property
    def total(self) -> float:
        """All people, the January 2021 labour market included."""
        return float(sum(self.parts.values()))

    @property
    def largest(self) -> str:
        """The key path (a policy, or a parameter) that contributes most."""
        return max(self.parts, key=self.parts.get)


def estimate_people(scenario: Scenario, params: Parameters) -> PeopleEstimate:
    """An estimate of the people a scenario brings into the sector's labour market.

    Counts the starting labour market, the graduates and migrants of the run at 2021 rates, and
    what each policy adds by construction. It is an order of magnitude, used only to refuse
    scenarios far beyond what the city or the machine can hold.
    """
    p = params.with_overrides(scenario.parameters)
    years = (parse_month(scenario.run.end) - parse_month(scenario.run.start) + 1) / 12
    parts = {
        "parameters.init.workforce_jan_2021": p["init.workforce_jan_2021"]
        * (1 + p["init.job_seekers_share"]),
        "parameters.labour.graduates_per_year": years
        * p["labour.graduates_per_year"]
        * p["labour.graduate_stay_share"],
        "parameters.migration.in_base": years * 12 * p["migration.in_base"],
    }
    for i, pol in enumerate(scenario.policies):
        people = pol.people_estimate(p)
        if people:
            parts[f"policies[{i}]"] = people
    return PeopleEstimate(parts)


def check_scenario(scenario: Scenario, params: Parameters) -> None:
    """Refuse, before it runs, a scenario that would exceed the people or agent limits.

    Raises:
        ResourceLimitError: naming the scenario file and the policy that contributes most.

    """
    estimate = estimate_people(scenario, params)
    p = params.with_overrides(scenario.parameters)
    people = estimate.total
    culprit = estimate.largest
    where = f" ({culprit} alone brings about {estimate.parts[culprit]:,.0f})"
    if people > p["limits.max_people"]:
        raise ResourceLimitError(
            scenario.source or scenario.name,
            culprit,
            f"this scenario would bring about {people:,.0f} people into the sector{where}, "
            f"more than limits.max_people = {p['limits.max_people']:,.0f} (about ten times "
            "the sector in 2025): lower it",
        )
    agents = people / scenario.run.scale
    cap = p["limits.max_worker_agents"]
    if agents > cap:
        scale = int(np.ceil(people / cap))
        raise ResourceLimitError(
            scenario.source or scenario.name,
            "run.scale",
            f"at scale {scenario.run.scale} this scenario would create about {agents:,.0f} "
            f"worker agents{where}, more than limits.max_worker_agents = {cap:,.0f} "
            f"(about 0.5 GB): use scale {scale} or more (--scale {scale})",
        )


def capacity_message(table: str, limit: int, month: str, scale: int) -> str:
    """What to tell the user when a run's table reaches its limit."""
    what = "worker" if table == "workers" else "firm"
    return (
        f"the run reached {limit:,} {what} agents in {month} (limits.max_{what}_agents), "
        f"so it was stopped before it used more memory: the scenario grows the sector far "
        f"beyond anything observed; lower its policy amounts, or raise the scale (now {scale})"
    )


def raise_capacity(scenario: Scenario, table: str, limit: int, month: str, scale: int) -> None:
    """Raise the ResourceLimitError of a run stopped at a table's limit."""
    raise ResourceLimitError(
        scenario.source or scenario.name,
        f"limits.max_{'worker' if table == 'workers' else 'firm'}_agents",
        capacity_message(table, limit, month, scale),
    )


def fiscal_warnings(trajectories: Trajectories, params: Parameters) -> list[str]:
    """Warnings for years whose public policy cost is implausible against the city's budget.

    ``trajectories``: a run's long-format table (any number of scenarios) or its arrays.
    """
    from sim.monthly import MonthlyValues
    from sim.targets import records as records_of
    from sim.targets import replicates_by_month, years_and_months

    if isinstance(trajectories, MonthlyValues):
        parts = [(trajectories.scenario, trajectories)]
    else:
        by_name = trajectories["scenario"].astype(str)
        parts = [(name, trajectories[by_name == name]) for name in sorted(by_name.unique())]
    budget = params["limits.city_budget_bn_yuan_year"]
    share = params["limits.fiscal_warning_share"]
    out = []
    for scenario, part in parts:
        if "policy_cost_bn_yuan" not in records_of(part):
            continue
        _, dates, cost = replicates_by_month(part, "policy_cost_bn_yuan")
        years = years_and_months(dates)[0]
        calendar_years = np.unique(years).tolist()
        per_year = np.stack([np.nansum(cost[:, years == y], axis=1) for y in calendar_years])
        median = np.median(per_year, axis=1)
        high = median > share * budget
        if not high.any():
            continue
        worst = int(np.argmax(np.where(high, median, -np.inf)))
        year, amount = calendar_years[worst], float(median[worst])
        out.append(
            f"{scenario}: the policies cost {amount:,.1f} bn yuan in {year} (median over "
            f"replicates), {amount / budget:.0%} of the city's general public budget of "
            f"{budget:,.0f} bn yuan a year; above {share:.0%} it is implausible for one "
            "sector's programme: check the policy amounts"
        )
    return out
