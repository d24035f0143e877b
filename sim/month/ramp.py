"""New hires ramp up to full output: the shortfall each firm's recent hires leave, kept per firm.

A person hired ``tau`` months ago delivers the share
``theta0 + (1 - theta0)(1 - exp(-tau / T))`` of a full person's output
(``labour.new_hire_productivity`` theta0, ``labour.ramp_months`` T). What they fall short,
``(1 - theta0) exp(-tau / T)``, shrinks by the same factor every month, so each firm's total is
one number: added at each hire, taken off at each separation (at the leaver's own shortfall),
and aged once a month. No pass over every worker is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core import ClusterSim


def shortfall(m: ClusterSim, tenure: np.ndarray | int) -> np.ndarray | float:
    """What a person hired ``tenure`` months ago falls short of a full person's output."""
    lab = m.params.labour
    return (1 - lab.new_hire_productivity) * np.exp(-np.asarray(tenure) / ramp_time(m))


def ramp_time(m: ClusterSim) -> float:
    """The ramp-up's time constant in months (``labour.ramp_months``; zero means at once)."""
    return max(m.params.labour.ramp_months, RAMP_AT_ONCE)


RAMP_AT_ONCE = 1e-9
"""A ramp time this short (months) stands for none: hires are at full output the month after."""


def add_shortfall(m: ClusterSim, rows: np.ndarray, employers: np.ndarray, sign: int) -> None:
    """Hires (``sign`` +1) or separations (-1) of worker ``rows`` change their firms' shortfall."""
    f = m.firms
    tenure = m.month - m.workers.hired[rows]
    change = np.bincount(employers, weights=shortfall(m, tenure), minlength=f.n)[: f.n]
    f.ramp_shortfall[: f.n] += sign * change


def age_shortfalls(m: ClusterSim) -> None:
    """A month passes: every firm's shortfall shrinks by the ramp's monthly factor."""
    f = m.firms
    f.ramp_shortfall[: f.n] *= np.exp(-1 / ramp_time(m))
