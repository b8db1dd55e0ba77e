"""Part B's fault campaign: run a learner's returns workflow under crashes and judge it.

A campaign is a list of `Case` (which order, which seed, which fault
schedule). Every run uses the Temporal model; the verdicts come from the
simulator's own ledger and instance state, read as plain counts. Each
invariant is worth one point and fails on its first counterexample, which is
then shrunk (drop faults, move crashes earlier) to the smallest schedule that
still breaks it, and shown with its timeline and a replay token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.engine import ReplayToken, Run
from ..core.errors import BudgetExceeded
from ..core.faults import CRASH_POINTS, CrashAt, CrashAtTime, FaultSchedule, RandomCrashes
from ..models import get_model
from ..core.rng import RunRandom
from .feedback import CORRECT, ERROR, WRONG, Feedback
from .returns import MODEL, make_scenario

__all__ = ["Case", "Outcome", "INVARIANTS", "campaign_cases", "run_case", "judge", "shrink",
           "timeline_text", "grade_workflow", "PRACTICE_SEED", "DEFAULT_EVENT_BUDGET"]

PRACTICE_SEED = 1
DEFAULT_EVENT_BUDGET = 20_000
GRID_STEPS = 6


@dataclass(frozen=True)
class Case:
    """One run of the campaign: the order's kind, the run's seed and its faults."""

    kind: str
    seed: int
    faults: FaultSchedule = FaultSchedule()

    def describe(self) -> str:
        return f"{self.kind} return, seed {self.seed}, faults: {describe_faults(self.faults)}"


def describe_faults(f: FaultSchedule) -> str:
    """A short human description of a schedule."""
    parts = [f"crash at step {c.step} {c.point}" for c in f.crashes]
    parts += [f"crash at t={c.time_s:.2f}s" for c in f.timed]
    if f.random:
        parts.append(f"random crashes (mtbf {f.random.mtbf_s:g}s)")
    return ", ".join(parts) or "none"


@dataclass
class Outcome:
    """Plain facts about one run, read from the simulator's ledger and instance state."""

    case: Case
    labels: int
    voids: int
    refunds: int
    emails: int
    completed: bool
    error: str | None
    stalled: str | None
    budget_exceeded: bool
    history: list = field(repr=False, default_factory=list)

    @property
    def ended(self) -> bool:
        return self.completed or self.error is not None

    @property
    def declined_error(self) -> bool:
        """The workflow ended by re-raising the declined refund (allowed after compensating)."""
        return bool(self.error) and "declined by the provider" in self.error


def campaign_cases(seed: int = PRACTICE_SEED, random_runs: int = 2, grid_steps: int = GRID_STEPS) -> list[Case]:
    """The standard campaign: no faults, a crash at every step and point, double crashes, random crashes.

    Args:
        seed: derives every run's seed (the batch grader's is not the notebook's).
        random_runs: runs with random crashes, per valid and declined order.
        grid_steps: crash steps 1..grid_steps are tried for the valid and declined orders.
    """
    rnd = RunRandom(seed).stream("campaign")    # the run-style generator: never the global one
    s0 = rnd.randrange(1, 10**6)
    cases = [Case("valid", s0), Case("invalid", s0), Case("declined", s0)]
    for kind, steps in (("valid", grid_steps), ("declined", grid_steps), ("invalid", 2)):
        for step in range(1, steps + 1):
            for point in CRASH_POINTS:
                cases.append(Case(kind, s0, FaultSchedule(crashes=(CrashAt(step, point),))))
    for kind in ("valid", "declined"):
        # The same step dies twice in a row: the retry of a retry must be as safe as the first one.
        for step in range(1, grid_steps + 1):
            twice = (CrashAt(step, "after-effect", 1), CrashAt(step, "after-effect", 2))
            cases.append(Case(kind, s0, FaultSchedule(crashes=twice)))
    for _ in range(random_runs):
        for kind in ("valid", "declined"):
            mtbf = rnd.choice((3.0, 4.0, 6.0, 8.0))
            cases.append(Case(kind, rnd.randrange(1, 10**6), FaultSchedule(random=RandomCrashes(mtbf))))
    return cases


def run_case(case: Case, factory, event_budget: int = DEFAULT_EVENT_BUDGET) -> Outcome:
    """Run one case and read its outcome (a budget overrun ends the run, it does not raise)."""
    scenario = make_scenario(case.kind, factory)
    scenario.validate_faults(case.faults)
    run = Run(scenario, get_model(MODEL), case.seed, case.faults, record=True)
    over = False
    try:
        run.execute(until=scenario.horizon_s, event_budget=event_budget)
    except BudgetExceeded:
        over = True
    run.history.sort(key=lambda r: r.time)
    inst = run.instances[0]
    led = run.ledger
    return Outcome(case, led.count("create_label"), led.count("void_label"), led.count("refund_card"),
                   led.count("send_email"), bool(inst.finished), inst.error, inst.stalled, over, list(run.history))


# ---------------------------------------------------------------------- invariants
def _happy(o: Outcome) -> str | None:
    problems = []
    if not o.completed:
        problems.append("it did not complete" + (f" ({o.error})" if o.error else ""))
    for what, n, want in (("label", o.labels, 1), ("refund", o.refunds, 1), ("email", o.emails, 1),
                          ("label void", o.voids, 0)):
        if n != want:
            problems.append(f"{n} {what}(s) instead of {want}")
    return "; ".join(problems) or None


def _finishes(o: Outcome) -> str | None:
    if o.budget_exceeded:
        return "the run never finished: it went past its budget of simulated events (a loop of steps?)"
    if o.stalled:
        return f"the run got stuck: {o.stalled}"
    if o.error and not (o.case.kind == "declined" and o.declined_error):
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
    if o.case.kind == "valid" and o.completed and o.refunds >= 1 and o.emails == 0:
        return "the refund went through but no confirmation email was sent"
    return None


def _saga(o: Outcome) -> str | None:
    if o.case.kind == "declined":
        if o.ended and o.labels > 0 and o.voids == 0:
            return "the refund was declined but the shipping label was never voided"
        return None
    if o.voids > 0:
        return "a label was voided although the refund did not fail"
    return None


def _valid_only(o: Outcome) -> str | None:
    if o.case.kind == "invalid":
        if o.refunds:
            return "a return outside the return window was refunded"
        if o.labels:
            return "a return outside the return window got a shipping label"
        return None
    if o.case.kind == "valid" and o.ended and o.refunds == 0:
        return "a valid return finished without a refund"
    return None


# (id, what it checks, check); the first is the gate: without it nothing else is judged.
INVARIANTS = (
    ("b_happy_path", "without faults, a valid return gets one label, one refund and one email", _happy),
    ("b_finishes", "every run finishes (a declined refund may end it with that error)", _finishes),
    ("b_one_refund", "never two refunds", _at_most_one("refunds were issued", "refunds")),
    ("b_one_email", "never two emails, and a completed refund is confirmed", _one_email),
    ("b_one_label", "never two shipping labels", _at_most_one("shipping labels were created", "labels")),
    ("b_saga_voids_label", "the label is voided whenever the refund is declined (and only then)", _saga),
    ("b_refund_only_if_valid", "valid returns are refunded; invalid ones get no label and no refund", _valid_only),
)
_BY_ID = {i: fn for i, _, fn in INVARIANTS}


def judge(invariant: str, outcome: Outcome) -> str | None:
    """None when ``outcome`` satisfies the invariant, else why not."""
    if invariant == "b_happy_path" and (outcome.case.kind != "valid" or not outcome.case.faults.empty):
        return None
    return _BY_ID[invariant](outcome)


# ---------------------------------------------------------------------- shrinking
def _without(seq: tuple, i: int) -> tuple:
    return seq[:i] + seq[i + 1:]


def _candidates(f: FaultSchedule, outcome: Outcome):
    """Simpler schedules than ``f``, simplest first."""
    delay = f.restart_delay_s
    if not f.empty:
        yield FaultSchedule(restart_delay_s=delay)
    if f.random is not None:
        # Replace random crashes by the crashes they caused, which can then be removed one by one.
        pinned = {(c.step, c.point) for c in f.crashes}
        known = {c.time_s for c in f.timed}
        times = tuple(CrashAtTime(r.time) for r in outcome.history if r.event == "crash"
                      and (r.step, r.detail.get("point")) not in pinned and r.time not in known)
        yield FaultSchedule(crashes=f.crashes, timed=f.timed + times, restart_delay_s=delay)
    for i in range(len(f.crashes)):
        yield FaultSchedule(crashes=_without(f.crashes, i), timed=f.timed, random=f.random, restart_delay_s=delay)
    for i in range(len(f.timed)):
        yield FaultSchedule(crashes=f.crashes, timed=_without(f.timed, i), random=f.random, restart_delay_s=delay)
    for i, c in enumerate(f.crashes):
        if c.step > 1:
            moved = CrashAt(c.step - 1, c.point, c.attempt, c.workflow)
            yield FaultSchedule(crashes=f.crashes[:i] + (moved,) + f.crashes[i + 1:], timed=f.timed,
                                random=f.random, restart_delay_s=delay)
        p = CRASH_POINTS.index(c.point)
        if p > 0:
            moved = CrashAt(c.step, CRASH_POINTS[p - 1], c.attempt, c.workflow)
            yield FaultSchedule(crashes=f.crashes[:i] + (moved,) + f.crashes[i + 1:], timed=f.timed,
                                random=f.random, restart_delay_s=delay)


def shrink(invariant: str, outcome: Outcome, factory, event_budget: int = DEFAULT_EVENT_BUDGET,
           max_runs: int = 60) -> Outcome:
    """Greedily simplify a failing case while the same invariant still fails."""
    best = outcome
    runs = 0
    improved = True
    while improved and runs < max_runs:
        improved = False
        for cand in _candidates(best.case.faults, best):
            if runs >= max_runs:
                break
            runs += 1
            trial = run_case(Case(best.case.kind, best.case.seed, cand), factory, event_budget)
            if judge(invariant, trial) is not None:
                best = trial
                improved = True
                break
    return best


# ---------------------------------------------------------------------- rendering
def timeline_text(history, limit: int = 60) -> str:
    """The run's history as text, one line per thing a learner cares about."""
    lines = []
    for r in history:
        d = r.detail or {}
        t = f"{r.time:9.2f}s"
        if r.event in ("start", "resume"):
            lines.append(f"{t}  {r.event} on {r.worker}")
        elif r.kind == "invoke":
            lines.append(f"{t}  step {r.step} ({d.get('name')}) attempt {r.attempt} starts")
        elif r.event == "effect":
            key = d.get("key")
            dedup = "  [deduplicated by its key]" if d.get("deduplicated") else ""
            lines.append(f"{t}    effect {d.get('effect')} (key {key!r}){dedup}")
        elif r.event == "replay":
            lines.append(f"{t}  step {r.step} ({d.get('name')}) replayed from the history")
        elif r.kind == "ok" and r.step is not None:
            lines.append(f"{t}  step {r.step} ({d.get('name')}) recorded")
        elif r.kind == "fail" and r.step is not None and r.event != "nondeterminism":
            lines.append(f"{t}  step {r.step} ({d.get('name')}) failed: {d.get('error')}")
        elif r.event == "crash":
            lines.append(f"{t}  CRASH ({d.get('point')}): {r.worker} dies")
        elif r.event == "complete":
            lines.append(f"{t}  workflow completed, result {d.get('result')!r}")
        elif r.event in ("workflow-failed", "nondeterminism", "stopped"):
            lines.append(f"{t}  workflow {r.event}: {d.get('error') or d.get('reason')}")
    if len(lines) > limit:
        lines = lines[: limit - 1] + [f"... {len(lines) - limit + 1} more lines"]
    return "\n".join(lines)


def token_for(case: Case) -> str:
    """The replay token of a case (see `simlib.grading.replay`)."""
    return ReplayToken(f"returns-{case.kind}", MODEL, case.seed, case.faults).to_json()


def _counterexample(outcome: Outcome) -> str:
    return "\n".join([
        f"smallest failing run: {outcome.case.describe()}",
        "timeline:",
        *("  " + ln for ln in timeline_text(outcome.history).splitlines()),
        f"replay token: {token_for(outcome.case)}",
    ])


# ---------------------------------------------------------------------- grading
def grade_workflow(factory, cases: list[Case], event_budget: int = DEFAULT_EVENT_BUDGET,
                   broken=lambda: None, do_shrink: bool = True) -> list[Feedback]:
    """Run every case and return one `Feedback` per invariant (1 point each).

    Args:
        factory: makes the learner's sessions (local or in a sandbox).
        cases: the campaign; the first must be the fault-free valid case.
        broken: returns a reason once the learner's process can no longer answer.
    """
    outcomes = []
    for case in cases:
        outcomes.append(run_case(case, factory, event_budget))
        why = broken()
        if why:
            return [Feedback(i, 0.0, 1.0, ERROR, f"could not be graded: {why}") for i, _, _ in INVARIANTS]
    out = []
    gate_ok = True
    for inv, desc, _ in INVARIANTS:
        if not gate_ok:
            out.append(Feedback(inv, 0.0, 1.0, WRONG, f"not judged: {desc}; fix the run without faults first"))
            continue
        failing = next(((o, r) for o in outcomes if (r := judge(inv, o)) is not None), None)
        if failing is None:
            out.append(Feedback(inv, 1.0, 1.0, CORRECT, desc))
            continue
        o, reason = failing
        if do_shrink:
            o = shrink(inv, o, factory, event_budget)
            reason = judge(inv, o) or reason
            if broken():
                o = failing[0]
        out.append(Feedback(inv, 0.0, 1.0, WRONG, reason, hint=_HINTS.get(inv, ""),
                            detail=_counterexample(o)))
        if inv == "b_happy_path":
            gate_ok = False
    return out


_HINTS = {
    "b_happy_path": "run the workflow once without faults and compare the ledger with the five steps",
    "b_finishes": "a crash is thrown into your code at a yield: don't catch BaseException, and keep the "
                  "code deterministic so the replay issues the same steps",
    "b_one_refund": "a step whose effect happened but was not recorded runs again after a crash; what "
                    "makes the provider recognise the repeat?",
    "b_one_email": "the email is a side effect like the refund; what protects it from a repeat?",
    "b_one_label": "creating a label is a side effect too",
    "b_saga_voids_label": "catch the refund's ActivityError and undo what already happened",
    "b_refund_only_if_valid": "decide from order['days_since_delivery'] before any side effect",
}
