"""Monthly metrics: names, units, and the recorder that fills them.

Flows are per month, stocks at month end, money in bn yuan. Names listed in :data:`METRICS`
are a stable contract (design.md, 'Outputs'); park-level and per-policy-kind metrics follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.policies import KINDS, cost_metric
from sim.state import WorkerStatus

if TYPE_CHECKING:
    from sim.core import ClusterSim

METRICS: dict[str, str] = {
    "revenue_bn_yuan": "revenue of the sector's firms in the month, bn yuan",
    "sc_revenue_bn_yuan": "revenue of firms in Western (Chongqing) Science City parks, bn yuan",
    "workforce": "people employed by the sector's firms, month end",
    "job_seekers": "people looking for a job in the sector, month end",
    "firms": "firms alive at month end",
    "firm_entries": "firms created in the month",
    "firm_exits": "firms closed in the month",
    "firms_rev_10m_plus": "firms with trailing-12-month revenue >= 10 m yuan",
    "firms_rev_100m_plus": "firms with trailing-12-month revenue >= 100 m yuan",
    "firms_rev_1bn_plus": "firms with trailing-12-month revenue >= 1 bn yuan",
    "firms_rev_10bn_plus": "firms with trailing-12-month revenue >= 10 bn yuan",
    "office_area_m2": "office area supplied in the software parks, m²",
    "occupied_area_m2": "office area used by firms in the software parks, m²",
    "in_migrants": "practitioners arriving from outside Chongqing in the month",
    "out_migrants": "people leaving the city's software labour market in the month",
    "mean_wage_yuan": "mean monthly gross wage of the employed, yuan",
    "policy_cost_bn_yuan": "public spending on all policies in the month, bn yuan",
    "application_scenarios_released": "application-scenario projects released in the month",
    # Further metrics (stable too, but not in the design's list).
    "sc_firms": "firms in Science City parks, month end",
    "sc_firms_above_scale": (
        "Science City firms 'above designated size' (trailing-12-month revenue >= 20 m yuan)"
    ),
    "first_batch_revenue_share": "share of revenue earned in the four first-batch parks",
    "graduates_entering": "local graduates entering the sector's job market in the month",
    "trainees": "people entering from policy training places in the month",
    "hires": "hires in the month",
    "separations": "lay-offs, quits and closures in the month",
    "vacancies": "unfilled vacancies at month end (people)",
    "people_in_city": "people in the sector's labour market (employed + seeking)",
    "firm_relocations": "firms moving park in the month",
    # The measurement layer's statistics (sim.measure): what official figures count.
    "software_revenue_bn_yuan": (
        "software business revenue (MIIT's narrower concept) of the sector's firms, bn yuan"
    ),
    "sc_software_revenue_bn_yuan": "software business revenue of Science City firms, bn yuan",
    "firm_registrations": (
        "firms registered in the month: entrants and registrations that never operate"
    ),
    "firms_started_operating": "firms making their first hire in the month",
    "operating_firms": "firms alive at month end that have hired (operating firms)",
    "firms_above_designated_size": (
        "firms with trailing-12-month revenue >= 20 m yuan (MIIT's 'above designated size')"
    ),
    "firms_in_sector_statistics": (
        "firms with trailing-12-month revenue >= 5 m yuan (MIIT's statistical scope until 2021)"
    ),
    "practitioners_outside_hukou": (
        "people employed by the sector's firms whose household registration is outside "
        "Chongqing, month end"
    ),
    "new_practitioners_from_outside": (
        "people hired into the sector for the first time in the month, hukou outside Chongqing"
    ),
    "new_practitioners_local": (
        "people hired into the sector for the first time in the month, Chongqing hukou"
    ),
    "local_switchers": "people from the city's other occupations entering the sector's job search",
    "programme_office_area_m2": "office area of the programme's buildings (满天星), m²",
    "programme_office_used_m2": "office area of the programme's buildings used by firms, m²",
}
# MIIT's software statistics: a firm is "above designated size" (guimo yishang) from 20 m yuan of
# main business revenue a year (from 2022); until 2021 its statistics covered firms from 5 m.
ABOVE_SCALE_REVENUE_YUAN = 2e7
STATISTICS_SCOPE_2021_YUAN = 5e6
THRESHOLDS = (
    ("firms_rev_10m_plus", 1e7),
    ("firms_rev_100m_plus", 1e8),
    ("firms_rev_1bn_plus", 1e9),
    ("firms_rev_10bn_plus", 1e10),
)


STOCKS = {
    "workforce",
    "job_seekers",
    "firms",
    "firms_rev_10m_plus",
    "firms_rev_100m_plus",
    "firms_rev_1bn_plus",
    "firms_rev_10bn_plus",
    "office_area_m2",
    "occupied_area_m2",
    "mean_wage_yuan",
    "sc_firms",
    "sc_firms_above_scale",
    "first_batch_revenue_share",
    "vacancies",
    "people_in_city",
    "operating_firms",
    "firms_above_designated_size",
    "firms_in_sector_statistics",
    "practitioners_outside_hukou",
    "programme_office_area_m2",
    "programme_office_used_m2",
}


def is_stock(metric: str) -> bool:
    """True for stocks and levels (read in December), False for monthly flows (summed)."""
    if metric.startswith("park."):
        return not metric.endswith(".revenue_bn_yuan")
    return metric in STOCKS


def metric_names(park_ids: list[str]) -> list[str]:
    """All metric names a run records, in order."""
    names = list(METRICS)
    names += [cost_metric(kind) for kind in KINDS]
    for pid in park_ids:
        names += [
            f"park.{pid}.revenue_bn_yuan",
            f"park.{pid}.firms",
            f"park.{pid}.occupancy",
            f"park.{pid}.rent_yuan_m2",
        ]
    return names


class Recorder:
    """Collects every metric for every month into one (months x metrics) array.

    It reads the model and never changes it.
    """

    def __init__(self, model: ClusterSim):
        self.names = metric_names(model.params.park_ids)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.values = np.full((model.n_months, len(self.names)), np.nan)
        self.last = -1  # the last month recorded
        # the columns of each per-park metric, in the parks' order
        self.park_columns = {
            what: np.array([self.index[f"park.{pid}.{what}"] for pid in model.params.park_ids])
            for what in ("revenue_bn_yuan", "firms", "occupancy", "rent_yuan_m2")
        }

    def latest(self, metric: str) -> float:
        """A metric's value in the last month recorded."""
        return float(self.values[self.last, self.index[metric]])

    def record(self, m: ClusterSim) -> None:
        """Write the current month's row."""
        f = m.firms
        parks = m.parks
        n = f.n
        alive = f.alive[:n]
        weight = f.weight[:n] * alive
        size = m.firm_size_people()
        revenue = weight * f.revenue[:n]
        park = f.park[:n]
        park_revenue = np.bincount(park, weights=revenue, minlength=m.n_parks)
        park_firms = np.bincount(park, weights=weight, minlength=m.n_parks)
        total_revenue = revenue.sum()
        employed_people = weight * size
        wage_bill = np.sum(employed_people * m.firm_wage())
        w = m.workers
        status = w.status[: w.n]
        employed = status == WorkerStatus.EMPLOYED
        employed_agents = int(np.count_nonzero(employed))
        seeking_agents = int(np.count_nonzero(status == WorkerStatus.SEEKING))
        workforce = employed_agents * m.scale  # as m.workforce, m.job_seekers, m.people_in_city
        flows = m.month_flows
        costs = m.costs
        row = {
            "revenue_bn_yuan": total_revenue / 1e9,
            "sc_revenue_bn_yuan": park_revenue[parks.science_city].sum() / 1e9,
            "workforce": workforce,
            "job_seekers": seeking_agents * m.scale,
            "firms": weight.sum(),
            "firm_entries": flows.get("firm_entries", 0.0),
            "firm_exits": flows.get("firm_exits", 0.0),
            "office_area_m2": parks.area[parks.in_park].sum(),
            "occupied_area_m2": parks.occupied[parks.in_park].sum(),
            "in_migrants": flows.get("in_migrants", 0.0),
            "out_migrants": flows.get("out_migrants", 0.0),
            "mean_wage_yuan": wage_bill / employed_people.sum() if employed_people.sum() else 0.0,
            "policy_cost_bn_yuan": sum(costs.values()) / 1e9,
            "application_scenarios_released": flows.get("application_scenarios_released", 0),
            "sc_firms": park_firms[parks.science_city].sum(),
            "first_batch_revenue_share": (
                park_revenue[parks.first_batch].sum() / total_revenue if total_revenue else 0.0
            ),
            "graduates_entering": flows.get("graduates_entering", 0.0),
            "trainees": flows.get("trainees", 0.0),
            "hires": flows.get("hires", 0.0),
            "separations": flows.get("separations", 0.0),
            "vacancies": m.vacancies_total * m.scale,
            "people_in_city": (employed_agents + seeking_agents) * m.scale,
            "firm_relocations": flows.get("firm_relocations", 0.0),
        }
        trailing = f.trailing_revenue[:n]
        in_sc = parks.science_city[park]
        row["sc_firms_above_scale"] = weight[in_sc & (trailing >= ABOVE_SCALE_REVENUE_YUAN)].sum()
        row["firms_above_designated_size"] = weight[trailing >= ABOVE_SCALE_REVENUE_YUAN].sum()
        row["firms_in_sector_statistics"] = weight[trailing >= STATISTICS_SCOPE_2021_YUAN].sum()
        row["operating_firms"] = weight[f.operated[:n]].sum()
        share = m.params.economy.software_revenue_share
        row["software_revenue_bn_yuan"] = row["revenue_bn_yuan"] * share
        row["sc_software_revenue_bn_yuan"] = row["sc_revenue_bn_yuan"] * share
        row["practitioners_outside_hukou"] = (
            np.count_nonzero(employed & w.outside_hukou[: w.n]) * m.scale
        )
        for name in (
            "firm_registrations",
            "firms_started_operating",
            "new_practitioners_from_outside",
            "new_practitioners_local",
            "local_switchers",
        ):
            row[name] = flows.get(name, 0.0)
        row["programme_office_area_m2"] = parks.area[parks.programme].sum()
        row["programme_office_used_m2"] = parks.occupied[parks.programme].sum()
        for name, threshold in THRESHOLDS:
            row[name] = weight[trailing >= threshold].sum()
        for kind in KINDS:
            row[cost_metric(kind)] = costs.get(kind, 0.0) / 1e9
        values = self.values[m.month]
        columns = self.park_columns
        values[columns["revenue_bn_yuan"]] = park_revenue / 1e9
        values[columns["firms"]] = park_firms
        values[columns["occupancy"]] = parks.occupancy
        values[columns["rent_yuan_m2"]] = parks.rent
        index = self.index
        for name, value in row.items():
            values[index[name]] = value
        self.last = m.month
