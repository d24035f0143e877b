"""Structure-of-arrays state: one numpy array per attribute, one row per park, firm or worker."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from sim.lazy import lazy_module

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.params import Park, Sector


class WorkerStatus:
    """Where a worker agent is (the ``status`` column of :class:`WorkerTable`).

    Plain ints, not an ``IntEnum``: numpy compares a column of int8 with a Python int as int8,
    but takes an ``IntEnum`` member for a 64-bit integer and casts the whole column to compare
    it (13 times slower over 500,000 rows, measured on 2026-12-03).
    """

    GONE = 0  # left the city's software labour market (row kept until compaction)
    EMPLOYED = 1
    SEEKING = 2
    COUNT = 3  # how many there are

    @staticmethod
    def name_of(code: int) -> str:
        """The status's name: 'gone', 'employed' or 'seeking'."""
        return ("gone", "employed", "seeking")[code]


# The arrival month of people who were in the city's labour market before the run, or who came
# from its other occupations (trainees): never "recently arrived" for a talent policy.
NEVER_ARRIVED = -(10**6)


class FirmKind(IntEnum):
    """How a firm came to the cluster (the ``kind`` column of :class:`FirmTable`)."""

    INITIAL = 0  # in the January-2021 cluster
    LOCAL = 1  # local start-up or spin-off
    INBOUND = 2  # moved in from outside Chongqing
    LEADING = 3  # a leading enterprise brought by policy
    FOLLOWER = 4  # a firm a leading enterprise drew after it
    MICRO = 5  # a local micro start-up (one to a few people)
    BRANCH = 6  # a branch or regional headquarters of a national group, with booked revenue


class TableFull(Exception):
    """A table was asked to hold more rows than its limit (see :mod:`sim.limits`)."""

    def __init__(self, table: str, limit: int):
        self.table, self.limit = table, limit
        super().__init__(f"{table}: more than {limit:,} rows")


class Table:
    """Growable columns of equal length; rows ``[0, n)`` are in use.

    Args:
        columns: name -> (dtype, fill value for new rows).
        capacity: initial number of rows allocated.
        limit: most rows the table may hold (None: no limit); past it, :class:`TableFull`.
        name: what the rows are, for messages.

    """

    def __init__(
        self,
        columns: dict[str, tuple[str, float]],
        capacity: int = 1024,
        limit: int | None = None,
        name: str = "rows",
    ):
        self._spec = columns
        self.n = 0
        self.limit = limit
        self.name = name
        self._cap = max(16, capacity)
        for name, (dtype, fill) in columns.items():
            setattr(self, name, np.full(self._cap, fill, dtype=dtype))

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return self._cap

    def _grow(self, need: int) -> None:
        new_cap = max(need, int(self._cap * 1.5) + 16)
        for name, (dtype, fill) in self._spec.items():
            old = getattr(self, name)
            shape = (new_cap, *old.shape[1:])
            arr = np.full(shape, fill, dtype=dtype)
            arr[: self._cap] = old
            setattr(self, name, arr)
        self._cap = new_cap

    def append(self, count: int, **values) -> np.ndarray:
        """Add ``count`` rows; set the given columns; return their indices."""
        start = self.n
        if self.limit is not None and start + count > self.limit:
            raise TableFull(self.name, self.limit)
        if start + count > self._cap:
            self._grow(start + count)
        self.n = start + count
        rows = np.arange(start, start + count)
        for name, value in values.items():
            getattr(self, name)[start : start + count] = value
        return rows

    def keep(self, mask: np.ndarray) -> np.ndarray:
        """Drop rows where ``mask`` is False (order kept); return old row index of each kept row."""
        kept = np.flatnonzero(mask[: self.n])
        for name in self._spec:
            arr = getattr(self, name)
            arr[: kept.size] = arr[kept]
            arr[kept.size : self.n] = self._spec[name][1]
        self.n = kept.size
        return kept


class FirmTable(Table):
    """Firm rows. A firm agent stands for ``weight`` identical firms (1, or K when sampled)."""

    def __init__(self, capacity: int = 1024, limit: int | None = None):
        super().__init__(
            {
                "alive": ("bool", False),
                "weight": ("float64", 1.0),
                "park": ("intp", 0),  # intp: an index (numpy casts narrower ones on every gather)
                "sector": ("intp", 0),
                "kind": ("int8", 0),
                "born": ("int32", 0),
                "settled": ("int32", 0),
                "died": ("int32", -1),
                "staff": ("int64", 0),
                "productivity": ("float64", 0.0),
                "wage_premium": ("float64", 1.0),
                "other_cost_share": ("float64", 0.0),
                "demand": ("float64", 0.0),
                "contract": ("float64", 0.0),
                "revenue": ("float64", 0.0),
                "trailing_revenue": ("float64", 0.0),
                "profit": ("float64", 0.0),
                "cash": ("float64", 0.0),
                "vacancies": ("int64", 0),
                "layoff_share": ("float64", 0.0),
                "operated": ("bool", False),  # has hired (an operating firm, not a shell)
                "effective": ("float64", 0.0),  # staff agents at full productivity (new hires ramp)
                # what the staff's recent hires fall short of full productivity, in agents
                "ramp_shortfall": ("float64", 0.0),
            },
            capacity,
            limit,
            "firms",
        )
        # Revenue of the last 12 months by calendar slot (``month % 12``) and firm row: months
        # in rows, so the month's write and the sums over months run along contiguous rows.
        self.revenue_by_month = np.zeros((TRAILING_MONTHS, self.capacity))

    def _grow(self, need: int) -> None:
        old = self.revenue_by_month
        super()._grow(need)
        self.revenue_by_month = np.zeros((TRAILING_MONTHS, self.capacity))
        self.revenue_by_month[:, : old.shape[1]] = old


TRAILING_MONTHS = 12
"""Months of a firm's trailing revenue (the statistics' annual revenue)."""


def twelve_month_totals(by_month: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Each column's total over the 12 rows of ``by_month``: a firm's trailing revenue.

    The same bits as numpy's own sum of each firm's 12 months (``by_month.T.sum(axis=1)``):
    numpy adds a row of 8 to 15 numbers pairwise, the first eight in a tree and the rest one
    by one, and so is this, over whole rows of firms at a time.
    """
    if by_month.shape[0] != TRAILING_MONTHS:
        raise ValueError(f"expected {TRAILING_MONTHS} months, got {by_month.shape[0]}")
    h = by_month
    total = np.add(h[0], h[1], out=out)
    pair = h[2] + h[3]
    total += pair
    quad = np.add(h[4], h[5], out=pair)
    quad += h[6] + h[7]
    total += quad
    for month in range(8, TRAILING_MONTHS):
        total += h[month]
    return total


class WorkerTable(Table):
    """Worker rows. Each worker agent stands for ``scale`` people; ``pid`` is its lasting id."""

    def __init__(self, capacity: int = 1024, limit: int | None = None):
        super().__init__(
            {
                "pid": ("int64", -1),
                "status": ("int8", WorkerStatus.GONE),
                "employer": ("int64", -1),
                "arrived": ("int32", NEVER_ARRIVED),
                "family": ("bool", False),
                "hired": ("int32", NEVER_ARRIVED),  # month hired by the current employer
                "outside_hukou": ("bool", False),  # household registration outside Chongqing
                "practitioner": ("bool", False),  # has worked in the sector (hired once)
            },
            capacity,
            limit,
            "workers",
        )
        self.next_pid = 0
        # (month, first row) of each month's arrivals, in order: rows are appended as people
        # arrive and compaction keeps their order, so later arrivals sit in later rows
        self._arrival_starts: list[tuple[int, int]] = []

    def add(self, count: int, *, month: int | None = None, **values) -> np.ndarray:
        """Add ``count`` new people with fresh ids (arriving in ``month``); return their rows."""
        if month is not None and (not self._arrival_starts or self._arrival_starts[-1][0] < month):
            self._arrival_starts.append((month, self.n))
        rows = self.append(count, **values)
        self.pid[rows] = np.arange(self.next_pid, self.next_pid + count)
        self.next_pid += count
        return rows

    def first_row_arrived_since(self, month: int) -> int:
        """The first row that may hold someone who arrived in ``month`` or later.

        Every row before it arrived earlier (or never arrived), so a search for recent
        arrivals can start here.
        """
        for arrival_month, row in self._arrival_starts:
            if arrival_month >= month:
                return row
        return self.n

    def keep(self, mask: np.ndarray) -> np.ndarray:
        """Drop rows where ``mask`` is False (order kept); return old row index of each kept row."""
        kept = super().keep(mask)
        self._arrival_starts = [
            (month, int(np.searchsorted(kept, row))) for month, row in self._arrival_starts
        ]
        return kept


class ParkTable:
    """Park rows, one per park of the parameter file ("outside any park" included); fixed.

    Attributes are arrays over parks: ``science_city``, ``first_batch``, ``in_park`` (False only
    for "outside"), ``young``; ``focus[park, sector]``; the state the month changes: ``area`` and
    ``occupied`` (m²), ``rent`` (yuan/m²/month), ``productivity`` (a factor of the place, set at
    start-up) and ``constant[size class, park]`` of the location choice (calibrated at start-up).
    """

    def __init__(self, parks: tuple[Park, ...], sectors: tuple[Sector, ...]):
        self.n = len(parks)
        self.ids = [pk.id for pk in parks]
        self.outside = self.ids.index("outside") if "outside" in self.ids else -1
        self.science_city = np.array([pk.science_city for pk in parks])
        self.first_batch = np.array([pk.batch == "first" for pk in parks])
        self.in_park = np.arange(self.n) != self.outside
        self.young = np.array([pk.young for pk in parks])
        self.programme = np.array([pk.batch == "programme" for pk in parks])  # city's buildings
        self.founded_later = np.array([pk.firm_share_2021 == 0 for pk in parks])  # no 2021 firms
        self.focus = np.array([[s.id in pk.focus for s in sectors] for pk in parks], dtype=bool)
        self.rent = np.array([pk.rent_2021 for pk in parks], dtype=float)
        self.area = np.zeros(self.n)
        self.occupied = np.zeros(self.n)
        self.productivity = np.ones(self.n)
        self.constant = np.zeros((2, self.n))

    @property
    def occupancy(self) -> np.ndarray:
        """Occupied share of each park's supplied area."""
        return self.occupied / np.maximum(self.area, 1.0)
