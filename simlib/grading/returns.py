"""Exercise 64.4.1's world: the returns agent's orders, contract and scenario.

The learner writes ``returns_workflow(ctx, order)``; this module wraps it into a
`simlib.Scenario` built on the fly (nothing is registered), so the grader can
run it under the Temporal model with any fault schedule. The wrapper forwards
each step the learner's code asks for to the real context, after checking its
arguments, and makes the refund provider decline in the ``declined`` case. The
learner's code never sees whether the refund will be declined; it only sees
the `ActivityError` when it is. Every start of a worker (the first, and each
restart after a crash) runs a new incarnation of the learner's code (see
`LocalFactory`), so state kept outside the engine is lost as it would be.

The contract (the grader reads the effects from the ledger, the steps from
what the workflow asked for; see `simlib.grading.invariants`):

1. validate the return: a read (no effect) whose name says so (``"validate"``), then decide;
2. check inventory: a read named after the inventory (``"check_inventory"``);
3. create the shipping label: ``ctx.tool(name, effect="create_label", ...)``;
4. issue the refund: ``ctx.tool(name, effect="refund_card", ...)``;
5. send the confirmation: ``ctx.tool(name, effect="send_email", ...)``, only after the refund;
   and, to compensate a declined refund, void the label: ``effect="void_label"``, keyed.

A return is valid when ``order["days_since_delivery"] <= RETURN_WINDOW_DAYS``; an
invalid one ends after the validation with no side effect. The workflow returns
`RESULTS` [kind]: ``"refunded"``, ``"refund-declined"`` or ``"rejected"``.
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
    "LocalFactory", "RunTrace", "RESULTS",
]

RETURN_WINDOW_DAYS = 30
MODEL = "temporal"
MAX_STEPS = 12
CASE_KINDS = ("valid", "declined", "invalid")
# What the workflow returns for each kind of return (the exercise's spec).
RESULTS = {"valid": "refunded", "declined": "refund-declined", "invalid": "rejected"}

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


class RunTrace:
    """What the grader saw of one run's workflow, beyond the ledger.

    Attributes:
        steps: step number -> ``(kind, name, effect, keyed)`` of the step the workflow asked
            for there (the first incarnation to reach it; a deterministic workflow asks for the
            same step on every replay).
        sessions: every session (one per incarnation), in the order they were started.
        incarnations: how many times the learner's code was started afresh.
    """

    def __init__(self):
        self.steps: dict[int, tuple] = {}
        self.sessions: list = []
        self.live: list = []
        self.incarnations = 0

    def close(self) -> None:
        """Abandon every session still suspended (a run that never ended), in start order.

        Called by the grader once the run is over, so the learner's side hears about it at a
        fixed point of the grading, never when the garbage collector gets round to it.
        """
        live, self.live = self.live, []
        for session in live:
            session.abandon()


def _workflow_id(ctx, order) -> str:
    """The id the learner's workflow sees: one per return, as a real engine gives each order its own."""
    oid = order.get("order_id") if isinstance(order, dict) else None
    return f"return-{oid}" if isinstance(oid, str) and oid else ctx.workflow_id


def _make_workflow(factory, decline_refunds: bool, trace: RunTrace):
    """The scenario's workflow: drives the learner's session against the real context."""

    def finish(session) -> None:
        if session in trace.live:
            trace.live.remove(session)

    def returns_case(ctx, order):
        # Every worker start is a new process: the learner's in-memory state starts afresh.
        new = getattr(factory, "new_incarnation", None)
        if new is not None:
            new()
        trace.incarnations += 1
        session = factory(_workflow_id(ctx, order), copy.deepcopy(order))
        trace.sessions.append(session)
        trace.live.append(session)
        seq = 0
        reply = session.start(ctx.now(), _journal_len(ctx))
        while True:
            op = reply.get("op") if type(reply) is dict else None
            if op == "return":
                finish(session)
                return reply.get("value")
            if op == "raise":
                finish(session)
                raise WorkflowRaised(str(reply.get("error"))[:300])
            if op != "command":
                finish(session)
                raise WorkflowContractError("the workflow sent a malformed reply")
            seq += 1
            args = reply.get("args") if type(reply.get("args")) is dict else {}
            trace.steps.setdefault(seq, (reply.get("kind"), reply.get("name"), args.get("effect"),
                                         args.get("idempotency_key") is not None))
            try:
                event = _issue(ctx, reply, decline_refunds)
            except (WorkflowContractError, NondeterminismError):
                finish(session)
                session.abandon()
                raise
            try:
                value = yield event
            except ActivityError as e:
                reply = session.throw(e.step_name, e.message, ctx.now(), _journal_len(ctx))
                continue
            except GeneratorExit:
                # The run is over and this generator is being collected, at a moment that depends
                # on the garbage collector: say nothing to the learner's side (RunTrace.close does).
                raise
            except BaseException:
                # The worker died (WorkerCrash): the learner's invocation dies with it.
                finish(session)
                session.abandon()
                raise
            reply = session.send(value, ctx.now(), _journal_len(ctx))

    return returns_case


def make_scenario(kind: str, factory, order: dict | None = None, trace: RunTrace | None = None) -> Scenario:
    """A scenario for one case of the exercise, running the workflow ``factory`` makes sessions of.

    Args:
        kind: ``valid``, ``declined`` (the refund provider declines) or ``invalid``.
        factory: ``factory(workflow_id, order)`` -> a `simlib.grading.workflow_api.Session`
            (or a remote session with the same methods); see `LocalFactory` for the
            ``new_incarnation`` contract.
        order: the order the workflow gets (default: the example order of ``kind``).
        trace: filled with what the workflow asked for (default: a throw-away one).
    """
    if kind not in ORDERS:
        from ..core.errors import ConfigError

        raise ConfigError(f"unknown returns case {kind!r}; allowed: {', '.join(CASE_KINDS)}")
    return Scenario(
        name=f"returns-{kind}",
        description=f"Exercise 64.4.1: the returns agent, {kind} case",
        workflow=_make_workflow(factory, kind == "declined", trace if trace is not None else RunTrace()),
        max_steps=MAX_STEPS,
        params={"order": dict(order if order is not None else ORDERS[kind])},
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


class LocalFactory:
    """Sessions that run the learner's workflow in this process.

    This is one of the two implementations of the grader's factory interface (the other
    runs the workflow in the batch grader's sandbox):

    ``factory(workflow_id, order) -> session``
        A session of the current incarnation (`simlib.grading.workflow_api.Session`, or a
        remote handle with the same ``start``/``send``/``throw``/``abandon`` methods).

    ``factory.new_incarnation() -> None``
        Start a new worker incarnation of the learner's code. Sessions made after the call
        run the workflow as a freshly started worker process would: every module-level
        variable, closure, default argument and function attribute the workflow can reach
        holds the value it had when the notebook's cells finished running, not what earlier
        incarnations left there. Sessions made before the call belong to dead incarnations:
        the grader has abandoned them and never calls them again, none of their code runs
        afterwards, and nothing they might still do (a ``finally`` block run by the garbage
        collector) reaches the grader. The grader calls it before every workflow invocation
        (each case's first start and every restart after a crash: about 100 times per
        campaign), so it must be cheap and deterministic; it never raises for the learner's
        misbehaviour (a broken learner shows up in ``broken`` and in session replies).

    ``factory.broken -> str | None``
        Set once the learner's code can no longer be trusted to answer (an endless loop).

    Here a new incarnation is a fresh copy of the workflow function and the state it can
    reach (see `simlib.grading.incarnation`).
    """

    def __init__(self, fn, step_limit_s: float | None):
        from .incarnation import Incarnations

        self.incarnations = Incarnations(fn)
        self.fn = fn
        self.current = None
        self.step_limit_s = step_limit_s
        self.broken: str | None = None

    def new_incarnation(self) -> None:
        self.current = self.incarnations.fresh()

    def __call__(self, workflow_id: str, order):
        if self.current is None:
            self.new_incarnation()
        return _WatchedSession(self, self.current, workflow_id, order, self.step_limit_s)


class _WatchedSession(Session):
    """A session that tells its factory when the learner's code ran into the step time limit."""

    def __init__(self, owner: LocalFactory, *args):
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


def local_factory(fn, step_limit_s: float | None = 5.0) -> LocalFactory:
    """Sessions that run ``fn`` in this process (the notebook's own feedback)."""
    return LocalFactory(fn, step_limit_s)
