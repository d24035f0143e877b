"""Invariants every run's trajectories keep, month by month: checked by tests and the fuzzer.

- parks: occupancy of every park is at most 1, and occupied area at most the area supplied
  (not "outside any park": that market has whatever space it needs, and its recorded
  occupancy is notional, its area being reset each month to its occupied area at the 2021
  vacancy rate);
- stocks: no negative workforce, job seekers, firms, firm counts by revenue, office area or
  vacancies;
- accounting: firms(t) - firms(t-1) = entries(t) - exits(t); people in the labour market =
  workforce + job seekers; total policy cost = the sum of the costs by kind; city revenue = the
  sum of the parks' revenue, and the Science City's the sum of its parks'; firms = the sum of
  the parks' firms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.params import Parameters, load_parameters

NON_NEGATIVE = (
    "workforce",
    "job_seekers",
    "firms",
    "firms_rev_10m_plus",
    "firms_rev_100m_plus",
    "firms_rev_1bn_plus",
    "firms_rev_10bn_plus",
    "office_area_m2",
    "occupied_area_m2",
    "vacancies",
    "people_in_city",
    "revenue_bn_yuan",
    "policy_cost_bn_yuan",
)
RELATIVE_TOLERANCE = 1e-9  # sums of the same numbers in another order


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=1e-6 * np.maximum(1.0, np.abs(b).max()))


def violations(trajectories: pd.DataFrame, params: Parameters | None = None) -> list[str]:
    """Every invariant broken by any replicate of a run, as readable lines (empty: all hold)."""
    params = params or load_parameters()
    out: list[str] = []
    for (scenario, replicate), run in trajectories.groupby(
        [trajectories["scenario"].astype(str), "replicate"], observed=True
    ):
        wide = run.pivot(index="date", columns="metric", values="value")
        wide.columns = wide.columns.astype(str)
        out += [f"{scenario} replicate {replicate}: {v}" for v in _run_violations(wide, params)]
    return out


def _run_violations(wide: pd.DataFrame, params: Parameters) -> list[str]:
    bad: list[str] = []

    def check(ok: np.ndarray, what: str) -> None:
        ok = np.asarray(ok, dtype=bool)
        if not ok.all():
            first = wide.index[np.flatnonzero(~ok)[0]]
            bad.append(f"{what} (first in {pd.Timestamp(first):%Y-%m}, {int((~ok).sum())} months)")

    col = {name: wide[name].to_numpy(dtype=float) for name in wide.columns}
    for park in params.park_ids:
        if park == "outside":
            continue
        occupancy = col.get(f"park.{park}.occupancy")
        if occupancy is not None:
            check(occupancy <= 1.0 + RELATIVE_TOLERANCE, f"occupancy of {park} above 1")
    if "occupied_area_m2" in col and "office_area_m2" in col:
        check(
            col["occupied_area_m2"] <= col["office_area_m2"] * (1 + RELATIVE_TOLERANCE),
            "occupied area above the area supplied",
        )
    for name in NON_NEGATIVE:
        if name in col:
            check(col[name] >= 0, f"negative {name}")
    if {"firms", "firm_entries", "firm_exits"} <= set(col) and len(wide) > 1:
        change = np.diff(col["firms"])
        flows = col["firm_entries"][1:] - col["firm_exits"][1:]
        check(_close(change, flows), "firms(t) - firms(t-1) != entries - exits")
    if {"people_in_city", "workforce", "job_seekers"} <= set(col):
        check(
            _close(col["people_in_city"], col["workforce"] + col["job_seekers"]),
            "people in the labour market != workforce + job seekers",
        )
    by_kind = [c for c in col if c.startswith("policy_cost_") and c != "policy_cost_bn_yuan"]
    if "policy_cost_bn_yuan" in col and by_kind:
        total = np.sum([col[c] for c in by_kind], axis=0)
        check(_close(col["policy_cost_bn_yuan"], total), "policy cost != sum of costs by kind")
    park_revenue = [f"park.{p}.revenue_bn_yuan" for p in params.park_ids]
    if "revenue_bn_yuan" in col and all(c in col for c in park_revenue):
        total = np.sum([col[c] for c in park_revenue], axis=0)
        check(_close(col["revenue_bn_yuan"], total), "revenue != sum of the parks' revenue")
        sc = [f"park.{p.id}.revenue_bn_yuan" for p in params.parks if p.science_city]
        if "sc_revenue_bn_yuan" in col:
            sc_total = np.sum([col[c] for c in sc], axis=0)
            check(
                _close(col["sc_revenue_bn_yuan"], sc_total),
                "Science City revenue != sum of its parks' revenue",
            )
    park_firms = [f"park.{p}.firms" for p in params.park_ids]
    if "firms" in col and all(c in col for c in park_firms):
        total = np.sum([col[c] for c in park_firms], axis=0)
        check(_close(col["firms"], total), "firms != sum of the parks' firms")
    return bad
