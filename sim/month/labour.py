"""6. Labour market: separations, then job seekers and vacancies meet; the wage level drifts.

Workers of closed firms, those laid off and those who quit join the job seekers. Seekers and
vacancies meet through a Cobb-Douglas matching function (``labour.matching_efficiency``,
``labour.matching_elasticity``). The city's wage level, relative to its trend, drifts with the
ratio of vacancies to seekers (``labour.wage_tightness_response``), within
``labour.relative_wage_min`` and ``labour.relative_wage_max``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.month.draws import stochastic_round
from sim.state import WorkerStatus

if TYPE_CHECKING:
    from sim.model import ClusterModel


def match_labour(m: ClusterModel) -> None:
    """Separations, then matching of job seekers to vacancies."""
    p = m.params.labour
    rng = m.stream("labour")
    w = m.workers
    f = m.firms
    n = w.n
    status = w.status[:n]
    employed = status == WorkerStatus.EMPLOYED
    # Per firm, the chance that one of its workers separates this month: everyone if the firm
    # closed, else its lay-off share plus the quit rate. (Employer -1 rows are masked out.)
    alive = f.alive[: f.n]
    firm_threshold = np.where(alive, f.layoff_share[: f.n] + p.quit_rate, 2.0)
    u = rng.random(n, dtype=np.float32)
    separated = employed & (u < firm_threshold[w.employer[:n]])
    status[separated] = WorkerStatus.SEEKING
    w.employer[:n][separated] = -1
    m.month_flows["separations"] = float(np.count_nonzero(separated) * m.scale)

    vac = np.where(f.alive[: f.n], f.vacancies[: f.n], 0)
    seekers = np.flatnonzero(status == WorkerStatus.SEEKING)
    v_total, u_total = int(vac.sum()), seekers.size
    m.tightness = (v_total + 1.0) / (u_total + 1.0)
    if v_total and u_total:
        flow = (
            p.matching_efficiency
            * v_total**p.matching_elasticity
            * u_total ** (1 - p.matching_elasticity)
        )
        matches = int(min(v_total, u_total, stochastic_round(flow, rng)))
        hired = rng.choice(seekers, size=matches, replace=False)
        # Which vacancies are filled: `matches` of the v_total slots, drawn without replacement
        # as counts per firm (multivariate hypergeometric), so no array of every slot is built
        # however many vacancies firms post. The seekers were drawn in random order.
        hiring = np.flatnonzero(vac)
        filled = rng.multivariate_hypergeometric(vac[hiring], matches, method="marginals")
        firms_hiring = np.repeat(hiring, filled)
        status[hired] = WorkerStatus.EMPLOYED
        w.employer[hired] = firms_hiring
    else:
        matches = 0
    m.vacancies_total = v_total - matches
    m.month_flows["hires"] = float(matches * m.scale)
    f.staff[: f.n] = m.employed_count()
    drift = np.exp(p.wage_tightness_response / 12 * np.log(m.tightness))
    m.relative_wage = float(
        np.clip(m.relative_wage * drift, p.relative_wage_min, p.relative_wage_max)
    )
