"""Built-in scenarios: workflows written as ordinary Python, plus their settings.

Each workflow is a generator function taking the context and its parameters.
`register_scenario` adds more (other modules and notebooks use it); names are
what ``python -m simlib scenarios`` lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..core.errors import ConfigError
from ..core.faults import CrashAt, FaultSchedule, NO_FAULTS
from ..core.llm import LLMConfig

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
    workflow: Callable
    max_steps: int
    params: dict = field(default_factory=dict)
    default_faults: FaultSchedule = NO_FAULTS
    instances: int = 1
    interarrival_s: float = 0.0
    signals: dict = field(default_factory=dict)
    variants: dict = field(default_factory=dict)
    llm: LLMConfig = LLMConfig()
    horizon_s: float | None = None

    def arrival_s(self, index: int) -> float:
        """When instance ``index`` (0-based) starts."""
        return index * self.interarrival_s

    def workflow_for(self, variant: str | None) -> Callable:
        """The workflow code to run: the original, or a deployed variant."""
        if variant is None or variant == "v1":
            return self.workflow
        try:
            return self.variants[variant]
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
    _load_extra_scenarios()
    return list(SCENARIOS)


def get_scenario(name: str) -> Scenario:
    """A scenario by name, or a ConfigError listing the allowed names."""
    if isinstance(name, Scenario):
        return name
    if name not in SCENARIOS:
        _load_extra_scenarios()
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(f"unknown scenario {name!r}; allowed: {', '.join(SCENARIOS)}") from None


# ---------------------------------------------------------------------- workflows
def llm_chain(ctx, calls: int = 20):
    """Self-Check Q1: ``calls`` sequential LLM calls, each building on the last."""
    answer = ""
    for i in range(1, calls + 1):
        answer = yield ctx.llm(f"llm-{i:02d}", prompt=answer)
    return answer


def five_effects(ctx, keyed: bool = False):
    """Five tool calls in a row, each with an external side effect."""
    plan = [("charge", "charge_card"), ("email", "send_email"), ("label", "create_label"),
            ("reserve", "reserve_inventory"), ("publish", "publish_event")]
    results = []
    for name, effect in plan:
        key = ctx.key(name) if keyed else None
        results.append((yield ctx.tool(name, effect=effect, payload={"order": ctx.workflow_id},
                                       idempotency_key=key)))
    return results


def agent_loop(ctx, max_turns: int = 6):
    """An agent whose next tool is chosen by the LLM at run time (the graph is not known up front)."""
    tools = {"search": None, "lookup_order": None, "refund": "refund_card", "email": "send_email"}
    done = []
    for turn in range(1, max_turns + 1):
        choice = yield ctx.llm(f"plan-{turn}", choices=("search", "lookup_order", "refund", "email", "done"),
                               mean_latency_s=8.0)
        if choice == "done":
            break
        effect = tools[choice]
        yield ctx.tool(f"{choice}-{turn}", effect=effect, idempotency_key=ctx.key(f"{choice}-{turn}"),
                       latency_s=2.0)
        done.append(choice)
    return done


def approval(ctx, timeout_s: float = 4 * 3600):
    """Draft with an LLM, wait for a human's approval, then send; a reminder timer in between."""
    draft = yield ctx.llm("draft", mean_latency_s=20.0)
    yield ctx.sleep("cool-off", 600)
    decision = yield ctx.wait_event("approval", timeout_s)
    if decision == "approve":
        yield ctx.tool("send", effect="send_email", payload={"draft": draft}, idempotency_key=ctx.key("send"))
        return "sent"
    return "expired" if decision is None else "rejected"


def _llm_chain_v2(ctx, calls: int = 20):
    """Q1's workflow after an incompatible change: a moderation tool call inserted before the LLM calls."""
    yield ctx.tool("moderate", effect=None)
    answer = ""
    for i in range(1, calls + 1):
        answer = yield ctx.llm(f"llm-{i:02d}", prompt=answer)
    return answer


def _llm_chain_v2_patched(ctx, calls: int = 20):
    """The same change guarded by ``ctx.patched``: old runs replay the old path."""
    if ctx.patched("add-moderation"):
        yield ctx.tool("moderate", effect=None)
    answer = ""
    for i in range(1, calls + 1):
        answer = yield ctx.llm(f"llm-{i:02d}", prompt=answer)
    return answer


register_scenario(Scenario(
    name="q1",
    description="Self-Check Q1: 20 sequential LLM calls over about 15 minutes; the worker crashes "
                "after step 14 completed, in the middle of step 15",
    workflow=llm_chain, max_steps=20, params={"calls": 20},
    default_faults=FaultSchedule(crashes=(CrashAt(15, "after-effect"),)),
    variants={"v2": _llm_chain_v2, "v2-patched": _llm_chain_v2_patched},
))
register_scenario(Scenario(
    name="five-effects",
    description="5 sequential tool calls, each with an external side effect and no idempotency key",
    workflow=five_effects, max_steps=5, params={"keyed": False},
))
register_scenario(Scenario(
    name="five-effects-keyed",
    description="the same 5 side effects, each sent with an idempotency key",
    workflow=five_effects, max_steps=5, params={"keyed": True},
))
register_scenario(Scenario(
    name="agent-loop",
    description="an agent whose next tool is chosen by the LLM at run time (up to 6 turns)",
    workflow=agent_loop, max_steps=12, params={"max_turns": 6},
))
register_scenario(Scenario(
    name="approval",
    description="LLM draft, a 10-minute durable timer, then a human approval (arrives after 1 h) and an email",
    workflow=approval, max_steps=4, signals={"approval": (3600.0, "approve")},
))


# Modules that register more scenarios when imported (one line each).
SCENARIO_MODULES: list[str] = [
    "simlib.scenarios.restate",
    "simlib.scenarios.saga",
    "simlib.course.selfheal",
    "simlib.scenarios.batch",
    "simlib.scenarios.dag",
]


def _load_extra_scenarios() -> None:
    import importlib

    for mod in SCENARIO_MODULES:
        importlib.import_module(mod)
