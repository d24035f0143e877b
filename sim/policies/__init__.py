"""The policy kinds, as plug-ins: every module of this package but ``base`` is one kind.

Adding a kind is adding one module here (its ``Spec`` and its :class:`~sim.policies.base.Policy`
subclass with the hooks it acts through), its parameters in ``scenarios/parameters.toml`` and
its tests: the registry below finds it, and every list of kinds the code needs (the scenario
schema, the cost metrics, the reference documentation, plot labels, the app's levers) is
derived from :data:`KINDS`.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from sim.lazy import lazy_module
from sim.policies.base import FirmRelief, Policy, PolicySpec

np = lazy_module("numpy")  # loaded when the simulation first uses it, not by validation

if TYPE_CHECKING:
    from sim.core import ClusterSim


def _discover() -> dict[str, type[Policy]]:
    found: list[type[Policy]] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found += [
            obj
            for obj in vars(module).values()
            if not isinstance(obj, ModuleType)  # first: a lazy module would load to answer
            and isinstance(obj, type)
            and issubclass(obj, Policy)
            and obj is not Policy
            and obj.__module__ == module.__name__
        ]
    found.sort(key=lambda cls: (cls.order, cls.kind))
    return {cls.kind: cls for cls in found}


CLASSES: dict[str, type[Policy]] = _discover()
KINDS: tuple[str, ...] = tuple(CLASSES)
SPECS: dict[str, type[PolicySpec]] = {kind: cls.Spec for kind, cls in CLASSES.items()}
LABELS: dict[str, str] = {kind: cls.label for kind, cls in CLASSES.items()}
# The `policies` list of a scenario: one table of any kind, told apart by its `kind` key.
AnyPolicySpec = Annotated[Union[tuple(SPECS.values())], Field(discriminator="kind")]  # noqa: UP007


def cost_metric(kind: str) -> str:
    """The metric holding a kind's public cost per month (bn yuan)."""
    return f"policy_cost_{kind}_bn_yuan"


class PolicySet:
    """A scenario's policies in a model, grouped by kind, and the calls of their hooks.

    Iterating gives the policies in scenario order. The month's processes call the hooks of
    every kind (in the order of :data:`KINDS`) through :meth:`run`, :meth:`total` and
    :meth:`largest`.
    """

    def __init__(self, specs: list[PolicySpec], model: ClusterSim):
        self.all = [CLASSES[spec.kind](spec, model) for spec in specs]
        self.model = model
        self.groups = [
            (CLASSES[kind], mine)
            for kind in KINDS
            if (mine := [p for p in self.all if p.kind == kind])
        ]
        self._callers: dict[str, list[tuple[Any, list[Policy]]]] = {}

    def _acting(self, hook: str) -> list[tuple[Any, list[Policy]]]:
        """The hook of each kind that overrides it, with that kind's policies.

        A kind that keeps :class:`Policy`'s hook does nothing there (or gives the neutral
        result), so it is not called: some 35 hook calls a month, 4,000 a run.
        """
        callers = self._callers.get(hook)
        if callers is None:
            inherited = getattr(Policy, hook).__func__
            callers = [
                (getattr(cls, hook), mine)
                for cls, mine in self.groups
                if getattr(cls, hook).__func__ is not inherited
            ]
            self._callers[hook] = callers
        return callers

    def __iter__(self):
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    def of(self, kind: str) -> list[Policy]:
        """The policies of one kind, in scenario order."""
        return [p for p in self.all if p.kind == kind]

    def run(self, hook: str, *args: Any) -> None:
        """Call a hook of every kind that has policies."""
        for call, mine in self._acting(hook):
            call(self.model, mine, *args)

    def total(self, hook: str, *args: Any) -> float:
        """The sum of a hook's results over the kinds (0 when none contributes)."""
        out = 0
        for call, mine in self._acting(hook):
            out += call(self.model, mine, *args)
        return out

    def largest(self, hook: str, *args: Any) -> np.ndarray | None:
        """The elementwise largest of a hook's arrays over the kinds (None when none gives one)."""
        out = None
        for call, mine in self._acting(hook):
            value = call(self.model, mine, *args)
            if value is not None:
                out = value if out is None else np.maximum(out, value)
        return out

    def firm_relief(self, rent: np.ndarray, other: np.ndarray) -> FirmRelief:
        """The ``firm_costs`` hook of every kind, its shares combined by the largest."""
        shares: dict[str, np.ndarray | None] = {"rent": None, "other": None}
        for call, mine in self._acting("firm_costs"):
            relief = call(self.model, mine, rent, other)
            for name in shares:
                value = getattr(relief, name)
                if value is not None:
                    shares[name] = (
                        value if shares[name] is None else np.maximum(shares[name], value)
                    )
        return FirmRelief(**shares)


__all__ = [
    "CLASSES",
    "KINDS",
    "LABELS",
    "SPECS",
    "AnyPolicySpec",
    "FirmRelief",
    "Policy",
    "PolicySet",
    "PolicySpec",
    "cost_metric",
]
