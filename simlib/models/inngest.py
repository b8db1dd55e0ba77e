"""Inngest: every step is its own request, and finished steps are memoized by step id.

In Inngest's classic execution model the platform calls your function over
HTTP once per step. Each call runs the function body from the top; every
``step.run`` whose id already has a stored result returns that result at once
(memoization), and the first step without one runs and ends the request. The
platform stores its result and calls the function again. So the code you wrote
*outside* ``step.run`` runs again on every request: this model counts that.

Step ids are a hash of the step's name, with a counter appended when the same
name is used again (``"fetch"``, ``"fetch:1"`` ...). Because results are found
by id rather than by position, a deploy that reorders steps only logs a warning
(memoized steps still return their results) and a renamed step simply runs.

Failures: a step gets 4 retries after its first attempt (5 attempts), spaced by
Inngest's backoff table (15 s, 30 s, 1 min, 2 min, 5 min ...; the real platform
adds jitter, left out here so the schedule reads plainly). When your app dies
mid-step the platform sees the connection reset at once, counts a failed
attempt and retries on that schedule; earlier steps come from the memo. A step
whose attempts are used up is memoized as an error and thrown into the function.
While the platform is down, runs stall and nothing is lost.

Counters in ``inst.extra`` (summed over instances in ``summary.extra``):
    requests: calls the platform made to your function: one per step attempt,
        plus the final call that returns the function's result.
    outside_step_reruns: how many times the code outside ``step.run`` ran
        *again*: every request after a run's first one (``requests - 1``).
    memoized_reads: memoized step results handed back across all requests (the
        steps each request passed through before reaching new work).
    order_warnings: requests that found memoized steps at new positions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from ..core.clock import StepEvent
from ..core.context import MISSING, Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, WorkerCrash
from ..core.history import Record
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig

__all__ = ["Inngest", "InngestConfig", "InngestContext", "BACKOFF_TABLE_S", "step_id_hash"]

# Inngest's retry schedule: the wait before retry 1, 2, 3 ... (the last entry repeats).
BACKOFF_TABLE_S = (15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 2400.0, 3600.0, 7200.0)
MAX_RETRIES = 20   # the most retries Inngest lets a function configure


@lru_cache(maxsize=4096)
def step_id_hash(step_id: str) -> str:
    """The memoization key of a step id (Inngest stores step state under a SHA-1 of the id)."""
    return hashlib.sha1(step_id.encode()).hexdigest()


@dataclass(frozen=True)
class InngestConfig(ModelConfig):
    """Inngest settings.

    Attributes:
        retries: retries of a step after its first attempt (Inngest's default 4, so 5 attempts;
            allowed 0..20).
        request_overhead_s: seconds for the platform to store a step's result after the app
            answers the request (the window in which an app crash repeats the step).
    """

    retries: int = 4
    request_overhead_s: float = 0.05

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries > MAX_RETRIES:
            raise ConfigError(f"InngestConfig.retries must be a whole number in 0..{MAX_RETRIES}, "
                              f"got {self.retries!r}")


@dataclass
class InngestState:
    """The platform's run state of one function run, keyed by the SHA-1 of each step id.

    Attributes:
        slot: step-id hash -> the step's number in this run.
        by_slot: step number -> (hash, step id).
        result: step-id hash -> the memoized result (or error).
        timers: step-id hash -> when its durable sleep fires.
        waits: step-id hash -> when its wait for an event started.
    """

    slot: dict = field(default_factory=dict)
    by_slot: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    timers: dict = field(default_factory=dict)
    waits: dict = field(default_factory=dict)


class InngestContext(Context):
    """``step.run`` and friends: results memoized by step id on the Inngest platform."""

    __slots__ = ("retry", "record_latency_s", "_counts", "_slots", "_last", "_warned")
    durable = True
    store = "platform"
    outage = "stall"
    gate_start = True          # the platform sends every step's request
    check_determinism = False  # "graceful": a changed order only warns

    def __init__(self, run, inst, worker: str, retry: RetryPolicy, record_latency_s: float):
        super().__init__(run, inst, worker)
        self.retry = retry
        self.record_latency_s = record_latency_s
        self._counts: dict = {}     # step name -> times used in this request
        self._slots: dict = {}      # code position in this request -> slot
        self._last: tuple | None = None   # (slot, kind, name) of the last step sent to the app
        self._warned = False

    def step_id(self, name: str, n: int) -> str:
        """The id of the ``n``-th use (0-based) of ``name`` within one request."""
        return name if n == 0 else f"{name}:{n}"

    def _slot(self, pos: int, name: str) -> tuple[int, str, str]:
        """(slot, hash, step id) of the step at code position ``pos``.

        The slot is the step's number in this run (what histories and crash schedules call
        its step); it stays with the step id when a code change moves the step.
        """
        n = self._counts.get(name, 0)
        self._counts[name] = n + 1
        sid = self.step_id(name, n)
        h = step_id_hash(sid)
        memo: InngestState = self.inst.state
        slot = memo.slot.get(h)
        if slot is None:
            # A new step id keeps its position as its number unless another id already owns it.
            by_slot = memo.by_slot
            slot = pos if pos not in by_slot else max(by_slot) + 1
            memo.slot[h] = slot
            by_slot[slot] = (h, sid)
        self._slots[pos] = slot
        return slot, h, sid

    def lookup_step(self, pos: int, kind: str, name: str):
        seq, h, sid = self._slot(pos, name)
        memo: InngestState = self.inst.state
        if h not in memo.result:
            self.replaying = False
            if kind in ("timer", "wait"):
                # Durable timers and waits belong to the step id; the core keys them by position.
                own = (memo.timers if kind == "timer" else memo.waits).get(h)
                table = self.inst.timers if kind == "timer" else self.inst.waits
                if own is None:
                    table.pop(pos, None)
                else:
                    table[pos] = own
            return MISSING
        value = memo.result[h]
        self.replaying = True
        self.stats.replayed += 1
        hist = self.history
        if seq != pos and not self._warned:
            # Inngest logs a warning and carries on: results are found by id, not position.
            self._warned = True
            self.inst.extra["order_warnings"] = self.inst.extra.get("order_warnings", 0) + 1
            if hist is not None:
                hist.append(Record(self.env.now, self.workflow_id, seq, 0, "info", "platform", "warning",
                                   {"message": "step order changed since the results were memoized",
                                    "step_id": sid, "was": seq, "now": pos}))
        if isinstance(value, ActivityError):
            return StepEvent(self.env, self.env.now, False, value, None)
        if hist is not None:
            hist.append(Record(self.env.now, self.workflow_id, seq, self.inst.attempts.get(seq, 1), "info",
                               self.worker, "replay", {"name": name, "kind": kind, "step_id": sid}))
        return self.ready_now(value)

    def record_step(self, seq: int, kind: str, name: str, value) -> None:
        memo: InngestState = self.inst.state
        memo.result[memo.by_slot[seq][0]] = value
        self.inst.journal.append((kind, name, value))

    def execute_step(self, pos, kind, name, latency, action, fail_p):
        inst = self.inst
        seq = self._slots[pos]
        if kind in ("timer", "wait"):
            table = inst.timers if kind == "timer" else inst.waits
            if pos in table:
                memo: InngestState = inst.state
                (memo.timers if kind == "timer" else memo.waits)[memo.by_slot[seq][0]] = table[pos]
        before = inst.attempts.get(seq, 0)
        ev = super().execute_step(seq, kind, name, latency, action, fail_p)
        tries = inst.attempts[seq] - before
        if kind in ("timer", "wait"):
            # A sleep or wait lives on the platform: only the request that reached it counts;
            # issuing it again after an app crash is the simulator's bookkeeping, not a request.
            tries = 1 if before == 0 else 0
        self._count_requests(tries, pos - 1)
        self._last = (seq, kind, name)
        if not ev.ok and isinstance(ev.value, ActivityError) and not ev.callbacks:
            # Attempts used up: the platform memoizes the error and throws it into the function.
            ev.callbacks.append(lambda e: self.record_step(seq, kind, name, e.value))
        return ev

    def _count_requests(self, requests: int, memoized: int) -> None:
        extra = self.inst.extra
        extra["requests"] = extra.get("requests", 0) + requests
        extra["outside_step_reruns"] = extra["requests"] - 1
        extra["memoized_reads"] = extra.get("memoized_reads", 0) + requests * memoized


class Inngest(EngineModel[InngestConfig]):
    """Inngest's classic model: one request per step, memoized by step id, platform-driven retries."""

    name = "inngest"
    title = "Inngest"
    family = "workflow-as-code"
    state_location = "the Inngest platform's run state store: each step's result memoized by step id"
    context_class = InngestContext
    guarantees = frozenset({"keeps-finished-steps", "duplicates-only-after-effect"})
    config_class = InngestConfig
    instance_state_class = InngestState
    components = (
        Component("app", "your app: functions served over HTTP by the Inngest SDK", False, NOTHING,
                  "stateless between requests: a crash fails the step in flight, which the platform retries"),
        Component("platform", "Inngest platform (event queue + run state store)", True, STALL,
                  "stores every memoized step and sends every request; while it is down runs stall, "
                  "nothing is lost"),
    )

    def context(self, run, inst, worker: str) -> Context:
        cfg = self.config
        retry = RetryPolicy(table=BACKOFF_TABLE_S, maximum_attempts=cfg.retries + 1)
        return InngestContext(run, inst, worker, retry, cfg.request_overhead_s)

    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        assert isinstance(ctx, InngestContext)
        """The platform sees the reset connection at once and retries the step on its backoff table.

        A crash while a request was running a step counts as a failed attempt of that step: the
        next attempt comes after the table's wait (15 s for the first retry), and no sooner than
        the app is back. When that was the last attempt, the step's error is memoized and the
        function is called again to receive it. A crash after the result was stored, or while
        the run sleeps or waits on the platform, costs only the app's restart.
        """
        now = run.env.now
        resume = now + self.worker_back_in(run)
        last = ctx._last
        if (last is not None and last[0] == crash.step and last[1] in ("llm", "tool")
                and crash.point != "after-record"):
            seq, kind, name = last
            attempt = inst.attempts.get(seq, 1)
            wait = ctx.retry.delay(attempt)
            if wait is None:
                err = ActivityError(name, f"failed after {attempt} attempts (the app's connection was reset)")
                ctx.record_step(seq, kind, name, err)
                if run.history is not None:
                    run.history.append(Record(now, inst.id, seq, attempt, "fail", "platform", kind,
                                              {"name": name, "error": err.message}))
            else:
                resume = max(resume, now + wait)
        back = run.plan.down_until(ctx.store, resume)
        if back is not None:
            resume = back
        return resume - now

    def on_complete(self, run, inst, ctx: Context) -> None:
        assert isinstance(ctx, InngestContext)
        # The last request finds every step memoized and returns the function's result.
        ctx._count_requests(1, ctx.seq)
