"""The context a workflow talks to, and the step machinery every model shares.

A workflow is a generator function ``def wf(ctx, **params)`` that yields the
events returned by ``ctx.llm``, ``ctx.tool``, ``ctx.compute``, ``ctx.sleep`` and
``ctx.wait_event`` and receives each step's result, just as an SDK's workflow
awaits its activities. The graph is whatever the code does: branches and loops
may depend on LLM answers.

A model changes how steps behave by subclassing `Context` and overriding its
class attributes (is the state durable, which component holds it, what an
outage does, how failed attempts are retried) or its hooks (`lookup_step`,
`record_step`). Everything a step does is worked out when the step is issued: its
latency, whether a crash or an outage falls inside it, and when it ends. That
costs at most one SimPy event per step, which keeps sweeps fast.

When nothing else is scheduled before a step ends (the usual case for a single
workflow), the step is not put on SimPy's queue at all: the clock is moved to
the step's end, the step is finished there, and the workflow receives an
already-processed event, which SimPy's process loop consumes at once. This is
the same history the queued event would give (nothing could have happened in
between), at a fraction of the cost; see `Context.can_finish_inline`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Protocol, cast

from simpy.events import Event
from simpy.exceptions import Interrupt

from .clock import Done, StepEvent, done_event
from .errors import ActivityError, ConfigError, NondeterminismError, SimulatorError, WorkerCrash, WorkflowFailure
from .history import Record

__all__ = ["Context", "RetryPolicy", "TimeLimit", "Instance", "MISSING", "StepEvent"]

INF = math.inf
MISSING = object()


class RetryPolicy:
    """Exponential backoff between attempts of one step.

    Attributes:
        initial_interval_s: wait before the second attempt.
        backoff_coefficient: multiplier for each further wait.
        maximum_interval_s: cap on one wait.
        maximum_attempts: total attempts allowed (0 = unlimited).
        table: explicit waits (Inngest's schedule); overrides the formula.
    """

    __slots__ = ("initial_interval_s", "backoff_coefficient", "maximum_interval_s", "maximum_attempts", "table")

    def __init__(self, initial_interval_s: float = 1.0, backoff_coefficient: float = 2.0,
                 maximum_interval_s: float = 100.0, maximum_attempts: int = 0, table: tuple[Any, ...] = ()):
        self.initial_interval_s = initial_interval_s
        self.backoff_coefficient = backoff_coefficient
        self.maximum_interval_s = maximum_interval_s
        self.maximum_attempts = maximum_attempts
        self.table = tuple(table)

    def delay(self, attempt: int) -> float | None:
        """Seconds to wait after failed ``attempt`` (1-based), or None when no attempt is left."""
        if self.maximum_attempts and attempt >= self.maximum_attempts:
            return None
        if self.table:
            return float(self.table[min(attempt - 1, len(self.table) - 1)])
        if attempt > 200:  # the cap was reached long ago; avoid float overflow in a crash loop
            return self.maximum_interval_s
        return min(self.initial_interval_s * self.backoff_coefficient ** (attempt - 1), self.maximum_interval_s)

    def __repr__(self) -> str:
        return (f"RetryPolicy(initial_interval_s={self.initial_interval_s}, backoff_coefficient="
                f"{self.backoff_coefficient}, maximum_interval_s={self.maximum_interval_s}, "
                f"maximum_attempts={self.maximum_attempts})")


class Backoff(Protocol):
    """What a step's retry setting must answer: the wait after a failed attempt, or None to give up."""

    def delay(self, attempt: int) -> float | None:
        """Seconds to wait after failed ``attempt`` (1-based), or None when no attempt is left."""
        ...


NO_RETRY = RetryPolicy(maximum_attempts=1)


@dataclass(frozen=True)
class TimeLimit:
    """An engine's execution timeout for one step: an attempt still running at the limit fails there.

    A model passes one to `Context.plan_step` for a step that cannot finish within its timeout;
    the step runner then fails each attempt at the limit and retries it by the context's ``retry``.

    Attributes:
        budget_s: seconds an attempt may run before the engine fails it.
        error: the `ActivityError` message once no attempt is left (``{attempt}`` is filled in).
        detail: the error text of one timed-out attempt in the history.
        retry: False when the first timeout is final.
        counter: the ``Instance.extra`` counter each timeout adds to.
    """

    budget_s: float
    error: str
    detail: str
    retry: bool = True
    counter: str = "timed_out"


class Instance:
    """One workflow instance's state across all its invocations (attempts of the whole run)."""

    __slots__ = ("id", "params", "journal", "attempts", "starts", "done_steps", "timers", "waits",
                 "invocations", "crashes", "finished", "result", "error", "stalled", "started_at",
                 "ended_at", "crash_at", "exec_time", "ok_time", "extra", "state", "billed", "service")

    def __init__(self, wid: str, params: dict[Any, Any]):
        self.id = wid
        self.params = params
        self.journal: list[Any] = []          # durable results in step order: (kind, name, value)
        self.attempts: dict[Any, Any] = {}         # step -> attempts issued so far
        self.starts: dict[Any, Any] = {}           # step -> executions actually started
        self.done_steps: set[Any] = set()     # steps whose execution ever completed
        self.timers: dict[Any, Any] = {}           # step -> absolute fire time of a durable timer
        self.waits: dict[Any, Any] = {}            # step -> absolute start of a durable wait
        self.invocations = 0
        self.crashes = 0
        self.finished = False
        self.result: Any = None
        self.error: str | None = None
        self.stalled: str | None = None
        self.started_at = 0.0
        self.ended_at: float | None = None
        self.crash_at: float | None = None
        self.exec_time = 0.0             # seconds spent executing steps, all attempts
        self.ok_time: dict[Any, Any] = {}          # step -> duration of its last completed execution
        self.extra: dict[Any, Any] = {}            # model-specific counters
        self.state: Any = None           # the model's durable per-instance state (its own dataclass)
        self.billed: set[Any] = set()         # steps whose LLM call the provider has billed at least once
        self.service: str | None = None  # in a system of several engines: the service it runs as


class Context:
    """What workflow code calls; one per invocation of a workflow instance.

    Class attributes a model overrides:
        durable: results survive a crash (else every invocation starts from step 1).
        store: the component that holds the state (outage windows name it).
        outage: what a store outage does when a result must be written: ``"stall"``
            (wait for it), ``"fail"`` (the write raises and the worker dies) or ``"deferred"``
            (a background writer takes the write: the step goes on, and the model's `record_step`
            decides what the failed write means).
        gate_start: a step cannot even start while the store is down (a server dispatches it).
        check_determinism: replayed commands must match the recorded ones.
        retry: `RetryPolicy` for attempts that fail transiently.
        record_latency_s: seconds between a step's effect and its durable record (the window in
            which a crash repeats the effect).
    """

    durable = True
    store = "store"
    outage = "stall"
    gate_start = False
    check_determinism = False
    retry: Backoff = NO_RETRY
    record_latency_s = 0.0

    __slots__ = ("run", "env", "inst", "worker", "workflow_id", "seq", "history", "plan", "stats",
                 "inflight", "replaying", "serial", "_tc")

    def __init__(self, run: Any, inst: Instance, worker: str) -> None:
        self.run = run
        self.env = run.env
        self.inst = inst
        self.worker = worker
        self.workflow_id = inst.id
        self.seq = 0
        self.history = run.history
        self.plan = run.plan
        self.stats = run.stats
        self.inflight: tuple[Any, ...] | None = None   # (step, started_at, attempt, kind) of the step in progress
        self.replaying = False
        # False while the workflow issues steps it will wait for together (a parallel super-step):
        # those must all start at the same instant, so none of them may be finished inline.
        self.serial = True
        self._tc = (INF, INF)   # (asked at, answer) of the last next-crash question (hot-path cache)

    # ------------------------------------------------------------------ workflow API
    def now(self) -> float:
        """Simulated seconds since the run started (like ``workflow.now()``)."""
        return float(self.env._now)

    def key(self, name: str) -> str:
        """An idempotency key for the operation ``name`` of this workflow (stable across retries)."""
        return f"{self.workflow_id}:{name}"

    def patched(self, patch_id: str) -> bool:
        """Temporal-style patching: False while replaying history written before the change."""
        return not (self.durable and self.seq < len(self.inst.journal))

    def llm(self, name: str, prompt: str = "", choices: tuple[Any, ...] | list[Any] | None = None,
            mean_latency_s: float | None = None) -> Event:
        """Call the fake LLM; the event's value is its answer (a choice when ``choices`` is given)."""
        try:
            seq = self.seq = self.seq + 1
            found = self.lookup_step(seq, "llm", name)
            if found is not MISSING:
                return cast(Event, found)
            fake = self.run.llm
            # FakeLLM.latency(None), written out (hot path).
            latency = fake._lo + fake._span * fake._lat() if mean_latency_s is None else fake.latency(mean_latency_s)
            return self.execute_step(seq, "llm", name, latency, (_LLM, tuple(choices)) if choices else _LLM_PLAIN,
                                     0.0)
        except _WORKFLOW_ERRORS:
            raise
        except Exception as exc:
            raise simulator_bug(self, name, exc) from exc

    def tool(self, name: str, effect: str | None = None, payload: dict[Any, Any] | None = None,
             idempotency_key: str | None = None, latency_s: float = 1.0, fail_p: float = 0.0,
             declines: bool = False) -> Event:
        """Call a tool; ``effect`` names the outside-world side effect it has (or None for a read).

        Args:
            name: the step's name (an activity type, a ``step.run`` id ...).
            effect: a side-effect kind from `simlib.core.world.EFFECT_KINDS`, or None.
            payload: data sent with the effect.
            idempotency_key: the provider deduplicates repeats of the same key.
            latency_s: how long the call takes.
            fail_p: probability that one attempt fails transiently (a 5xx) before any effect.
            declines: the call fails for business reasons (a declined refund): not retried,
                raised in the workflow as `ActivityError`.
        """
        try:
            seq = self.next_seq()
            found = self.lookup_step(seq, "tool", name)
            if found is not MISSING:
                return cast(Event, found)
            return self.execute_step(seq, "tool", name, latency_s,
                                     (_TOOL, effect, payload, idempotency_key, declines), fail_p)
        except _WORKFLOW_ERRORS:
            raise
        except Exception as exc:
            raise simulator_bug(self, name, exc) from exc

    def compute(self, name: str, fn: Callable[..., Any], *args: Any) -> Event:
        """Pure computation inside the workflow: no side effect, runs again on every replay."""
        return self.ready_now(fn(*args))

    def sleep(self, name: str, seconds: float) -> Event:
        """A durable timer where the model has one; a plain sleep where it does not."""
        try:
            seq = self.next_seq()
            found = self.lookup_step(seq, "timer", name)
            if found is not MISSING:
                return cast(Event, found)
            now = self.env._now
            if self.durable:
                fire = self.inst.timers.setdefault(seq, now + seconds)
            else:
                fire = now + seconds
            return self.execute_step(seq, "timer", name, max(0.0, fire - now), (_TIMER,), 0.0)
        except _WORKFLOW_ERRORS:
            raise
        except Exception as exc:
            raise simulator_bug(self, name, exc) from exc

    def wait_event(self, name: str, timeout_s: float) -> Event:
        """Wait for the external event ``name`` (a signal, an approval); None on timeout."""
        try:
            seq = self.next_seq()
            found = self.lookup_step(seq, "wait", name)
            if found is not MISSING:
                return cast(Event, found)
            now = self.env._now
            start = self.inst.waits.setdefault(seq, now) if self.durable else now
            deadline = start + timeout_s
            arrival = self.run.signals.get(name)
            payload = None
            end = deadline
            if arrival is not None:
                t_sig, value = arrival
                # A non-durable process that was down when the event arrived never saw it.
                if t_sig <= deadline and (self.durable or t_sig >= now):
                    end = max(now, t_sig)
                    payload = value
            return self.execute_step(seq, "wait", name, max(0.0, end - now), (_WAIT, payload), 0.0)
        except _WORKFLOW_ERRORS:
            raise
        except Exception as exc:
            raise simulator_bug(self, name, exc) from exc

    def ready(self, value: Any, ok: bool = True) -> Event:
        """An event that fires now with ``value`` (a memoized or replayed result)."""
        if ok:
            return self.ready_now(value)
        return StepEvent(self.env, self.env._now, False, value, None)

    # ------------------------------------------------------------------ the step pipeline, for models
    # A model's context overrides `lookup_step` (serve a step from durable state), `record_step` (make
    # a result durable) and, to wrap a step, `execute_step`; it may call `replay_step`, `crash_step`,
    # `stall_step` and `ready_now`. ``seq`` numbers steps from 1; ``kind`` is llm, tool, timer or wait.
    def next_seq(self) -> int:
        """Number the next step this invocation issues (1-based, in the order the code issues them)."""
        self.seq += 1
        return self.seq

    def lookup_step(self, seq: int, kind: str, name: str) -> Any:
        """Return a ready event with the recorded result of step ``seq``, or MISSING."""
        if not self.durable:
            return MISSING
        journal = self.inst.journal
        if seq > len(journal):
            self.replaying = False
            return MISSING
        rkind, rname, value = journal[seq - 1]
        if self.check_determinism and (rkind != kind or rname != name):
            raise NondeterminismError(
                f"step {seq}: history has {rkind} {rname!r}, the code now issues {kind} {name!r}")
        if isinstance(value, ActivityError):
            self.replaying = True
            self.stats.replayed += 1
            return StepEvent(self.env, self.env._now, False, value, None)
        return self.replay_step(seq, kind, name, value)

    def replay_step(self, seq: int, kind: str, name: str, value: Any, **where: str) -> Event:
        """Serve step ``seq`` from durable state: count it, log a ``replay`` record, return a ready event.

        ``where`` adds detail to the record (which store, which layer). An exception value is
        thrown into the workflow, as the recorded failure was.
        """
        self.replaying = True
        self.stats.replayed += 1
        if self.history is not None:
            self.history.append(_rec(self.env._now, self.workflow_id, seq, self.inst.attempts.get(seq, 1),
                                   "info", self.worker, "replay", {"name": name, "kind": kind, **where}))
        if isinstance(value, Exception):
            return StepEvent(self.env, self.env._now, False, value, None)
        return self.ready_now(value)

    def can_finish_inline(self, t: float) -> bool:
        """May a step that ends at ``t`` be finished now, without a trip through SimPy's queue?

        Only when the workflow's own process is running (so it will consume the event at
        once), it issues steps one at a time, nothing else is scheduled up to and including
        ``t`` (a tie goes to the event queued first, as SimPy would order it), ``t`` is before
        the run's horizon (where the clock stops), and the run's budget of simulated events
        is not used up.
        """
        env = self.env
        q = env._queue
        run = self.run
        if (self.serial and env._active_proc is not None and (not q or q[0][0] > t)
                and t < run.until and run.inline_left > 0):
            run.inline_left -= 1
            return True
        return False

    def ready_now(self, value: Any) -> Event:
        """A successful event at the current instant (finished inline when that is safe)."""
        env = self.env
        if self.can_finish_inline(env._now):
            return done_event(env, value)
        return StepEvent(env, env._now, True, value, None)

    def store_back(self, t: float) -> float | None:
        """When this context reaches its store again if the store is down at ``t``; None if it is up.

        By default the step goes on the moment the store comes back. A model whose client
        reconnects on a backoff (DBOS) answers with its first attempt at or after that moment.
        """
        back: float | None = self.plan.down_until(self.store, t)
        return back

    def record_step(self, seq: int, kind: str, name: str, value: Any) -> None:
        """Make the step's result durable (called at the moment it is recorded)."""
        if self.durable:
            self.inst.journal.append((kind, name, value))

    # ------------------------------------------------------------------ the step machinery
    def execute_step(self, seq: int, kind: str, name: str, latency: float, action: tuple[Any, ...],
                 fail_p: float) -> Event:
        """Work out the whole fate of step ``seq`` now and return the event that ends it."""
        plan = self.plan
        env = self.env
        now = env._now
        if plan.quiet and not fail_p:
            # The common case, decided before anything changes: no crash point or outage is
            # planned, the step cannot fail, and no timed crash falls before its record.
            t_eff = now + latency
            t_rec = t_eff + self.record_latency_s if self.durable else t_eff
            if plan.has_timed:
                tc = self._tc
                if not tc[0] <= now < tc[1]:
                    # The answer stands until the crash it names: nothing falls before it.
                    tc = self._tc = (now, plan.next_crash(self.workflow_id, now))
                clear = tc[1] >= t_rec
            else:
                clear = True
            if clear and (action[0] is not _TOOL or not action[4]):
                # `can_finish_inline`, written out: this is the hot path.
                q = env._queue
                run = self.run
                if (self.serial and env._active_proc is not None and (not q or q[0][0] > t_rec)
                        and t_rec < run.until and run.inline_left > 0):
                    run.inline_left -= 1
                    # Start, run and finish the step now, at its end time: nothing else can
                    # happen before it ends, so the history is the one a queued event gives.
                    inst = self.inst
                    attempts = inst.attempts
                    attempt = attempts.get(seq, 0) + 1
                    attempts[seq] = attempt
                    self.begin_attempt(seq, attempt, now, kind, name, track=False)
                    hist = self.history
                    inst.exec_time += latency
                    ev = _new(Done)
                    ev.env = env
                    env._now = t_rec
                    if action[0] is not _LLM or hist is not None:
                        self.finish_step(ev, seq, attempt, kind, name, action, now, t_eff, t_rec, False)
                        return ev
                    # An LLM call without a history to write: `finish_step` cut to what it does then.
                    ev._value = text = self.call_llm(seq, name, action[1])[0]
                    self.record_step(seq, kind, name, text)
                    inst.done_steps.add(seq)
                    inst.ok_time[seq] = t_eff - now
                    return ev
        return self.plan_step(seq, kind, name, latency, action, fail_p)

    def plan_step(self, seq: int, kind: str, name: str, latency: float, action: tuple[Any, ...],
                  fail_p: float, limit: TimeLimit | None = None) -> Event:
        """The general case of `execute_step`: crash points, outages, retries, timeouts, and a queued event.

        With ``limit`` the step needs longer than its engine allows: every attempt fails at the limit.
        """
        plan = self.plan
        env = self.env
        now = env._now
        run = self.run
        inst = self.inst
        hist = self.history
        wid = inst.id
        t = now
        attempts = inst.attempts
        while True:
            attempt = attempts[seq] + 1 if seq in attempts else 1
            attempts[seq] = attempt
            if plan.has_outages and self.gate_start:
                back = self.store_back(t)
                if back is not None:
                    self.stall_step(seq, attempt, t, back, "dispatch")
                    t = back
            if plan.has_step_crashes and plan.step_crash(wid, seq, attempt, "before-step"):
                return self.crash_step(t, seq, attempt, "before-step", None, t)
            self.begin_attempt(seq, attempt, t, kind, name)
            t_eff = t + latency
            t_stop = t_eff if limit is None else t + limit.budget_s   # when this attempt stops running
            tc = plan.next_crash(wid, t) if plan.has_timed else INF
            if tc < t_stop:
                inst.exec_time += tc - t
                if kind == "llm" and latency > 0:
                    # The provider bills the tokens it generated before the connection died.
                    self.bill_lost_llm(seq, run.llm.cfg.mean_cost_usd * (tc - t) / latency, whole=False)
                return self.crash_step(tc, seq, attempt, "mid-step", None, t)
            if limit is not None:
                inst.exec_time += limit.budget_s
                self.stats.failed_attempts += 1
                inst.extra[limit.counter] = inst.extra.get(limit.counter, 0) + 1
                if kind == "llm":
                    # The worker hung up at the limit; the provider bills what it had generated.
                    self.bill_lost_llm(seq, run.llm.cfg.mean_cost_usd * min(1.0, limit.budget_s / latency),
                                       whole=True)
                if hist is not None:
                    hist.append(_rec(t_stop, wid, seq, attempt, "fail", self.worker, kind,
                                     {"name": name, "error": limit.detail}))
                wait = self.retry.delay(attempt) if limit.retry else None
                if wait is None:
                    err = ActivityError(name, limit.error.format(attempt=attempt))
                    self.inflight = None
                    return StepEvent(env, t_stop, False, err, lambda _ev, e=err: self.record_step(seq, kind, name, e))
                t = t_stop + wait
                if plan.has_timed and plan.next_crash(wid, t_stop) < t:
                    return self.crash_step(plan.next_crash(wid, t_stop), seq, attempt, "backoff", None, t)
                if t > run.until:
                    # Timing out forever: the clock stops before the next attempt; the run ends unfinished.
                    self.inflight = None
                    return Event(env)
                continue
            if fail_p and run.rng.stream("tool-failures").random() < fail_p:
                inst.exec_time += latency
                self.stats.failed_attempts += 1
                if hist is not None:
                    hist.append(_rec(t_eff, wid, seq, attempt, "fail", self.worker, kind,
                                     {"name": name, "error": "transient"}))
                wait = self.retry.delay(attempt)
                if wait is None:
                    return StepEvent(env, t_eff, False,
                                      ActivityError(name, f"failed after {attempt} attempts"), None)
                t = t_eff + wait
                if t > run.until:
                    # Retrying forever: the clock stops before the next attempt; the run ends unfinished.
                    return Event(env)
                if plan.has_timed and plan.next_crash(wid, t_eff) < t:
                    tc = plan.next_crash(wid, t_eff)
                    return self.crash_step(tc, seq, attempt, "backoff", None, t)
                continue
            # The effect happens at t_eff.
            inst.exec_time += latency
            if plan.has_step_crashes and plan.step_crash(wid, seq, attempt, "after-effect"):
                return self.crash_step(t_eff, seq, attempt, "after-effect", action, t, name, kind)
            t_rec = t_eff + self.record_latency_s if self.durable else t_eff
            if tc < t_rec:
                # The worker died in the window between the effect and its record.
                return self.crash_step(tc, seq, attempt, "after-effect", action, t, name, kind)
            if self.durable and plan.has_outages and self.outage != "deferred":
                back = self.store_back(t_eff)
                if back is not None:
                    if self.outage == "fail":
                        return self.crash_step(t_eff, seq, attempt, "store-unavailable", action, t, name, kind)
                    if tc < back:
                        self.stall_step(seq, attempt, t_eff, tc, "record")
                        return self.crash_step(tc, seq, attempt, "after-effect", action, t, name, kind)
                    self.stall_step(seq, attempt, t_eff, back, "record")
                    t_rec = back
            crash_after = plan.has_step_crashes and plan.step_crash(wid, seq, attempt, "after-record")
            done = _Finish(self, seq, attempt, kind, name, action, t, t_eff, t_rec, crash_after)
            if crash_after:
                return StepEvent(env, t_rec, False, WorkerCrash("crash", seq, "after-record"), done)
            return StepEvent(env, t_rec, True, None, done)

    def begin_attempt(self, seq: int, attempt: int, t: float, kind: str, name: str, track: bool = True) -> None:
        """Attempt ``attempt`` of step ``seq`` starts executing at ``t``: the one place that counts it.

        A second start of a step counts as a re-execution, and as completed work lost when an
        earlier execution had finished. The history gets an ``invoke`` record. With ``track`` the
        step becomes `inflight` (what a crash interrupts); a step finished inline is never in flight.
        """
        inst = self.inst
        starts = inst.starts
        if seq in starts:
            starts[seq] += 1
            stats = self.stats
            stats.reexecuted += 1
            if seq in inst.done_steps:
                stats.completed_lost += 1
        else:
            starts[seq] = 1
        if self.history is not None:
            self.history.append(_rec(t, inst.id, seq, attempt, "invoke", self.worker, kind, {"name": name}))
        if track:
            self.inflight = (seq, t, attempt, kind)

    def finish_step(self, event: Event, seq: int, attempt: int, kind: str, name: str, action: tuple[Any, ...], t0: float,
                t_eff: float, t_rec: float | None, crash: bool) -> None:
        """The end of a step, when its event fires: effect, durable record and history, in time order.

        ``t_rec`` is None when the worker died after the effect and before any record; ``crash``
        keeps the event's failure (a crash right after the record).
        """
        value = self.perform_step(seq, attempt, kind, name, action, t_eff)
        hist = self.history
        if isinstance(value, ActivityError):
            event._ok = False
            event._value = value
            if hist is not None:
                hist.append(_rec(t_eff, self.workflow_id, seq, attempt, "fail", self.worker, kind,
                                 {"name": name, "error": value.message}))
            self.record_step(seq, kind, name, value)
            self.inflight = None
            return
        if t_rec is None:
            return
        self.record_step(seq, kind, name, value)
        inst = self.inst
        inst.done_steps.add(seq)
        inst.ok_time[seq] = t_eff - t0
        self.inflight = None
        if hist is not None:
            detail: dict[str, Any] = {"name": name}
            if kind != "llm" and value is not None:
                detail["value"] = value if isinstance(value, (str, int, float, bool)) else str(value)
            hist.append(_rec(t_rec, self.workflow_id, seq, attempt, "ok", self.worker, kind, detail))
        if not crash:
            event._value = value

    def stall_step(self, seq: int, attempt: int, start: float, end: float, why: str) -> None:
        """Count and log that step ``seq`` waited for the store from ``start`` to ``end`` (``why``: what waited)."""
        self.stats.stalled_s += end - start
        if self.history is not None:
            self.history.append(_rec(start, self.workflow_id, seq, attempt, "info", self.store, "stall",
                                   {"until": round(end, 6), "while": why}))

    def crash_step(self, at: float, seq: int, attempt: int, point: str, action: Any, t_start: float,
               name: str = "", kind: str = "") -> Event:
        """The event of a worker crash at time ``at``, at ``point`` of step ``seq``.

        With ``action`` given the step's effect still happens when the event fires (the crash came
        after the effect, before its record).
        """
        done = None
        if action is not None:
            done = _Finish(self, seq, attempt, kind, name, action, t_start, at, None, True)
        return StepEvent(self.env, at, False, WorkerCrash("crash", seq, point), done)

    def call_llm(self, seq: int, name: str, choices: tuple[Any, ...] | None) -> tuple[Any, ...]:
        """Make step ``seq``'s LLM call: draw the reply, pay for it, and count a repeat."""
        text, tokens, usd = self.run.llm.draw(name, choices)
        stats = self.stats
        stats.llm_calls += 1
        stats.llm_cost += usd
        billed = self.inst.billed
        if seq in billed:
            stats.llm_cost_again += usd
            stats.llm_calls_again += 1
        else:
            billed.add(seq)
        return text, tokens, usd

    def bill_lost_llm(self, seq: int, usd: float, whole: bool) -> None:
        """Pay ``usd`` for an attempt of step ``seq``'s LLM call whose reply never reached the workflow.

        With ``whole`` the worker hung up at the attempt's time limit: the provider billed a whole
        request, so it is a call made and paid for; its dollars are re-spent when the step had already
        paid for a call, lost otherwise. Without it a crash cut the request short: the partial bill is
        lost money and not a call, so running the step again makes no repeat.
        """
        stats = self.stats
        stats.llm_cost += usd
        if whole:
            stats.llm_calls += 1
            billed = self.inst.billed
            if seq in billed:
                stats.llm_cost_again += usd
                stats.llm_calls_again += 1
                return
            billed.add(seq)
        stats.llm_cost_lost += usd

    def perform_step(self, seq: int, attempt: int, kind: str, name: str, action: tuple[Any, ...], t_eff: float) -> Any:
        """Apply the step's effect at ``t_eff`` and return the step's value."""
        tag = action[0]
        run = self.run
        hist = self.history
        if tag is _LLM:
            text, tokens, usd = self.call_llm(seq, name, action[1])
            if hist is not None:
                hist.append(_rec(t_eff, self.workflow_id, seq, attempt, "info", self.worker, "llm-call",
                                 {"name": name, "tokens_out": tokens, "usd": round(usd, 6), "answer": text}))
            return text
        if tag is _TOOL:
            _, effect, payload, key, declines = action
            if declines:
                return ActivityError(name, "declined by the provider")
            if effect is None:
                return {"name": name, "ok": True}
            eff = run.ledger.apply(t_eff, self.workflow_id, seq, name, attempt, effect, key, payload)
            if hist is not None:
                hist.append(_rec(t_eff, self.workflow_id, seq, attempt, "info", "world", "effect",
                                 {"name": name, "effect": effect, "key": key, "result": eff.result,
                                  "deduplicated": eff.deduplicated}))
            return eff.result
        if tag is _WAIT:
            return action[1]
        return None


_LLM = object()
_LLM_PLAIN = (_LLM, None)
_TOOL = object()
_TIMER = object()
_WAIT = object()


_rec = Record
_new = object.__new__   # makes a `Done` without an __init__ call (the inline hot path)

# Errors the step pipeline raises into the workflow on purpose; anything else it raises is a bug.
_WORKFLOW_ERRORS = (WorkerCrash, NondeterminismError, ActivityError, ConfigError, WorkflowFailure, Interrupt,
                    SimulatorError)


def simulator_bug(ctx: "Context", step_name: str, exc: Exception) -> SimulatorError:
    """The `SimulatorError` for ``exc``, raised by simulator code while running step ``step_name``."""
    return SimulatorError(f"simulator bug in {ctx.workflow_id} step {ctx.seq} ({step_name!r}) under model "
                          f"{ctx.run.model.name!r}: {type(exc).__name__}: {exc}")


class _Finish:
    """Callback run when a step's event fires: hands the step's fields to `Context.finish_step`."""

    __slots__ = ("ctx", "seq", "attempt", "kind", "name", "action", "t0", "t_eff", "t_rec", "crash")

    def __init__(self, ctx: Context, seq: int, attempt: int, kind: str, name: str, action: tuple[Any, ...],
                 t0: float, t_eff: float, t_rec: float | None, crash: bool) -> None:
        self.ctx = ctx
        self.seq = seq
        self.attempt = attempt
        self.kind = kind
        self.name = name
        self.action = action
        self.t0 = t0
        self.t_eff = t_eff
        self.t_rec = t_rec
        self.crash = crash

    def __call__(self, event: Event) -> None:
        try:
            self.ctx.finish_step(event, self.seq, self.attempt, self.kind, self.name, self.action, self.t0,
                                 self.t_eff, self.t_rec, self.crash)
        except _WORKFLOW_ERRORS:
            raise
        except Exception as exc:
            raise simulator_bug(self.ctx, self.name, exc) from exc
