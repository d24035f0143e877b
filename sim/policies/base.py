"""What every policy kind is made of: a validated spec, and a module with hooks.

A policy kind is one file in this package (Starsim's interventions are the model), holding

- ``Spec``: a :class:`PolicySpec`, the table a scenario file writes (``kind = "..."``), with
  its keys, units, ranges and checks; the scenario reference is generated from it;
- a :class:`Policy` subclass: one instance per policy of a scenario, holding any state of its
  own, with ``kind``, ``label`` (what plots and the app call it) and ``order`` (its place among
  the kinds), and the **hooks** through which it acts.

Hooks are named after the process of the month that calls them, not after a kind, so that a new
kind plugs into the processes without them knowing it. Each is a classmethod that receives the
model and every policy of its kind in scenario order (a kind may need to combine its policies:
a firm eligible for two rent reductions gets the larger one). The default does nothing; a kind
overrides the hooks it acts through and books every yuan it pays with
:meth:`~sim.model.ClusterSim.book_cost` under its kind.

========================  =====================================================================
process (sim.month)       hooks
========================  =====================================================================
initial state             ``setup``
policy calendar           ``calendar``
parks                     ``parks``
demand                    ``demand``
firms                     ``firm_costs`` (relief of rent or other costs, booked),
                          ``firm_rewards``
location                  ``firm_rent_relief``, ``settler_rent_relief``
entry                     ``entry``
migration                 ``attraction``, ``departures``, ``trainees``, ``arrivals``
========================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from sim.calendar import parse_month
from sim.lazy import lazy_module
from sim.validation import Month, StrictModel, check_month

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim
    from sim.params import Parameters


class PolicySpec(StrictModel):
    """The keys every policy has: a name, and the months it is in force."""

    name: str | None = Field(
        None,
        description="label of the policy in outputs; `drop_policies` of a file extending this "
        "one can name it (default: none, the kind is used)",
    )
    start: Month = Field(description="first month in force, 'YYYY-MM' (inclusive)")
    end: Month = Field(description="last month in force, 'YYYY-MM' (inclusive)")

    _months = field_validator("start", "end")(check_month)

    @model_validator(mode="after")
    def _ordered(self) -> PolicySpec:
        if parse_month(self.end) < parse_month(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def months(self) -> int:
        """Months the policy is in force."""
        return parse_month(self.end) - parse_month(self.start) + 1

    def people_estimate(self, params: Parameters) -> float:
        """People this policy brings into the sector by construction (for sim.limits)."""
        return 0.0


@dataclass(frozen=True)
class FirmRelief:
    """Shares of each firm's costs paid by policies this month (None: no relief of that cost)."""

    rent: np.ndarray | None = None
    other: np.ndarray | None = None


@dataclass(frozen=True)
class Lever:
    """One input of a kind in the app: a slider on a spec field, or a choice.

    A slider's range is its spec field's (``field``), or ``low``-``high`` for a field that is
    a list. ``choices`` is ``"park groups"`` (groups of parks, then each park), ``"parks"``
    (each park) or the labels of a fixed choice.
    """

    name: str  # unique among all kinds' levers: the app model's keyword argument
    label: str
    field: str | None = None
    step: float = 1.0
    default: Any = 0.0
    low: float | None = None
    high: float | None = None
    choices: str | tuple[str, ...] | None = None


class Policy:
    """One policy of a scenario: in force from its start month to its end month inclusive."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""  # what plots, reports and the app call the kind
    order: ClassVar[int] = 0  # place among the kinds (metrics, documentation, plots)
    Spec: ClassVar[type[PolicySpec]] = PolicySpec
    levers: ClassVar[tuple[Lever, ...]] = ()  # the kind's inputs in the app

    def __init__(self, spec: PolicySpec, model: ClusterSim):
        self.spec = spec
        self.model = model
        self.start = parse_month(spec.start) - model.start_month
        self.end = parse_month(spec.end) - model.start_month
        self.name = spec.name or self.kind

    def active(self, month: int | None = None) -> bool:
        """Whether the policy is in force in the given model month (default: now)."""
        month = self.model.month if month is None else month
        return self.start <= month <= self.end

    @staticmethod
    def mask(ids: list[str] | None, universe: list[str]) -> np.ndarray:
        """Which of ``universe`` (park or sector ids) the policy names; all when ``ids`` is None."""
        if ids is None:
            return np.ones(len(universe), dtype=bool)
        return np.isin(np.array(universe), ids)

    @classmethod
    def app_policy(
        cls, values: dict[str, Any], parks: dict[str, list[str]], params: Parameters
    ) -> dict[str, Any] | None:
        """The policy table the app adds for the levers' values (None: the levers are at zero).

        ``parks`` maps the labels of park choices to park ids; the table needs no ``kind``,
        ``name``, ``start`` or ``end`` (the app adds them).
        """
        return None

    # ---------------------------------------------------------------------------- hooks

    @classmethod
    def setup(cls, m: ClusterSim, policies: list) -> None:
        """Initial state: after the January-2021 cluster is built."""

    @classmethod
    def calendar(cls, m: ClusterSim, policies: list) -> None:
        """Policy calendar, first thing in the month: costs that do not depend on take-up."""

    @classmethod
    def parks(cls, m: ClusterSim, policies: list) -> None:
        """Parks, before rents adjust: office space delivered to parks."""

    @classmethod
    def demand(cls, m: ClusterSim, policies: list) -> None:
        """Demand, after markets grow: public projects released for firms to win."""

    @classmethod
    def firm_costs(
        cls, m: ClusterSim, policies: list, rent: np.ndarray, other: np.ndarray
    ) -> FirmRelief:
        """Firms, after revenue: shares of each firm's rent and other costs the policies pay.

        ``rent`` and ``other`` are each firm row's rent and other costs this month (yuan, one
        firm of the row); the kind books what it pays. Shares of several kinds combine by the
        largest.
        """
        return FirmRelief()

    @classmethod
    def firm_rewards(cls, m: ClusterSim, policies: list) -> None:
        """Firms, after profit: transfers to firms (cash, and the demand they buy)."""

    @classmethod
    def firm_rent_relief(cls, m: ClusterSim, policies: list) -> np.ndarray | None:
        """Location: the share of each firm row's rent paid where it is now (None: none)."""
        return None

    @classmethod
    def settler_rent_relief(cls, m: ClusterSim, policies: list) -> np.ndarray | None:
        """Location: the rent share a firm settling now would get, by (park, sector)."""
        return None

    @classmethod
    def entry(cls, m: ClusterSim, policies: list, rng: np.random.Generator) -> float:
        """Entry, after local and inbound entrants: firms the policies bring; real firms made."""
        return 0.0

    @classmethod
    def attraction(cls, m: ClusterSim, policies: list, wage: float) -> float:
        """Migration: the log-income value of the policies to a prospective arrival."""
        return 0.0

    @classmethod
    def departures(
        cls,
        m: ClusterSim,
        policies: list,
        rows: np.ndarray,
        threshold: np.ndarray,
        firm_wage: np.ndarray,
    ) -> None:
        """Migration: book what keeps people; lower the chance of leaving of those paid.

        ``threshold`` is the chance of leaving this month of the worker ``rows`` that may leave
        (the candidates of :func:`sim.month.draws.candidates`; not every row): lower it in place
        for those the policies pay, never raise it. Costs are for everyone paid, not only them.
        """

    @classmethod
    def trainees(cls, m: ClusterSim, policies: list) -> int:
        """Migration: local people retrained into software this month (real people)."""
        return 0

    @classmethod
    def arrivals(cls, m: ClusterSim, policies: list, arrived: int) -> None:
        """Migration: costs of this month's arrivals (``arrived`` real people, not trainees)."""
