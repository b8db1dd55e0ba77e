"""Part B's fault campaign: run a learner's returns workflow under crashes and judge it.

A campaign is a list of `Case` (which kind of return, which order, which run
seed, which fault schedule). The orders (ids, ages in days, amounts) and the
run seeds are drawn from the campaign seed, which the batch grader keeps to
itself: a workflow that hard-codes an order id, or gets the last day of the
return window wrong, meets orders it cannot guess. Every run uses the Temporal
model; the verdicts come from the simulator's own ledger and what the workflow
asked for (see `simlib.grading.invariants`). Each invariant is worth one point
and fails on its first counterexample, which is then shrunk (drop faults, move
crashes earlier) to the smallest schedule that still breaks it, and shown with
its timeline and a replay token that holds that one case, never the campaign
seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from ..core.engine import Run
from ..core.errors import BudgetExceeded, ConfigError
from ..core.faults import CRASH_POINTS, CrashAt, CrashAtTime, FaultSchedule, RandomCrashes
from ..models import get_model
from ..core.rng import RunRandom
from .feedback import CORRECT, ERROR, WRONG, Feedback
from .invariants import HINTS as _HINTS, INVARIANTS, Outcome, judge, keys_shared
from .rubric import as_sentence
from .returns import MODEL, ORDERS, RETURN_WINDOW_DAYS, RunTrace, make_scenario

__all__ = ["Case", "Outcome", "INVARIANTS", "campaign_cases", "draw_orders", "run_case", "judge", "shrink",
           "timeline_text", "grade_workflow", "token_for", "case_from_token", "PRACTICE_SEED",
           "DEFAULT_EVENT_BUDGET"]

PRACTICE_SEED = 1
DEFAULT_EVENT_BUDGET = 2_000
GRID_STEPS = 6


@dataclass(frozen=True)
class Case:
    """One run of the campaign.

    Attributes:
        kind: ``valid``, ``declined`` or ``invalid``.
        seed: the run's own seed (latencies, random crashes); a one-way hash of the campaign
            seed, so showing it reveals nothing about the other cases.
        faults: the fault schedule.
        order: what the workflow receives (None: the example order of ``kind``).
        gate: the fault-free run the happy-path check reads.
    """

    kind: str
    seed: int
    faults: FaultSchedule = FaultSchedule()
    order: dict | None = None
    gate: bool = False

    def order_data(self) -> dict:
        return dict(self.order if self.order is not None else ORDERS[self.kind])

    def describe(self) -> str:
        o = self.order_data()
        return (f"{self.kind} return (order {o.get('order_id')}, {o.get('days_since_delivery')} days after "
                f"delivery), faults: {describe_faults(self.faults)}")

    def __hash__(self) -> int:
        return hash((self.kind, self.seed, self.faults, json.dumps(self.order, sort_keys=True), self.gate))


def describe_faults(f: FaultSchedule) -> str:
    """A short human description of a schedule."""
    parts = [f"crash at step {c.step} {c.point}" for c in f.crashes]
    parts += [f"crash at t={c.time_s:.2f}s" for c in f.timed]
    if f.random:
        parts.append(f"random crashes (mtbf {f.random.mtbf_s:g}s)")
    return ", ".join(parts) or "none"


def _case_seed(seed: int, index: int) -> int:
    digest = hashlib.sha256(f"simlib/returns-campaign/{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 999_983 + 1


def draw_orders(seed: int) -> dict[str, list[dict]]:
    """The campaign's orders per kind, drawn from ``seed``.

    Ids, SKUs, amounts and most ages are random; each kind also holds the window's edge
    (the last valid day for valid and declined returns, the first late day for invalid
    ones), so an off-by-one window check always meets its counterexample. The first valid
    order sits well inside the window: it is the happy-path gate.
    """
    rnd = RunRandom(seed).stream("campaign-orders")   # the run-style generator: never the global one
    used = {o["order_id"] for o in ORDERS.values()}
    w = RETURN_WINDOW_DAYS

    def order(days: int) -> dict:
        while True:
            oid = f"RMA-{rnd.randrange(1000, 100_000)}"
            if oid not in used:
                used.add(oid)
                break
        return {"order_id": oid, "sku": f"SKU-{rnd.randrange(1000, 10_000)}",
                "amount_usd": round(rnd.uniform(5.0, 400.0), 2), "days_since_delivery": days}

    return {
        "valid": [order(rnd.randrange(1, w - 1)), order(w), order(rnd.randrange(0, w))],
        "declined": [order(rnd.randrange(1, w)), order(w), order(rnd.randrange(0, w))],
        "invalid": [order(w + 1), order(rnd.randrange(w + 2, 4 * w))],
    }


def campaign_cases(seed: int = PRACTICE_SEED, random_runs: int = 2, grid_steps: int = GRID_STEPS) -> list[Case]:
    """The standard campaign: every order without faults, a crash at every step and point, double
    crashes, random crashes.

    Args:
        seed: derives every order and run seed (the batch grader's is not the notebook's).
        random_runs: runs with random crashes, per valid and declined order.
        grid_steps: crash steps 1..grid_steps are tried for the valid and declined orders.
    """
    orders = draw_orders(seed)
    rnd = RunRandom(seed).stream("campaign")
    plan: list[tuple[str, FaultSchedule, dict, bool]] = []
    for kind in ("valid", "declined", "invalid"):
        for i, order in enumerate(orders[kind]):
            plan.append((kind, FaultSchedule(), order, kind == "valid" and i == 0))
    for kind, steps in (("valid", grid_steps), ("declined", grid_steps), ("invalid", 2)):
        n = 0
        for step in range(1, steps + 1):
            for point in CRASH_POINTS:
                order = orders[kind][n % len(orders[kind])]
                n += 1
                plan.append((kind, FaultSchedule(crashes=(CrashAt(step, point),)), order, False))
    for kind in ("valid", "declined"):
        # The same step dies twice in a row: the retry of a retry must be as safe as the first one.
        for step in range(1, grid_steps + 1):
            twice = (CrashAt(step, "after-effect", 1), CrashAt(step, "after-effect", 2))
            plan.append((kind, FaultSchedule(crashes=twice), orders[kind][step % len(orders[kind])], False))
    for r in range(random_runs):
        for kind in ("valid", "declined"):
            mtbf = rnd.choice((3.0, 4.0, 6.0, 8.0))
            plan.append((kind, FaultSchedule(random=RandomCrashes(mtbf)), orders[kind][r % len(orders[kind])],
                         False))
    return [Case(kind, _case_seed(seed, i), faults, order, gate)
            for i, (kind, faults, order, gate) in enumerate(plan)]


def run_case(case: Case, factory, event_budget: int = DEFAULT_EVENT_BUDGET) -> Outcome:
    """Run one case and read its outcome (a budget overrun ends the run, it does not raise)."""
    trace = RunTrace()
    scenario = make_scenario(case.kind, factory, case.order_data(), trace)
    scenario.validate_faults(case.faults)
    run = Run(scenario, get_model(MODEL), case.seed, case.faults, record=True)
    over = False
    try:
        run.execute(until=scenario.horizon_s, event_budget=event_budget)
    except BudgetExceeded:
        over = True
    finally:
        # A run that never ended leaves the learner's invocation suspended: end it now, at a fixed
        # point, not whenever the garbage collector closes the generator.
        trace.close()
    history = run.history if run.history is not None else []
    history.sort(key=lambda r: r.time)
    inst = run.instances[0]
    led = run.ledger
    effects = tuple((e.kind, e.key is not None, e.deduplicated, e.key) for e in led.effects)
    steps = tuple(trace.steps[k] for k in sorted(trace.steps))
    return Outcome(case, led.count("create_label"), led.count("void_label"), led.count("refund_card"),
                   led.count("send_email"), bool(inst.finished), inst.error, inst.stalled, over,
                   inst.result if inst.finished else None, steps, effects, trace.incarnations,
                   list(history))


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
            trial = run_case(dataclasses.replace(best.case, faults=cand), factory, event_budget)
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
    """The replay token of one case: its kind, run seed, faults and order (see `simlib.grading.replay`).

    It holds that single case only; the campaign seed that drew every order stays with the grader.
    """
    return json.dumps({"scenario": f"returns-{case.kind}", "model": MODEL, "seed": case.seed,
                       "faults": case.faults.to_dict(), "order": case.order_data()}, sort_keys=True)


def case_from_token(token) -> Case:
    """The `Case` a replay token describes (raises `ConfigError` for a malformed token)."""
    from .returns import kind_of_scenario

    if isinstance(token, Case):
        return token
    try:
        d = json.loads(token) if isinstance(token, str) else None
    except ValueError as e:
        raise ConfigError(f"replay token is not valid JSON: {e}") from None
    if not isinstance(d, dict) or not {"scenario", "model", "seed"} <= set(d):
        raise ConfigError("replay token needs the fields scenario, model, seed (and optionally faults, order)")
    kind = kind_of_scenario(d["scenario"])
    if d["model"] != MODEL:
        raise ConfigError(f"Exercise 64.4.1 runs on the {MODEL!r} model, the token says {d['model']!r}")
    if type(d["seed"]) is not int:
        raise ConfigError(f"the token's seed must be an integer, got {d['seed']!r}")
    order = d.get("order")
    if order is not None and (not isinstance(order, dict) or
                              set(order) != {"order_id", "sku", "amount_usd", "days_since_delivery"}):
        raise ConfigError("the token's order must have order_id, sku, amount_usd and days_since_delivery")
    return Case(kind, d["seed"], FaultSchedule.from_dict(d.get("faults") or {}), order)


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
        if inv == "b_keys_per_return":
            failing = keys_shared(outcomes)
        else:
            failing = next(((o, r) for o in outcomes if (r := judge(inv, o)) is not None), None)
        if failing is None:
            out.append(Feedback(inv, 1.0, 1.0, CORRECT, desc))
            continue
        o, reason = failing
        if do_shrink and inv != "b_keys_per_return":
            o = shrink(inv, o, factory, event_budget)
            reason = judge(inv, o) or reason
            if broken():
                o = failing[0]
        out.append(Feedback(inv, 0.0, 1.0, WRONG, reason, hint=as_sentence(_HINTS.get(inv, "")),
                            detail=_counterexample(o)))
        if inv == "b_happy_path":
            gate_ok = False
    return out


