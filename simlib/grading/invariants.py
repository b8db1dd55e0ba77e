"""Part B's invariants: pure checks over the plain facts of one run.

Each check reads an `Outcome` (counts from the simulator's ledger, the steps the
workflow asked for, what it returned) and returns None when the run keeps the
invariant, else one sentence saying what went wrong. The checks judge a run
that never ended on what it did before it stopped (a declined refund whose
label is still not voided is a failure whether or not the run ends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .returns import RESULTS

__all__ = ["Outcome", "INVARIANTS", "HINTS", "judge", "keys_shared", "COMPENSATION_EFFECTS"]

# Effects that undo an earlier one (a refund is a forward step in this exercise, not an undo).
COMPENSATION_EFFECTS = ("void_label", "release_inventory", "cancel_flight", "cancel_hotel")

_VALIDATE = re.compile(r"valid", re.I)
_INVENTORY = re.compile(r"inventor|stock", re.I)


@dataclass
class Outcome:
    """Plain facts about one run.

    Attributes:
        case: the `simlib.grading.campaign.Case` that was run.
        labels, voids, refunds, emails: effects that really happened (repeats of a key excluded).
        completed: the workflow returned; error: how it failed; stalled: why it stopped.
        budget_exceeded: the run went past its budget of simulated events.
        result: what the workflow returned (plain data).
        steps: ``(kind, name, effect, keyed)`` of each step the workflow asked for, in step order.
        effects: every effect the world saw, in time order: ``(kind, keyed, deduplicated, key)``.
        incarnations: how many times the learner's code was started.
    """

    case: Any
    labels: int
    voids: int
    refunds: int
    emails: int
    completed: bool
    error: str | None
    stalled: str | None
    budget_exceeded: bool
    result: object = None
    steps: tuple = ()
    effects: tuple = ()
    incarnations: int = 0
    history: list = field(repr=False, default_factory=list)

    @property
    def kind(self) -> str:
        return self.case.kind

    @property
    def ended(self) -> bool:
        return self.completed or self.error is not None

    @property
    def declined_error(self) -> bool:
        """The workflow ended by re-raising the declined refund."""
        return self.error is not None and "declined by the provider" in self.error

    def applied(self, kind: str | None = None) -> list:
        return [e for e in self.effects if not e[2] and (kind is None or e[0] == kind)]


def _happy(o: Outcome) -> str | None:
    problems = []
    if not o.completed:
        problems.append("it did not complete" + (f" ({o.error or o.stalled})" if o.error or o.stalled else ""))
    for what, n in (("shipping label", o.labels), ("refund", o.refunds), ("confirmation email", o.emails)):
        if n == 0:
            problems.append(f"no {what} was made")
        elif n > 1:
            problems.append(f"{n} {what}s were made instead of one")
    if o.voids:
        problems.append("a label was voided although nothing failed")
    return "; ".join(problems) or None


def _finishes(o: Outcome) -> str | None:
    if o.budget_exceeded:
        return "the run never finished: it went past its budget of simulated events (a loop of steps?)"
    if o.stalled:
        return f"the run got stuck: {o.stalled}"
    if o.error and not (o.kind == "declined" and o.declined_error):
        return f"the workflow failed: {o.error}"
    if not o.ended:
        return "the run did not finish within a simulated day"
    return None


def _at_most_one(what: str, attr: str):
    def check(o: Outcome) -> str | None:
        n = getattr(o, attr)
        return f"{n} {what} for one return" if n > 1 else None
    return check


def _one_email(o: Outcome) -> str | None:
    if o.emails > 1:
        return f"{o.emails} emails were sent for one return"
    if o.kind == "valid" and o.completed and o.refunds >= 1 and o.emails == 0:
        return "the refund went through but no confirmation email was sent"
    return None


def _confirm_after_refund(o: Outcome) -> str | None:
    if o.kind == "invalid":
        return None     # judged by b_refund_only_if_valid: an invalid return has no effect at all
    refunded = False
    for kind, _keyed, dedup, _key in o.effects:
        if dedup:
            continue
        if kind == "refund_card":
            refunded = True
        elif kind == "send_email" and not refunded:
            if o.kind == "declined":
                return "a confirmation email went out although the refund was declined"
            return "the confirmation email went out before the refund had gone through"
    return None


def _saga(o: Outcome) -> str | None:
    if o.kind == "declined":
        if o.labels > 0 and o.voids == 0:
            still = "" if o.ended else " (the run never ended, and the label is still valid)"
            return "the refund was declined but the shipping label was never voided" + still
        return None
    if o.voids > 0:
        return "a label was voided although the refund did not fail"
    return None


def _compensation_keyed(o: Outcome) -> str | None:
    undo = [e for e in o.effects if e[0] in COMPENSATION_EFFECTS]
    if any(not e[1] for e in undo):
        return "a compensation step (the label's void) was sent without an idempotency key"
    for kind in COMPENSATION_EFFECTS:
        n = len(o.applied(kind))
        if n > 1:
            return f"the compensation took effect {n} times: the label was voided more than once"
    return None


def _valid_only(o: Outcome) -> str | None:
    if o.kind == "invalid":
        done = o.applied()
        if any(e[0] == "refund_card" for e in done):
            return "a return outside the return window was refunded"
        if any(e[0] == "create_label" for e in done):
            return "a return outside the return window got a shipping label"
        if done:
            return f"a return outside the return window still caused a side effect ({done[0][0]})"
        return None
    if o.kind == "valid" and o.ended and o.refunds == 0:
        return "a valid return (within the return window) finished without a refund"
    return None


def _first(steps: tuple, pred) -> int | None:
    return next((i for i, s in enumerate(steps) if pred(s)), None)


def _steps(o: Outcome) -> str | None:
    s = o.steps
    read = lambda rx: lambda st: st[2] is None and st[1] is not None and rx.search(str(st[1])) is not None  # noqa: E731
    effect = lambda kind: lambda st: st[2] == kind  # noqa: E731
    validate, inventory = _first(s, read(_VALIDATE)), _first(s, read(_INVENTORY))
    first_effect = _first(s, lambda st: st[2] is not None)
    label, refund = _first(s, effect("create_label")), _first(s, effect("refund_card"))
    email, void = _first(s, effect("send_email")), _first(s, effect("void_label"))
    if validate is None and (o.ended or first_effect is not None):
        return "the return was never validated (no validate step)"
    if validate is not None and first_effect is not None and first_effect < validate:
        return "a side effect happened before the return was validated"
    if o.kind == "invalid":
        return None
    if inventory is None and label is not None:
        return "the inventory was never checked before the label was created"
    if inventory is not None and label is not None and label < inventory:
        return "the label was created before the inventory check"
    if refund is not None and (label is None or refund < label):
        return "the refund was issued before the shipping label was created"
    if email is not None and (refund is None or email < refund):
        return "the confirmation email was sent before the refund step"
    if void is not None and (refund is None or void < refund):
        return "the label was voided before the refund was even tried"
    return None


def _result(o: Outcome) -> str | None:
    want = RESULTS[o.kind]
    if o.completed:
        got = o.result
        if type(got) is str and got.strip().lower() == want:
            return None
        return f"a {o.kind} return made the workflow return {got!r}; the spec asks for {want!r}"
    if o.kind == "declined" and o.declined_error:
        return f"a declined refund ended the workflow with the provider's error instead of returning {want!r}"
    return None


def keys_shared(outcomes) -> tuple[Outcome, str] | None:
    """The first run that reused another return's idempotency key, and why that is wrong.

    Unlike the other checks this one reads the whole campaign: a key such as ``"refund"`` is
    stable across retries, but the provider would also take the next customer's refund for a
    repeat of this one and skip it.
    """
    owner: dict[str, str] = {}
    for o in outcomes:
        oid = str(o.case.order_data().get("order_id"))
        for kind, _keyed, _dedup, key in o.effects:
            if key is None:
                continue
            first = owner.setdefault(key, oid)
            if first != oid:
                return o, (f"two different returns sent the same idempotency key {key!r} ({kind}): the provider "
                           f"would take the second return's effect for a repeat of the first and skip it")
    return None


def _per_return(o: Outcome) -> str | None:
    return None     # judged over the whole campaign by `keys_shared`


# (id, what it checks, check); the first is the gate: without it nothing else is judged.
INVARIANTS = (
    ("b_happy_path", "without faults, a valid return gets one label, one refund and one email", _happy),
    ("b_finishes", "every run finishes (a declined refund may end it with that error)", _finishes),
    ("b_one_refund", "never two refunds", _at_most_one("refunds were issued", "refunds")),
    ("b_one_email", "never two emails, and a completed refund is confirmed", _one_email),
    ("b_one_label", "never two shipping labels", _at_most_one("shipping labels were created", "labels")),
    ("b_confirm_after_refund", "no confirmation email unless the refund went through", _confirm_after_refund),
    ("b_saga_voids_label", "the label is voided whenever the refund is declined (and only then)", _saga),
    ("b_compensation_keyed", "every compensation carries an idempotency key and takes effect once",
     _compensation_keyed),
    ("b_keys_per_return", "each return's idempotency keys are its own (two returns never share one)",
     _per_return),
    ("b_refund_only_if_valid", "valid returns are refunded; an invalid one causes no side effect at all",
     _valid_only),
    ("b_steps", "validate and check inventory run, and every step comes in the spec's order", _steps),
    ("b_result", "the workflow returns the spec's result for every kind of return", _result),
)
_BY_ID = {i: fn for i, _, fn in INVARIANTS}

HINTS = {
    "b_happy_path": "run the workflow once without faults (try_returns) and compare the ledger with the five "
                    "steps",
    "b_finishes": "a crash stops your code at a yield: don't catch BaseException, and keep the code "
                  "deterministic so the replay asks for the same steps",
    "b_one_refund": "a step whose effect happened but was not recorded runs again after a crash. What makes "
                    "the provider recognise the repeat?",
    "b_one_email": "the email is a side effect like the refund. What protects it from a repeat?",
    "b_one_label": "creating a label is a side effect too.",
    "b_confirm_after_refund": "the email confirms a refund. Send it only once the refund step has "
                              "returned.",
    "b_saga_voids_label": "catch the refund's ActivityError and undo what already happened.",
    "b_compensation_keyed": "a compensation can be retried after a crash like any other step. Give it its "
                            "own stable key.",
    "b_keys_per_return": "a key must stay the same when a step is retried and differ from one return to the "
                         "next: build it from the workflow's id (ctx.key does) or the order's id.",
    "b_refund_only_if_valid": "decide from order['days_since_delivery'] and RETURN_WINDOW_DAYS, before any "
                              "side effect; read the spec's rule for the last day of the window.",
    "b_steps": "follow the spec's table: validate, check inventory, label, refund, confirmation.",
    "b_result": "return the strings the workflow's docstring names; a declined refund is handled, "
                "not re-raised.",
}


def judge(invariant: str, outcome: Outcome) -> str | None:
    """None when ``outcome`` satisfies the invariant, else why not."""
    if invariant == "b_happy_path" and not getattr(outcome.case, "gate", False):
        return None
    return _BY_ID[invariant](outcome)
