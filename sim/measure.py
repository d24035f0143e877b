"""The measurement layer: each official statistic, counted from a run as the statistic counts.

The model is compared with an official figure only through one of these observation functions
(the ``measure`` column of scenarios/observations.csv names it). Each says what it counts and
when, from the metrics every run records (:data:`sim.metrics.METRICS`), and returns one number
per replicate. Counting rules the functions follow (facts, section F):

- *practitioners* are the people employed by the sector's firms (micro-firms included);
- *main business revenue* (主营业务收入) is all revenue of the sector's firms; *software
  business revenue* (软件业务收入, MIIT's narrower concept, the Science City's 80 bn target) is
  the share ``economy.software_revenue_share`` of it;
- *registered* firms include those that never start operating; *operating* firms are firms
  that have hired; firms *in the sector's statistics* had at least 5 m yuan of main business
  revenue a year (MIIT's threshold until 2021) and *above designated size* at least 20 m yuan
  (MIIT's threshold from 2022; the software-share condition is not modelled);
- firms in a revenue *class* are counted by trailing-12-month revenue in December; an
  *addition* to a class is the change in that count from December 2021 (the Chinese report of
  December 2025 writes the classes as additions, 新增; the English one as stocks: both are
  given);
- *added practitioners from outside the city* are the net change of the employed whose
  household registration (hukou) is outside Chongqing, over the net change of all employed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.targets import Trajectories, aggregate_rule, aggregate_values, records

if TYPE_CHECKING:
    import pandas as pd

PerReplicate = tuple[np.ndarray, np.ndarray]
"""(replicate ids, one value per replicate)."""


@dataclass(frozen=True)
class Measure:
    """An observation function: what an official statistic counts, and how it is read.

    A plain measure reads one metric with an aggregate rule (``metric``, ``aggregate``); others
    compute from several metrics (``compute``). ``counts`` says in words what is counted.
    """

    name: str
    counts: str
    metric: str
    aggregate: str | None = None
    compute: Callable[[Trajectories, int], PerReplicate] | None = None
    also_reads: tuple[str, ...] = ()  # metrics a computed measure reads besides ``metric``

    def values(self, trajectories: Trajectories, year: int) -> PerReplicate:
        """(replicate ids, one value per replicate) for the figure of ``year``."""
        if self.compute is not None:
            return self.compute(trajectories, year)
        return aggregate_values(trajectories, self.metric, self.aggregate, year)

    def __call__(self, trajectories: Trajectories, year: int) -> pd.Series:
        """One value per replicate (indexed by replicate) for the figure of ``year``."""
        import pandas as pd

        replicates, values = self.values(trajectories, year)
        return pd.Series(values, index=pd.Index(replicates, name="replicate"), name="value")

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics the function reads."""
        return (self.metric, *self.also_reads)

    @property
    def when(self) -> Callable[[int], str]:
        """When the figure is counted, in words, for a year."""
        if self.aggregate is not None:
            return aggregate_rule(self.aggregate).when
        return lambda year: f"from Dec 2021 to Dec {year}"


def _ratio(numerator: PerReplicate, denominator: PerReplicate) -> PerReplicate:
    """Numerator / denominator replicate by replicate (NaN where either lacks it or it is 0)."""
    ids = np.union1d(numerator[0], denominator[0])

    def on(part: PerReplicate) -> np.ndarray:
        out = np.full(ids.size, np.nan)
        out[np.searchsorted(ids, part[0])] = part[1]
        return out

    top, bottom = on(numerator), on(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ids, top / np.where(bottom != 0, bottom, np.nan)


def _share_of_added_from_outside(trajectories: Trajectories, year: int) -> PerReplicate:
    outside = aggregate_values(
        trajectories, "practitioners_outside_hukou", "december_minus_2021", year
    )
    total = aggregate_values(trajectories, "workforce", "december_minus_2021", year)
    return _ratio(outside, total)


def _ratio_to_2021(trajectories: Trajectories, year: int) -> PerReplicate:
    now = aggregate_values(trajectories, "workforce", "december", year)
    then = aggregate_values(trajectories, "workforce", "december", 2021)
    return _ratio(now, then)


_MEASURES = [
    Measure(
        "revenue",
        "main business revenue of the sector's firms in the year",
        "revenue_bn_yuan",
        "sum_year",
    ),
    Measure(
        "software_business_revenue",
        "software business revenue (MIIT's narrower concept) in the year",
        "software_revenue_bn_yuan",
        "sum_year",
    ),
    Measure(
        "science_city_software_revenue",
        "software business revenue of firms in the Science City's parks in the year",
        "sc_software_revenue_bn_yuan",
        "sum_year",
    ),
    Measure(
        "practitioners",
        "people employed by the sector's firms in December",
        "workforce",
        "december",
    ),
    Measure(
        "practitioners_in_january",
        "people employed by the sector's firms in January (the stock at the end of the year "
        "before: the run starts in January)",
        "workforce",
        "january",
    ),
    Measure(
        "practitioners_in_april",
        "people employed by the sector's firms in April",
        "workforce",
        "april",
    ),
    Measure(
        "practitioners_added",
        "practitioners in December less practitioners in December 2021",
        "workforce",
        "december_minus_2021",
    ),
    Measure(
        "practitioners_added_in_year",
        "practitioners in December less practitioners a year earlier",
        "workforce",
        "december_minus_previous",
    ),
    Measure(
        "practitioners_relative_to_2021",
        "practitioners in December over practitioners in December 2021",
        "workforce",
        compute=_ratio_to_2021,
    ),
    Measure(
        "share_of_added_from_outside",
        "the net change of the employed with a household registration outside Chongqing, over "
        "the net change of all employed, from December 2021",
        "practitioners_outside_hukou",
        compute=_share_of_added_from_outside,
        also_reads=("workforce",),
    ),
    Measure(
        "first_batch_share",
        "revenue share of the four first-batch parks, mean of the year's months",
        "first_batch_revenue_share",
        "mean_year",
    ),
    Measure(
        "science_city_firms",
        "firms in the Science City's parks (alive at month end), mean of the year's months",
        "sc_firms",
        "mean_year",
    ),
    Measure(
        "science_city_firms_above_designated_size",
        "Science City firms with at least 20 m yuan of trailing-12-month revenue, mean of the year",
        "sc_firms_above_scale",
        "mean_year",
    ),
    Measure(
        "firms_in_sector_statistics",
        "firms with at least 5 m yuan of trailing-12-month revenue (MIIT's threshold until 2021) "
        "in January (the stock at the end of the year before)",
        "firms_in_sector_statistics",
        "january",
    ),
    Measure(
        "firms_above_designated_size",
        "firms with at least 20 m yuan of trailing-12-month revenue (MIIT's threshold from 2022) "
        "in April",
        "firms_above_designated_size",
        "april",
    ),
    Measure(
        "firm_registrations_2022_2025",
        "new firms registered (including those that never start operating), 2022 to 2025",
        "firm_registrations",
        "sum_from_2022",
    ),
    Measure(
        "firm_registrations_in_year",
        "new firms registered (including those that never start operating) in the year",
        "firm_registrations",
        "sum_year",
    ),
    Measure(
        "firms_started_operating_2022_2025",
        "firms that started operating (made their first hire), 2022 to 2025",
        "firms_started_operating",
        "sum_from_2022",
    ),
    Measure(
        "firms_1bn_plus",
        "firms with at least 1 bn yuan of trailing-12-month revenue in December",
        "firms_rev_1bn_plus",
        "december",
    ),
    Measure(
        "firms_1bn_plus_added",
        "the change, from December 2021, of firms with at least 1 bn yuan of yearly revenue",
        "firms_rev_1bn_plus",
        "december_minus_2021",
    ),
    Measure(
        "firms_10bn_plus",
        "firms with at least 10 bn yuan of trailing-12-month revenue in December",
        "firms_rev_10bn_plus",
        "december",
    ),
    Measure(
        "firms_10bn_plus_added",
        "the change, from December 2021, of firms with at least 10 bn yuan of yearly revenue",
        "firms_rev_10bn_plus",
        "december_minus_2021",
    ),
    Measure(
        "programme_office_space",
        "office space the city's programme has brought into use for the sector (cumulative), "
        "in December",
        "programme_office_area_m2",
        "december",
    ),
    Measure(
        "programme_office_space_in_use",
        "office space in the programme's buildings occupied by the sector's firms, in December",
        "programme_office_used_m2",
        "december",
    ),
    Measure(
        "application_scenarios_to_june",
        "application-scenario projects released from the start of the run to June",
        "application_scenarios_released",
        "cumulative_to_june",
    ),
    Measure(
        "application_scenarios_2023_2025",
        "application-scenario projects released, 2023 to 2025",
        "application_scenarios_released",
        "sum_from_2023",
    ),
    Measure(
        "operating_firms_added",
        "firms that started operating from 2022 to the year (registrations that never operate "
        "do not count): the 'more than 10,000 operators' target",
        "firms_started_operating",
        "sum_from_2022",
    ),
]
MEASURES: dict[str, Measure] = {m.name: m for m in _MEASURES}


def measure(name: str) -> Measure:
    """The observation function of a name; KeyError naming the known ones if unknown."""
    try:
        return MEASURES[name]
    except KeyError:
        raise KeyError(f"unknown measure {name!r}; one of {', '.join(MEASURES)}") from None


def observe_values(trajectories: Trajectories, name: str, year: int) -> PerReplicate:
    """(replicate ids, one value per replicate) of a named official statistic, for a year.

    Empty when the run records none of a metric the statistic needs; NaN for a replicate whose
    run does not cover the statistic's months.
    """
    if not set(measure(name).metrics) <= records(trajectories):
        return np.array([], dtype=np.int64), np.array([], dtype=float)
    replicates, values = measure(name).values(trajectories, int(year))
    return replicates, np.asarray(values, dtype=float)


def observe(trajectories: Trajectories, name: str, year: int) -> pd.Series:
    """One value per replicate of a named official statistic, for a year (indexed by replicate).

    Empty when the run records none of a metric the statistic needs; NaN for a replicate whose
    run does not cover the statistic's months.
    """
    import pandas as pd

    replicates, values = observe_values(trajectories, name, year)
    if replicates.size == 0:
        return pd.Series(dtype=float)
    return pd.Series(values, index=pd.Index(replicates, name="replicate"), name="value")


def fill_measures(observations: pd.DataFrame) -> pd.DataFrame:
    """Observations with each row's chart metric and aggregate taken from its measure."""
    out = observations.copy()
    out["metric"] = [measure(n).metric if isinstance(n, str) else np.nan for n in out["measure"]]
    out["aggregate"] = [
        measure(n).aggregate if isinstance(n, str) else np.nan for n in out["measure"]
    ]
    return out
