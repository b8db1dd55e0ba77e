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
While the platform is down, runs stall and nothing is lost. A self-hosted
single-node server that keeps its queue and run state in its own in-memory
Redis (``self_hosted_inmemory_redis``) is the exception: when it dies it comes
back from its last snapshot, so steps memoized since then run again.

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
import math
from dataclasses import dataclass, field
from typing import ClassVar
from functools import lru_cache

from ..core.clock import StepEvent
from ..core.context import MISSING, Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, WorkerCrash
from ..core.history import Record
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig
from .params import ASSUMED_RECORD_S, RECORD_S_SOURCE, param

__all__ = ["Inngest", "InngestConfig", "InngestContext", "BACKOFF_TABLE_S", "STATE_LOST", "step_id_hash",
           "last_snapshot"]

# Inngest's retry schedule: the wait before retry 1, 2, 3 ... (the last entry repeats).
BACKOFF_TABLE_S = (15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 2400.0, 3600.0, 7200.0)
MAX_RETRIES = 20   # the most retries Inngest lets a function configure
DOCS = "https://www.inngest.com/docs"
STATE_LOST = "state-lost"   # the crash point of a request cut short because the platform lost memoized state


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
        backoff_table_s: the waits before retry 1, 2, 3 ... (the last one repeats).
        request_overhead_s: seconds for the platform to store a step's result after the app
            answers the request (the window in which an app crash repeats the step).
        self_hosted_inmemory_redis: a self-hosted single-node server (``inngest start``) whose
            queue and run state live in its in-memory Redis. An outage of the platform is then
            the server dying: it comes back from its last Redis snapshot, so every step result
            memoized after that snapshot is gone and those steps run again, and a run started
            after it is lost altogether. Off: Inngest Cloud, where an outage only stalls.
        redis_snapshot_s: how often that server snapshots its Redis (60 s); 0 = never.
    """

    BOUNDS: ClassVar[dict[str, str]] = {**ModelConfig.BOUNDS, "retries": f"between 0 and {MAX_RETRIES}"}

    retries: int = param(4, kind="docs", source=f"{DOCS}/features/inngest-functions/error-retries/retries "
                         "(4 retries by default, 5 attempts)")
    backoff_table_s: tuple = param(BACKOFF_TABLE_S, kind="code", source=(
        "inngest/inngest:pkg/backoff/backoff.go BackoffTable (15 s, 30 s, 1 m ... 2 h; the real platform "
        "adds jitter, left out here)"))
    request_overhead_s: float = param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)
    self_hosted_inmemory_redis: bool = param(False, kind="docs", source=(
        f"{DOCS}/self-hosting (Inngest Cloud by default; `inngest start` without --redis-uri keeps the "
        "queue and run state in an in-memory Redis inside the server)"))
    redis_snapshot_s: float = param(60.0, kind="code", source=(
        "inngest/inngest:pkg/consts/devserver.go StartDefaultPersistenceInterval = 60 s "
        "(pkg/devserver/service.go startPersistenceRoutine exports the in-memory Redis to the database "
        "on that ticker; wired for `inngest start` from Sep 2024 to Jun 2025, commit bcf64bbfe2 dropped "
        "the wiring: set 0 for such a server, whose in-memory state is never snapshotted)"))

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise ConfigError(f"InngestConfig.retries must be a whole number, got {self.retries!r}")
        table = self.backoff_table_s
        if (not isinstance(table, tuple) or not table
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in table)):
            raise ConfigError(f"InngestConfig.backoff_table_s must be a non-empty tuple of seconds >= 0, "
                              f"got {table!r}")


@dataclass
class InngestState:
    """The platform's run state of one function run, keyed by the SHA-1 of each step id.

    Attributes:
        slot: step-id hash -> the step's number in this run.
        by_slot: step number -> (hash, step id).
        result: step-id hash -> the memoized result (or error).
        timers: step-id hash -> when its durable sleep fires.
        waits: step-id hash -> when its wait for an event started.
        written_at: step-id hash -> when its result was memoized.
        restarts_seen: platform restarts (outages of a self-hosted server) already applied.
    """

    slot: dict = field(default_factory=dict)
    by_slot: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    timers: dict = field(default_factory=dict)
    waits: dict = field(default_factory=dict)
    written_at: dict = field(default_factory=dict)
    restarts_seen: int = 0


def last_snapshot(t: float, every_s: float) -> float:
    """When a server started at time 0 that snapshots every ``every_s`` seconds last did so by ``t``.

    The first snapshot comes one interval after the start (a Go ticker's first tick). Before it,
    or with ``every_s`` 0 (never), nothing survives a restart: minus infinity.
    """
    if every_s <= 0 or t < every_s:
        return -math.inf
    return math.floor(t / every_s) * every_s


class InngestContext(Context):
    """``step.run`` and friends: results memoized by step id on the Inngest platform."""

    __slots__ = ("retry", "record_latency_s", "restarts", "snapshot_s", "_counts", "_slots", "_last", "_warned")
    durable = True
    store = "platform"
    outage = "stall"
    gate_start = True          # the platform sends every step's request
    check_determinism = False  # "graceful": a changed order only warns

    def __init__(self, run, inst, worker: str, retry: RetryPolicy, record_latency_s: float,
                 restarts: list | None = None, snapshot_s: float = 0.0):
        super().__init__(run, inst, worker)
        self.retry = retry
        self.record_latency_s = record_latency_s
        # Start times of the platform's restarts from a Redis snapshot (empty unless self-hosted in memory).
        self.restarts = restarts or []
        self.snapshot_s = snapshot_s
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
        memo: InngestState = self.inst.state
        if self.restarts and memo.restarts_seen < len(self.restarts):
            self._apply_restarts(memo, pos)
        seq, h, sid = self._slot(pos, name)
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
        h = memo.by_slot[seq][0]
        memo.result[h] = value
        memo.written_at[h] = self.env.now
        self.inst.journal.append((kind, name, value))

    def _apply_restarts(self, memo: InngestState, pos: int) -> None:
        """Forget what the self-hosted server lost in the restarts that began before now.

        Each restart brings back the Redis snapshot taken before it: step results memoized after
        that snapshot are gone. When a step this request already passed is among them, the request
        ends here (`WorkerCrash` at `STATE_LOST`) so that the platform calls the function again
        from the top and the lost steps run again. A run started after the snapshot is gone
        altogether: `Inngest.recovery_delay` stops it.
        """
        now = self.env.now
        inst = self.inst
        while memo.restarts_seen < len(self.restarts) and self.restarts[memo.restarts_seen] <= now:
            start = self.restarts[memo.restarts_seen]
            memo.restarts_seen += 1
            if start < inst.started_at:
                continue
            snap = last_snapshot(start, self.snapshot_s)
            lost = sorted(memo.slot[h] for h, t in memo.written_at.items() if snap < t <= start)
            if inst.started_at > snap:
                raise WorkerCrash("the self-hosted server restarted from a Redis snapshot taken before this run "
                                  "started", lost[0] if lost else None, STATE_LOST)
            if not lost:
                continue
            for slot in lost:
                h = memo.by_slot[slot][0]
                memo.result.pop(h, None)
                memo.written_at.pop(h, None)
            inst.extra["results_lost"] = inst.extra.get("results_lost", 0) + len(lost)
            if self.history is not None:
                self.history.append(Record(now, self.workflow_id, lost[0], 0, "info", "platform", "state-lost",
                                           {"restart_at": start, "snapshot_at": snap, "steps": lost}))
            if lost[0] < pos:
                raise WorkerCrash("the self-hosted server lost memoized step results", lost[0], STATE_LOST)

    # The per-step hooks call Context's methods by name, not through super(): a super() call costs
    # about 0.1 us more, and this one runs on every step (measured on CPython 3.11).
    def execute_step(self, pos, kind, name, latency, action, fail_p):
        inst = self.inst
        seq = self._slots[pos]
        if kind in ("timer", "wait"):
            table = inst.timers if kind == "timer" else inst.waits
            if pos in table:
                memo: InngestState = inst.state
                (memo.timers if kind == "timer" else memo.waits)[memo.by_slot[seq][0]] = table[pos]
        before = inst.attempts.get(seq, 0)
        ev = Context.execute_step(self, seq, kind, name, latency, action, fail_p)
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
        total = extra["requests"] = extra.get("requests", 0) + requests
        extra["outside_step_reruns"] = total - 1
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

    def new_run_state(self, run) -> list[float]:
        """The start times of the platform's restarts, when a self-hosted server keeps its state in memory."""
        if not self.config.self_hosted_inmemory_redis:
            return []
        return [start for start, _ in run.plan.outages(self.context_class.store)]

    def context(self, run, inst, worker: str) -> Context:
        cfg = self.config
        retry = RetryPolicy(table=cfg.backoff_table_s, maximum_attempts=cfg.retries + 1)
        return InngestContext(run, inst, worker, retry, cfg.request_overhead_s, run.model_state,
                              cfg.redis_snapshot_s)

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
        if crash.point == STATE_LOST:
            if crash.reason.startswith("the self-hosted server restarted"):
                inst.stalled = (f"lost: {crash.reason}; nothing in the restored state knows of it, so it never "
                                f"resumes (send its event again to start it over)")
                inst.ended_at = now     # progress stopped here
                return 0.0
            # The app is alive: the platform calls it again as soon as it is back itself.
            back = run.plan.down_until(ctx.store, now)
            return (back if back is not None else now) - now
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
