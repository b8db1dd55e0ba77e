"""Exercise 64.4.1's world: the returns agent's orders, contract and scenario.

The learner writes ``returns_workflow(ctx, order)``; this module wraps it into a
`simlib.Scenario` built on the fly (nothing is registered), so the grader can
run it under the Temporal model with any fault schedule. The wrapper forwards
each step the learner's code asks for to the real context, after checking its
arguments, and makes the refund provider decline in the ``declined`` case. The
learner's code never sees whether the refund will be declined; it only sees
the `ActivityError` when it is.

The contract (the grader reads these effects from the ledger):

1. validate the return: ``ctx.tool(name)`` (a read, no effect), then decide;
2. check inventory: ``ctx.tool(name)`` (a read);
3. create the shipping label: ``ctx.tool(name, effect="create_label", ...)``;
4. issue the refund: ``ctx.tool(name, effect="refund_card", ...)``;
5. send the confirmation: ``ctx.tool(name, effect="send_email", ...)``;
   and, to compensate a declined refund, void the label: ``effect="void_label"``.

A return is valid when it arrives within `RETURN_WINDOW_DAYS` days of delivery.
"""

from __future__ import annotations

import copy
import math

from ..core.errors import ActivityError, NondeterminismError
from ..scenarios import Scenario
from ..core.world import EFFECT_KINDS
from .workflow_api import Session

__all__ = [
    "RETURN_WINDOW_DAYS", "ORDERS", "CASE_KINDS", "STEP_NAMES", "MAX_STEPS", "MODEL",
    "WorkflowContractError", "WorkflowRaised", "make_scenario", "local_factory", "kind_of_scenario",
]

RETURN_WINDOW_DAYS = 30
MODEL = "temporal"
MAX_STEPS = 12
CASE_KINDS = ("valid", "declined", "invalid")

# What the workflow receives. The declined case's order looks exactly like a valid one:
# the decline comes from the payment provider, not from anything the code can read.
ORDERS = {
    "valid": {"order_id": "RMA-1042", "sku": "SKU-7731", "amount_usd": 59.0, "days_since_delivery": 12},
    "declined": {"order_id": "RMA-1043", "sku": "SKU-2210", "amount_usd": 129.0, "days_since_delivery": 9},
    "invalid": {"order_id": "RMA-1044", "sku": "SKU-5120", "amount_usd": 35.0, "days_since_delivery": 45},
}

# Words that name each step of the returns workflow (for Part A's sets of steps).
STEP_NAMES = {
    1: ("validate", "validation", "validate the return", "validate request", "validate the return request"),
    2: ("inventory", "check inventory", "inventory check"),
    3: ("label", "shipping label", "return label", "create label", "generate label",
        "generate a return shipping label", "return shipping label"),
    4: ("refund", "issue refund", "issue a refund", "refund payment"),
    5: ("email", "confirmation", "confirmation email", "send confirmation", "send email",
        "send a confirmation email"),
}


class WorkflowContractError(Exception):
    """The workflow asked for a step with arguments the exercise does not allow."""


class WorkflowRaised(Exception):
    """The learner's workflow raised; the message is its exception on one line."""


def _check_number(args: dict, name: str, lo: float, hi: float, default):
    v = args.get(name, default)
    if v is None:
        return default
    if type(v) not in (int, float) or not math.isfinite(v) or not lo <= v <= hi:
        raise WorkflowContractError(f"{name} must be a number in [{lo:g}, {hi:g}], got {v!r}")
    return float(v)


def _check_str(v, what: str, limit: int = 200, optional: bool = False):
    if v is None and optional:
        return None
    if type(v) is not str or not v or len(v) > limit:
        raise WorkflowContractError(f"{what} must be a non-empty string of at most {limit} characters, got {v!r}")
    return v


def _issue(ctx, reply: dict, decline_refunds: bool):
    """Turn one plain command into a real step on the simulator's context."""
    op = reply.get("kind")
    args = reply.get("args")
    if type(args) is not dict:
        raise WorkflowContractError("malformed step request")
    name = _check_str(reply.get("name"), "a step name", 80)
    if op == "tool":
        effect = args.get("effect")
        if effect is not None and effect not in EFFECT_KINDS:
            raise WorkflowContractError(f"unknown effect {effect!r}; allowed: {', '.join(EFFECT_KINDS)}")
        payload = args.get("payload")
        if payload is not None and type(payload) is not dict:
            raise WorkflowContractError(f"payload must be a dict or None, got {type(payload).__name__}")
        key = _check_str(args.get("idempotency_key"), "idempotency_key", 200, optional=True)
        declines = args.get("declines", False)
        if type(declines) is not bool:
            raise WorkflowContractError(f"declines must be True or False, got {declines!r}")
        declines = declines or (decline_refunds and effect == "refund_card")
        return ctx.tool(name, effect=effect, payload=payload, idempotency_key=key,
                        latency_s=_check_number(args, "latency_s", 0.0, 3600.0, 1.0),
                        fail_p=_check_number(args, "fail_p", 0.0, 0.9, 0.0), declines=declines)
    if op == "llm":
        choices = args.get("choices")
        if choices is not None and (type(choices) is not list or not choices or len(choices) > 20
                                    or any(type(c) is not str for c in choices)):
            raise WorkflowContractError("choices must be a list of 1 to 20 strings")
        prompt = args.get("prompt")
        prompt = prompt[:2000] if type(prompt) is str else ""
        return ctx.llm(name, prompt=prompt, choices=choices,
                       mean_latency_s=_check_number(args, "mean_latency_s", 0.0, 3600.0, None))
    if op == "sleep":
        return ctx.sleep(name, _check_number(args, "seconds", 0.0, 30 * 86400.0, 0.0))
    if op == "wait_event":
        return ctx.wait_event(name, _check_number(args, "timeout_s", 0.0, 30 * 86400.0, 0.0))
    raise WorkflowContractError(f"unknown step kind {op!r}")


def _journal_len(ctx) -> int:
    return len(ctx.inst.journal) if ctx.durable else 0


def _make_workflow(factory, decline_refunds: bool):
    """The scenario's workflow: drives the learner's session against the real context."""

    def returns_case(ctx, order):
        session = factory(ctx.workflow_id, copy.deepcopy(order))
        reply = session.start(ctx.now(), _journal_len(ctx))
        while True:
            op = reply.get("op") if type(reply) is dict else None
            if op == "return":
                return reply.get("value")
            if op == "raise":
                raise WorkflowRaised(str(reply.get("error"))[:300])
            if op != "command":
                raise WorkflowContractError("the workflow sent a malformed reply")
            try:
                event = _issue(ctx, reply, decline_refunds)
            except (WorkflowContractError, NondeterminismError):
                session.abandon()
                raise
            try:
                value = yield event
            except ActivityError as e:
                reply = session.throw(e.step_name, e.message, ctx.now(), _journal_len(ctx))
                continue
            except BaseException:
                # The worker died (WorkerCrash): the learner's invocation dies with it.
                session.abandon()
                raise
            reply = session.send(value, ctx.now(), _journal_len(ctx))

    return returns_case


def make_scenario(kind: str, factory) -> Scenario:
    """A scenario for one case of the exercise, running the workflow ``factory`` makes sessions of.

    Args:
        kind: ``valid``, ``declined`` (the refund provider declines) or ``invalid``.
        factory: ``factory(workflow_id, order)`` -> a `simlib.grading.workflow_api.Session`
            (or a remote session with the same methods).
    """
    if kind not in ORDERS:
        from ..core.errors import ConfigError

        raise ConfigError(f"unknown returns case {kind!r}; allowed: {', '.join(CASE_KINDS)}")
    return Scenario(
        name=f"returns-{kind}",
        description=f"Exercise 64.4.1: the returns agent, {kind} case",
        workflow=_make_workflow(factory, kind == "declined"),
        max_steps=MAX_STEPS,
        params={"order": dict(ORDERS[kind])},
        horizon_s=86400.0,
    )


def kind_of_scenario(name: str) -> str:
    """``"returns-declined"`` -> ``"declined"`` (for replay tokens)."""
    kind = name[len("returns-"):] if isinstance(name, str) and name.startswith("returns-") else ""
    if kind not in ORDERS:
        from ..core.errors import ConfigError

        raise ConfigError(f"not an Exercise 64.4.1 scenario: {name!r}; allowed: "
                          f"{', '.join('returns-' + k for k in CASE_KINDS)}")
    return kind


class _LocalFactory:
    """Sessions that run the workflow in this process; `broken` is set by an endless loop."""

    def __init__(self, fn, step_limit_s: float | None):
        self.fn = fn
        self.step_limit_s = step_limit_s
        self.broken: str | None = None

    def __call__(self, workflow_id: str, order):
        return _WatchedSession(self, self.fn, workflow_id, order, self.step_limit_s)


class _WatchedSession(Session):
    """A session that tells its factory when the learner's code ran into the step time limit."""

    def __init__(self, owner: _LocalFactory, *args):
        super().__init__(*args)
        self.owner = owner

    def start(self, now: float = 0.0, journal_len: int = 0) -> dict:
        return self._watch(super().start(now, journal_len))

    def _advance(self, value, exc) -> dict:
        return self._watch(super()._advance(value, exc))

    def _watch(self, reply: dict) -> dict:
        if reply.get("type") == "StepTimeout" and self.owner.broken is None:
            self.owner.broken = (f"the workflow ran for more than {self.step_limit_s:g} s between two "
                                 f"steps (an endless loop?)")
        return reply


def local_factory(fn, step_limit_s: float | None = 5.0) -> _LocalFactory:
    """Sessions that run ``fn`` in this process (the notebook's own feedback)."""
    return _LocalFactory(fn, step_limit_s)
