"""1. Policy calendar: the month opens; policies book what they pay whatever the take-up.

Which policies are in force is a matter of their months (:meth:`sim.policies.Policy.active`),
read by every later process; here each kind's ``calendar`` hook books its standing costs (the
school places of talent packages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.core import ClusterSim


def open_month(m: ClusterSim) -> None:
    """Clear the month's ledger and flows; book the policies' standing costs."""
    m.costs = {}
    m.month_flows = {}
    m.policies.run("calendar")
