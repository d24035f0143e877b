"""7. Migration: people arrive in and leave the city's software labour market.

People weigh the city's wages (relative to their trend) and what policies offer them (the
``attraction`` hook: talent packages) against outside options, with the semi-elasticity
``migration.income_elasticity``: migrants and local graduates arrive (more when jobs are
plentiful, ``migration.tightness_elasticity``), workers leave (fewer when policies pay them:
``departures``). People also move into the sector from the city's other occupations: switchers,
more when the sector's jobs are plentiful and its wages high (``labour.switch_base``), and
trainees of policies' training places (``trainees``). Household registration: migrants hold one
outside Chongqing unless they are returnees (``migration.returnee_share``); local graduates
unless they came from elsewhere to study (``labour.graduate_outside_hukou_share``); switchers
and trainees are locals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.month.draws import candidates, stochastic_round
from sim.month.ramp import add_shortfall
from sim.state import NEVER_ARRIVED, WorkerStatus

if TYPE_CHECKING:
    from sim.core import ClusterSim

# Worker rows of people who left are dropped once they are this share of the table (a matter of
# memory and speed; it changes which random draw falls on which row, not their distribution).
COMPACT_GONE_SHARE = 0.3


def migrate(m: ClusterSim) -> None:
    """People arrive and leave."""
    p = m.params
    mig = p.migration
    rng = m.stream("migration")
    w = m.workers
    n = w.n
    k = m.scale
    wage = m.wage_index
    gain = m.policies.total("attraction", wage)
    attraction = np.exp(mig.income_elasticity * (np.log(m.relative_wage) + gain))

    # Departures: fewer where the city's wages are high and where policies pay people to stay.
    # Drawn by thinning: candidates at a fixed rate no one's chance exceeds (policies only
    # lower chances), each kept with its own chance over that rate. In distribution exactly one
    # draw per person, and, as with one, a person's draw does not depend on the others'.
    status = w.status[:n]
    firm_wage = m.firm_wage()
    keep_factor = np.exp(-mig.income_elasticity * np.log(m.relative_wage))
    by_status = np.zeros(WorkerStatus.COUNT)
    by_status[WorkerStatus.EMPLOYED] = mig.out_rate_employed * keep_factor
    by_status[WorkerStatus.SEEKING] = mig.out_rate_seeker * keep_factor
    # the largest chance anyone can have (at either bound of the relative wage): fixed for the
    # run, so that scenarios on a seed share their candidates
    log_wages = np.log([p.labour.relative_wage_min, p.labour.relative_wage_max, m.relative_wage])
    largest_keep = float(np.exp(-mig.income_elasticity * log_wages).max())
    p_cap = min(1.0, max(mig.out_rate_employed, mig.out_rate_seeker) * largest_keep)
    rows = candidates(rng, n, p_cap)
    draws = rng.random(rows.size) * p_cap
    threshold = by_status[status[rows]]
    m.policies.run("departures", rows, threshold, firm_wage)
    if threshold.size and threshold.max() > p_cap:  # a hook broke its contract
        raise RuntimeError("a policy's departures hook raised a chance of leaving above the cap")
    leave_rows = rows[draws < threshold]
    left_rows = leave_rows[status[leave_rows] == WorkerStatus.EMPLOYED]
    left_jobs = w.employer[left_rows]
    m.firms.staff[: m.firms.n] -= np.bincount(left_jobs, minlength=m.firms.n)[: m.firms.n]
    m.staff_changed()
    add_shortfall(m, left_rows, left_jobs, -1)
    status[leave_rows] = WorkerStatus.GONE
    w.employer[leave_rows] = -1
    m.month_flows["out_migrants"] = float(leave_rows.size * k)

    # Arrivals.
    inflow = mig.in_base * attraction * m.tightness**mig.tightness_elasticity
    migrants = int(rng.poisson(inflow / k))
    calendar_month = (m.start_month + m.month) % 12 + 1
    graduates = 0
    if calendar_month == int(p.labour.graduate_month):
        stay = min(1.0, p.labour.graduate_stay_share * attraction)
        graduates = int(stochastic_round(p.labour.graduates_per_year * stay / k, rng))
    trainees_people = m.policies.total("trainees")
    trainees = int(stochastic_round(trainees_people / k, rng)) if trainees_people else 0
    m.policies.run("arrivals", (migrants + graduates) * k)
    lab = p.labour
    switching = (
        lab.switch_base
        * m.tightness**lab.switch_tightness_elasticity
        * np.exp(mig.income_elasticity * np.log(m.relative_wage))
    )
    switchers = int(rng.poisson(switching / k))
    total = migrants + graduates + trainees + switchers
    if total:
        arrived = np.full(total, m.month, dtype=np.int32)
        arrived[migrants + graduates :] = NEVER_ARRIVED  # locals from other jobs: not new talent
        outside_share = np.concatenate(
            [
                np.full(migrants, 1 - mig.returnee_share),
                np.full(graduates, lab.graduate_outside_hukou_share),
                np.zeros(trainees + switchers),
            ]
        )
        w.add(
            total,
            month=m.month,
            status=WorkerStatus.SEEKING,
            employer=-1,
            arrived=arrived,
            family=rng.random(total) < mig.family_share,
            outside_hukou=rng.random(total) < outside_share,
        )
    m.month_flows["in_migrants"] = float(migrants * k)
    m.month_flows["graduates_entering"] = float(graduates * k)
    m.month_flows["trainees"] = float(trainees * k)
    m.month_flows["local_switchers"] = float(switchers * k)

    gone = w.status[: w.n] == WorkerStatus.GONE
    if np.count_nonzero(gone) > COMPACT_GONE_SHARE * w.n:
        w.keep(~gone)
