"""A scenario (a workflow and the world it runs in) and the registry of scenarios by name.

Scenario modules (`simlib.scenarios`) register themselves on import; the
engine and the sweep look scenarios up here by name, so the core never
imports the scenario content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigError
from .faults import FaultSchedule, NO_FAULTS
from .llm import LLMConfig

__all__ = ["Scenario", "register_scenario", "get_scenario", "scenario_names", "SCENARIOS"]


@dataclass(frozen=True)
class Scenario:
    """A workflow and the world it runs in.

    Attributes:
        name: registry name.
        description: one line for listings.
        workflow: generator function ``wf(ctx, **params)``.
        max_steps: the most steps a run can take (used to validate crash steps).
        params: default workflow parameters.
        default_faults: what goes wrong when the caller gives no schedule.
        instances: how many workflow instances run side by side.
        interarrival_s: seconds between instance starts.
        signals: external events: name -> (arrival time in s, payload).
        variants: other versions of the workflow code (``{"v2": fn}``) for code-change faults.
        llm: the fake LLM's prices and timing.
        horizon_s: stop the clock here (None = run until nothing is left to do).
    """

    name: str
    description: str
    workflow: Callable[..., Any]
    max_steps: int
    params: dict[Any, Any] = field(default_factory=dict)
    default_faults: FaultSchedule = NO_FAULTS
    instances: int = 1
    interarrival_s: float = 0.0
    signals: dict[Any, Any] = field(default_factory=dict)
    variants: dict[Any, Any] = field(default_factory=dict)
    llm: LLMConfig = LLMConfig()
    horizon_s: float | None = None

    def arrival_s(self, index: int) -> float:
        """When instance ``index`` (0-based) starts."""
        return index * self.interarrival_s

    def workflow_for(self, variant: str | None) -> Callable[..., Any]:
        """The workflow code to run: the original, or a deployed variant."""
        if variant is None or variant == "v1":
            return self.workflow
        try:
            return self.variants[variant]  # type: ignore[no-any-return]  # variants hold workflow functions
        except KeyError:
            raise ConfigError(f"scenario {self.name!r} has no code variant {variant!r}; "
                              f"allowed: {', '.join(['v1', *self.variants])}") from None

    def validate_faults(self, faults: FaultSchedule) -> None:
        """Reject a schedule that names a step this scenario can never reach."""
        for c in faults.crashes:
            if c.step > self.max_steps:
                raise ConfigError(f"crash step {c.step} is out of range for scenario {self.name!r} "
                                  f"(steps 1..{self.max_steps})")
        if faults.code_change:
            self.workflow_for(faults.code_change.variant)


SCENARIOS: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario, replace: bool = False) -> Scenario:
    """Add a scenario to the registry (``replace=True`` to overwrite one)."""
    if scenario.name in SCENARIOS and not replace:
        raise ConfigError(f"scenario {scenario.name!r} is already registered")
    SCENARIOS[scenario.name] = scenario
    return scenario


def scenario_names() -> list[str]:
    """Registered scenario names in registration order."""
    return list(SCENARIOS)


def get_scenario(name: str) -> Scenario:
    """A scenario by name, or a ConfigError listing the allowed names."""
    if isinstance(name, Scenario):
        return name
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(f"unknown scenario {name!r}; allowed: {', '.join(SCENARIOS)}") from None
