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

from sim.month.draws import candidates, row_uniforms, stochastic_round
from sim.month.ramp import add_shortfall
from sim.state import WorkerStatus

if TYPE_CHECKING:
    from sim.core import ClusterSim

# The most vacancy slots numpy's multivariate hypergeometric draw takes (a numerical limit;
# reached only by exploding inputs, where matches are far fewer than vacancies anyway).
SLOT_LIMIT = 10**9 - 10**6

# Lay-off shares up to this are drawn by thinning, larger ones worker by worker (a matter of
# speed only: either way each worker separates with exactly its own chance).
THINNING_LAYOFF_SHARE = 0.02


def match_labour(m: ClusterSim) -> None:
    """Separations, then matching of job seekers to vacancies."""
    p = m.params.labour
    rng = m.stream("labour")
    w = m.workers
    f = m.firms
    n = w.n
    status = w.status[:n]
    employer = w.employer[:n]
    # Per firm, the chance that one of its workers separates this month: everyone if the firm
    # closed, else its lay-off share plus the quit rate. Each worker's uniform draw is, in
    # effect, drawn in two steps (thinning): whether it is below ``p_cap`` (the candidates: with
    # chance p_cap each, positions drawn as geometric gaps) and, if so, where. Most workers'
    # chance is below p_cap, so only the candidates need a draw; the workers of closed firms and
    # of firms laying off more complete theirs from a draw of their own row. In distribution
    # exactly one uniform per worker, the same one whichever path a worker takes, so scenarios
    # on a seed share their draws as they did with a uniform per row.
    key = int(rng.integers(2**63))  # the rest of the draws of the one-by-one workers
    alive = f.alive[: f.n]
    layoff = f.layoff_share[: f.n]
    firm_threshold = np.where(alive, layoff + p.quit_rate, 2.0)
    p_cap = p.quit_rate + THINNING_LAYOFF_SHARE
    one_by_one = (~alive | (layoff > THINNING_LAYOFF_SHARE)) & (f.staff[: f.n] > 0)
    one_by_one = np.append(one_by_one, False)  # employer -1 (no job) looks up this False
    rows = candidates(rng, n, p_cap)
    uniform = rng.random(rows.size) * p_cap  # the candidates' draws, below p_cap
    jobs = employer[rows]
    ordinary = (status[rows] == WorkerStatus.EMPLOYED) & ~one_by_one[jobs]
    separated = rows[ordinary & (uniform < firm_threshold[jobs])]
    if one_by_one.any():
        mine = np.flatnonzero(one_by_one[employer])
        mine = mine[status[mine] == WorkerStatus.EMPLOYED]
        if rows.size:  # a candidate's draw is its draw below p_cap
            at = np.minimum(np.searchsorted(rows, mine), rows.size - 1)
            candidate, below = rows[at] == mine, uniform[at]
        else:
            candidate, below = np.zeros(mine.size, dtype=bool), 0.0
        draw = np.where(candidate, below, p_cap + (1 - p_cap) * row_uniforms(key, mine))
        drawn = mine[draw < firm_threshold[employer[mine]]]
        separated = np.sort(np.concatenate([separated, drawn]))
    left = w.employer[separated]
    f.staff[: f.n] -= np.bincount(left, minlength=f.n)[: f.n]  # kept current
    m.staff_changed()
    add_shortfall(m, separated, left, -1)
    status[separated] = WorkerStatus.SEEKING
    employer[separated] = -1
    m.month_flows["separations"] = float(separated.size * m.scale)

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
        slots = vac[hiring]
        if v_total > SLOT_LIMIT:  # numpy's draw takes at most 1e9 slots: keep their proportions
            slots = np.maximum(1, (slots * (SLOT_LIMIT / v_total)).astype(np.int64))
        filled = rng.multivariate_hypergeometric(slots, matches, method="marginals")
        firms_hiring = np.repeat(hiring, filled)
        status[hired] = WorkerStatus.EMPLOYED
        w.employer[hired] = firms_hiring
        f.staff[: f.n] += np.bincount(firms_hiring, minlength=f.n)[: f.n]
        m.staff_changed()
        w.hired[hired] = m.month
        add_shortfall(m, hired, firms_hiring, +1)
        first = hired[~w.practitioner[hired]]  # people new to the sector's jobs
        w.practitioner[first] = True
        outside = int(np.count_nonzero(w.outside_hukou[first]))
        m.month_flows["new_practitioners_from_outside"] = float(outside * m.scale)
        m.month_flows["new_practitioners_local"] = float((first.size - outside) * m.scale)
    else:
        matches = 0
    m.vacancies_total = v_total - matches
    m.month_flows["hires"] = float(matches * m.scale)
    started = f.alive[: f.n] & ~f.operated[: f.n] & (f.staff[: f.n] > 0)
    f.operated[: f.n] |= started
    m.month_flows["firms_started_operating"] = float(f.weight[: f.n][started].sum())
    drift = np.exp(p.wage_tightness_response / 12 * np.log(m.tightness))
    m.relative_wage = float(
        np.clip(m.relative_wage * drift, p.relative_wage_min, p.relative_wage_max)
    )
