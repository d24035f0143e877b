"""4. Firms: production, profit, rewards, exit, relocation, and hiring or lay-off plans.

Revenue is what the staff can deliver, capped by demand (the market plus public contracts).
New hires ramp up (:mod:`sim.month.ramp`), so a fast-growing firm needs more heads for the same
revenue, and plans its headcount for the effective staff its demand needs.

Profit is revenue less wages, rent and other costs, net of what policies pay (the
``firm_costs`` hook: rent relief, subsidised computing). Firms exit when cash runs out, when
their market no longer supports ``demand.min_viable_staff`` people, or when they never staff up
within ``firms.staffing_grace_months``. Survivors may relocate (:mod:`sim.month.location`),
then plan hiring or lay-offs in their park; hiring only takes space the park has free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.month.draws import stochastic_round
from sim.month.location import relocate_firms
from sim.month.parks import agent_area, fit_in_parks
from sim.month.ramp import shortfall
from sim.state import TRAILING_MONTHS, twelve_month_totals

if TYPE_CHECKING:
    from sim.core import ClusterSim


def operate_firms(m: ClusterSim) -> None:
    """Firms produce, pay, exit, relocate and plan."""
    p = m.params
    rng = m.stream("firms")
    f = m.firms
    n = f.n
    alive = f.alive[:n]
    size = m.firm_size_people()
    prod_now = m.firm_productivity()
    f.effective[:n] = effective_staff(m)
    effective_people = f.effective[:n] * m.scale / f.weight[:n]
    capacity = effective_people * prod_now
    wanted = f.demand[:n] + f.contract[:n]
    revenue = np.where(alive, np.minimum(wanted, capacity), 0.0)
    f.revenue[:n] = revenue

    full_rent = size * p.economy.m2_per_worker * m.parks.rent[f.park[:n]]
    other = revenue * f.other_cost_share[:n]
    relief = m.policies.firm_relief(full_rent, other)
    rent_paid = full_rent if relief.rent is None else full_rent * (1 - relief.rent)
    profit = revenue * (1 - f.other_cost_share[:n]) - size * m.firm_wage() - rent_paid
    if relief.other is not None:
        profit = profit + other * relief.other
    f.profit[:n] = np.where(alive, profit, 0.0)
    f.cash[:n] += f.profit[:n]
    f.revenue_by_month[m.month % TRAILING_MONTHS, :n] = revenue
    twelve_month_totals(f.revenue_by_month[:, :n], out=f.trailing_revenue[:n])
    m.policies.run("firm_rewards")

    age = m.month - f.born[:n]
    exiting = alive & (
        (f.cash[:n] < 0)
        | (wanted < p.demand.min_viable_staff * prod_now)
        | ((f.staff[:n] == 0) & (age >= p.firms.staffing_grace_months))
    )
    exit_rows = np.flatnonzero(exiting)
    f.alive[exit_rows] = False
    f.died[exit_rows] = m.month
    f.vacancies[:n] = 0
    f.layoff_share[:n] = 0.0
    m.month_flows["firm_exits"] = float(f.weight[exit_rows].sum())
    alive = f.alive[:n]
    moved_in = relocate_firms(m)
    plan_staffing(m, wanted, size, effective_people, prod_now, moved_in, rng)


def effective_staff(m: ClusterSim) -> np.ndarray:
    """Staff agents of each firm row at full productivity: staff less their ramp-up shortfall."""
    f = m.firms
    return np.maximum(f.staff[: f.n] - f.ramp_shortfall[: f.n], 0.0)


def plan_staffing(
    m: ClusterSim,
    wanted: np.ndarray,
    size: np.ndarray,
    effective: np.ndarray,
    prod_now: np.ndarray,
    moved_in: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Vacancies and lay-off shares: firms close part of the gap to the staff demand needs.

    The heads a firm plans for are the effective staff its demand needs over its staff's
    present productivity (a new firm's: a new hire's). Expansion in place needs free office
    space in the park: what is left below full occupancy once this month's movers are in (the
    space a mover leaves is let again next month).
    """
    p = m.params
    f = m.firms
    n = f.n
    alive = f.alive[:n]
    parks = m.parks
    new_hire = 1 - shortfall(m, 0)
    per_head = np.where(size > 0, effective / np.maximum(size, 1e-9), new_hire)
    desired = wanted / prod_now / per_head
    gap = desired - size
    hires = np.where(alive & (gap > 0), gap * p.firms.hiring_speed, 0.0)
    need = np.bincount(
        f.park[:n], weights=f.weight[:n] * hires * p.economy.m2_per_worker, minlength=m.n_parks
    )
    free = np.maximum(0.0, p.offices.full_occupancy * parks.area - parks.occupied - moved_in)
    room = np.where(parks.in_park & (need > 0), np.minimum(1.0, free / np.maximum(need, 1e-9)), 1.0)
    hires *= room[f.park[:n]]
    vacancies = stochastic_round(hires * f.weight[:n] / m.scale, rng)
    # Rounding to whole worker agents must not take a park past its free room: where it would,
    # the park's firms (in random order) keep their vacancies while they fit.
    free_agents = np.where(parks.in_park, np.floor(free / agent_area(m)), np.inf)
    vacancies = fit_in_parks(f.park[:n], vacancies, free_agents, rng.random(n), partial=True)
    f.vacancies[:n] = vacancies
    excess = np.where(alive & (gap < 0), -gap * p.firms.layoff_speed, 0.0)
    f.layoff_share[:n] = np.where(size > 0, np.clip(excess / np.maximum(size, 1e-9), 0, 1), 0.0)
