"""The month, as named processes: each a vectorised pass over the model's arrays.

In order (:data:`PROCESSES`, which :meth:`sim.core.ClusterSim.step` runs):

1. policy calendar (:mod:`~sim.month.policy_calendar`): the ledger opens; standing costs
2. parks (:mod:`~sim.month.parks`): office space delivered; rents adjust to occupancy
3. demand (:mod:`~sim.month.demand`): markets grow; public projects released and awarded
4. firms (:mod:`~sim.month.firms`, :mod:`~sim.month.location`): revenue, profit, rewards,
   exit, relocation, hiring or lay-off plans
5. entry (:mod:`~sim.month.entry`): local start-ups, inbound firms, firms policies bring
6. labour market (:mod:`~sim.month.labour`): separations, matching, the wage level
7. migration (:mod:`~sim.month.migration`): arrivals and departures
8. close (:func:`~sim.month.parks.close_month`): parks' occupancy at the month's end; then the
   model records every metric

The initial state (January 2021) is :func:`sim.month.initial.populate`. No process loops in
Python over workers or firms; loops run over parks, sectors, policies or kinds (a handful each).
Policies act only through the hooks the processes call (:mod:`sim.policies.base`).
"""

from __future__ import annotations

from sim.month.demand import grow_demand
from sim.month.entry import enter_firms
from sim.month.firms import operate_firms
from sim.month.labour import match_labour
from sim.month.migration import migrate
from sim.month.parks import close_month, update_parks
from sim.month.policy_calendar import open_month

PROCESSES = (
    open_month,
    update_parks,
    grow_demand,
    operate_firms,
    enter_firms,
    match_labour,
    migrate,
    close_month,
)

__all__ = ["PROCESSES"]
