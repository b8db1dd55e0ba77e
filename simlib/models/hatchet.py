"""Hatchet: PostgreSQL holds every task's state and output; a dead worker's task runs again whole.

Vocabulary follows Hatchet v1: a *workflow* is a DAG of *tasks* (or a durable
task that spawns child tasks); *workers* run tasks in *slots*, send a
*heartbeat* every 4 s, and report each task's output, which the engine writes to
PostgreSQL when the task completes. Here the workflow function plays the part of
the durable parent and each ``ctx.llm``/``ctx.tool`` call is one child task, so
the outputs of completed tasks survive a crash and are not run again.

What goes wrong, and when:

* A worker that stops heartbeating is declared dead 30 s after its last
  heartbeat; its running task is then reassigned and starts again from the top.
  That reassignment is an *internal* retry (at most 10 per task), separate from
  the user's ``retries`` (0 by default). Recovery after a crash therefore takes
  26-30 s, or longer when no worker is free by then. A crash after a task
  completed leaves nothing to reassign: the next task waits only for a worker.
* A task that runs past ``execution_timeout`` (60 s by default) fails; the
  failure uses up the user's ``retries`` like any other.
* A task that waits in the queue longer than ``schedule_timeout`` (5 min by
  default) fails with ``SCHEDULING_TIMED_OUT``, also a failure that uses up a
  retry: a reassigned task whose only worker stays away that long, or a run
  queued behind ``max_runs`` or busy slots.
* ``max_runs`` limits how many runs of one concurrency key are in flight. The
  strategy decides what happens to the next run: ``GROUP_ROUND_ROBIN`` queues it
  (queues are served in turn across keys), ``CANCEL_IN_PROGRESS`` cancels the
  oldest running run of the key, ``CANCEL_NEWEST`` cancels the newcomer. Queued
  and cancelled runs show up in the history and in ``summary.extra``.
* While PostgreSQL is down nothing is dispatched and no output is written: the
  engine stalls and loses nothing.

Why the side-effect guarantee is weaker than Temporal's: the *task* is the unit
that is recorded, and Hatchet's documentation calls task execution at-least-once
and asks for idempotent tasks. A Hatchet task is an ordinary function, so when a
team puts several calls in one task (``steps_per_task > 1`` here, the
"Celery, but durable" shape) nothing inside it is recorded until it returns, and
a crash repeats every effect the task already had. With the default retries of 0
a single transient failure also fails the whole run, where Temporal retries an
activity without limit.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, cast

from simpy.events import Interrupt

from ..core.clock import interrupt
from ..core.context import Context, RetryPolicy, TimeLimit
from ..core.errors import ConfigError, WorkerCrash, WorkflowFailure
from ..core.history import Record
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig
from .params import ASSUMED_RECORD_S, RECORD_S_SOURCE, param

__all__ = ["Hatchet", "HatchetConfig", "HatchetContext", "TaskCancelled", "STRATEGIES"]

STRATEGIES = ("GROUP_ROUND_ROBIN", "CANCEL_IN_PROGRESS", "CANCEL_NEWEST")
DOCS = "https://docs.hatchet.run/home"
_TASK_KINDS = ("llm", "tool")



@dataclass
class HatchetState:
    """What Postgres holds about one workflow run between invocations.

    Attributes:
        reassigned: step -> internal retries used after its worker was lost.
        pending: outputs of steps whose task has not finished yet.
        cancelled: why the run was cancelled (None while it is not).
        failed: (step, error, event) of a task that failed for good (internal retries ran out, or it
            waited too long for a worker), until the engine acts on it.
        task_start: (first step, start time) of the multi-call task under way.
        schedule_timeouts: step -> times its task ran past ``schedule_timeout`` in the queue.
    """

    reassigned: dict = field(default_factory=dict)
    schedule_timeouts: dict = field(default_factory=dict)
    pending: list = field(default_factory=list)
    cancelled: str | None = None
    failed: tuple | None = None
    task_start: tuple | None = None


class TaskCancelled(Interrupt, WorkflowFailure):
    """Raised inside a run that a concurrency strategy cancelled."""

    def __str__(self) -> str:
        return str(self.cause)


@dataclass(frozen=True)
class HatchetConfig(ModelConfig):
    """Hatchet settings; defaults as in the Python SDK and the engine.

    Attributes:
        retries: user retries of a failed task (SDK default 0).
        execution_timeout_s: a task running longer fails (default 60 s; 0 = none). It bounds
            the whole task, so a task of several calls needs a larger one.
        schedule_timeout_s: a task that waits longer than this for a worker to pick it up fails
            (default 5 min; 0 = none), using up a user retry like any other failure: the wait for
            a worker after a crash, and the wait of a queued run for a concurrency or worker slot.
        backoff_factor: wait ``backoff_factor ** n`` s before retry n (0 = retry at once).
        backoff_max_s: cap on one backoff wait.
        heartbeat_interval_s: how often a worker heartbeats (4 s).
        heartbeat_timeout_s: silence after which a worker's tasks are reassigned (30 s).
        max_internal_retries: reassignments of one task before it fails (10).
        record_s: seconds from a task's effect to its output being in Postgres (the window in
            which a crash repeats the task).
        steps_per_task: consecutive steps that form one task (1 = every call is its own task).
            A multi-call task that times out fails without a retry (re-running a whole
            multi-call task after a timeout is not modelled; after a crash it is).
        max_runs: runs in flight per concurrency key (0 = no concurrency limit).
        concurrency_strategy: one of `STRATEGIES`.
        concurrency_groups: how many key values the runs are spread over (round robin by
            instance number), standing in for a key expression such as ``input.tenant_id``.
        slots: worker slots across all workers (0 = unlimited); with a finite number the
            round-robin order across keys becomes visible.
    """

    BOUNDS: ClassVar[dict[str, str]] = {**ModelConfig.BOUNDS, "steps_per_task": ">= 1", "concurrency_groups": ">= 1",
                                       "heartbeat_interval_s": "> 0"}

    retries: int = param(0, kind="docs", source=f"{DOCS}/retry-policies (retries default 0)")
    execution_timeout_s: float = param(60.0, kind="docs", source=f"{DOCS}/timeouts (Execution Timeouts, default 60s)")
    schedule_timeout_s: float = param(300.0, kind="docs", source=(
        f"{DOCS}/timeouts (Scheduling Timeouts, default 5m: the time a task may wait in the queue; treated "
        "as a failure and retried if retries are set); hatchet-dev/hatchet:sdks/python/hatchet_sdk/hatchet.py "
        "(schedule_timeout = timedelta(minutes=5))"))
    backoff_factor: float = param(0.0, kind="code", source=(
        "hatchet-dev/hatchet:sdks/python/hatchet_sdk/hatchet.py (backoff_factor=None: retries are not delayed; "
        "internal/services/controllers/task/controller.go waits min(backoff_max_seconds, factor ** retry) s)"))
    backoff_max_s: float = param(60.0, kind="assumption", source=(
        "Hatchet has no default (backoff_max_seconds=None, and a backoff needs both settings); the cap the "
        "course uses when you set backoff_factor alone"))
    heartbeat_interval_s: float = param(4.0, kind="code", source=(
        "hatchet-dev/hatchet:sdks/python/hatchet_sdk/clients/dispatcher/action_listener.py (heartbeat_delay = 4)"))
    heartbeat_timeout_s: float = param(30.0, kind="code", source=(
        "hatchet-dev/hatchet:pkg/repository/sqlcv1/tasks.sql ListTasksToReassign (workers whose "
        "lastHeartbeatAt is older than 30 seconds)"))
    max_internal_retries: int = param(10, kind="code", source=(
        "hatchet-dev/hatchet:pkg/config/server/server.go MaxInternalRetryCount (default 10)"))
    record_s: float = param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)
    steps_per_task: int = param(1, kind="assumption", source="each LLM or tool call is its own task (the "
                                "shape Hatchet's docs recommend); raise it for the 'Celery, but durable' shape")
    max_runs: int = param(0, kind="docs", source=f"{DOCS}/concurrency (no concurrency limit unless set)")
    concurrency_strategy: str = param("GROUP_ROUND_ROBIN", kind="code", choices=STRATEGIES, source=(
        "hatchet-dev/hatchet:sdks/python/hatchet_sdk/types/concurrency.py (ConcurrencyExpression.from_int "
        "uses GROUP_ROUND_ROBIN)"))
    concurrency_groups: int = param(1, kind="assumption", source="one key value for every run (a constant key)")
    slots: int = param(0, kind="assumption", source="as many worker slots as runs need (0 = unlimited)")

    def __post_init__(self):
        super().__post_init__()
        for name in ("retries", "max_internal_retries", "steps_per_task", "max_runs", "concurrency_groups", "slots"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"HatchetConfig.{name} must be a whole number, got {v!r}")
        if self.concurrency_strategy not in STRATEGIES:
            raise ConfigError(f"unknown concurrency_strategy {self.concurrency_strategy!r}; "
                              f"allowed: {', '.join(STRATEGIES)}")


@lru_cache(maxsize=64)
def _user_policy(cfg: HatchetConfig) -> RetryPolicy:
    if cfg.backoff_factor > 0:
        return RetryPolicy(initial_interval_s=cfg.backoff_factor, backoff_coefficient=cfg.backoff_factor,
                           maximum_interval_s=cfg.backoff_max_s, maximum_attempts=cfg.retries + 1)
    return RetryPolicy(maximum_attempts=cfg.retries + 1, table=(0.0,))


class _ShiftedPolicy:
    """The user's policy, not counting the attempts that were internal reassignments."""

    __slots__ = ("policy", "shift")

    def __init__(self, policy: RetryPolicy, shift: int):
        self.policy = policy
        self.shift = shift

    def delay(self, attempt: int) -> float | None:
        return self.policy.delay(max(1, attempt - self.shift))


class HatchetContext(Context):
    """Each call is a task whose output PostgreSQL stores when the task completes."""

    __slots__ = ("t0", "proc", "cur", "cfg", "record_latency_s")
    durable = True
    store = "postgres"
    outage = "stall"
    gate_start = True          # the engine dispatches from Postgres: nothing starts while it is down
    check_determinism = True   # a durable parent replays its event log and must issue the same tasks

    def __init__(self, run, inst, worker: str, cfg: HatchetConfig | None = None):
        super().__init__(run, inst, worker)
        self.t0 = run.env.now      # the worker's heartbeats are counted from here
        self.proc = None
        self.cur: tuple | None = None   # (step, kind, name) being issued
        # The model's own settings: in a composed system ``run.model`` is the composite, not Hatchet.
        self.cfg = cfg if cfg is not None else run.model.config
        self.record_latency_s = self.cfg.record_s

    @property
    def retry(self):  # type: ignore[override]  # a policy worked out per step (shifted after reassignments)
        policy = _user_policy(self.cfg)
        seq = self.cur[0] if self.cur else 0
        shift = self.inst.state.reassigned.get(seq, 0)
        return _ShiftedPolicy(policy, shift) if shift else policy

    # ------------------------------------------------------------------ hooks
    # The per-step hooks call Context's methods by name, not through super(): a super() call costs
    # about 0.1 us more, and both run on every step (measured on CPython 3.11).
    def lookup_step(self, seq: int, kind: str, name: str):
        # Every step passes here first: note the process (to cancel it) and honour a cancellation.
        if self.proc is None:
            self.proc = self.env.active_process
        why = self.inst.state.cancelled
        if why:
            raise TaskCancelled(why)
        return Context.lookup_step(self, seq, kind, name)

    def record_step(self, seq: int, kind: str, name: str, value) -> None:
        per_task = self.cfg.steps_per_task
        if per_task == 1:
            self.inst.journal.append((kind, name, value))
            return
        # Calls inside one task are plain code: their outputs reach Postgres together, when it returns.
        pending = self.inst.state.pending
        pending.append((kind, name, value))
        if seq % per_task == 0:
            self.inst.journal.extend(pending)
            pending.clear()

    def execute_step(self, seq, kind, name, latency, action, fail_p):
        self.cur = (seq, kind, name)
        cfg = self.cfg
        timeout = cfg.execution_timeout_s
        if kind in _TASK_KINDS and timeout:
            per_task = cfg.steps_per_task
            if per_task == 1:
                if latency > timeout:
                    return self.plan_step(seq, kind, name, latency, action, fail_p, TimeLimit(
                        timeout, f"timed out after execution_timeout={timeout:g}s on each of {{attempt}} "
                                 f"attempt(s) (retries={cfg.retries})",
                        f"TIMED_OUT: ran past execution_timeout={timeout:g}s"))
            else:
                # The timeout bounds the whole task, so the calls before this one count too.
                first = seq - (seq - 1) % per_task
                clock = self.inst.state.task_start
                if seq == first or clock is None or clock[0] != first:
                    clock = self.inst.state.task_start = (first, self.env.now)
                used = self.env.now - clock[1]
                if used + latency > timeout:
                    # Re-running a whole multi-call task is not modelled: the first timeout is final.
                    last = first + per_task - 1
                    return self.plan_step(seq, kind, name, latency, action, fail_p, TimeLimit(
                        max(0.0, timeout - used),
                        f"the task of steps {first}-{last} ran past execution_timeout={timeout:g}s",
                        f"TIMED_OUT: ran past execution_timeout={timeout:g}s", retry=False))
        return Context.execute_step(self, seq, kind, name, latency, action, fail_p)


class _Slots:
    """Concurrency bookkeeping of one run: who holds a slot, who waits, per key."""

    __slots__ = ("running", "queues", "holders", "order", "last", "used", "ctx", "queued_at", "keys")

    def __init__(self):
        self.running: dict = {}     # key -> list of instances in flight (oldest first)
        self.queues: dict = {}      # key -> deque of (instance, gate event)
        self.holders: dict = {}     # instance id -> key
        self.order: list = []       # keys in first-seen order, for round robin
        self.last: str | None = None    # the key that took a slot last (round robin starts after it)
        self.used = 0               # slots taken across all keys
        self.ctx: dict = {}         # instance id -> its latest context
        self.queued_at: dict = {}   # instance id -> when it was queued
        self.keys: dict = {}        # instance id -> concurrency key


class Hatchet(EngineModel[HatchetConfig]):
    """Hatchet with one worker by default; set ``max_runs`` to limit concurrency per key."""

    name = "hatchet"
    title = "Hatchet"
    family = "workflow-as-code"
    state_location = "PostgreSQL (task queue, states, outputs); the engine and the Python/TS/Go workers are stateless"
    context_class = HatchetContext
    guarantees = frozenset({"keeps-finished-steps", "duplicates-only-after-effect"})
    config_class = HatchetConfig
    instance_state_class = HatchetState
    components = (
        Component("engine", "Hatchet engine (scheduler, dispatcher, heartbeat monitor)", False, STALL,
                  "stateless: it restarts from Postgres; while it is away nothing is dispatched"),
        Component("postgres", "PostgreSQL (task queue, states, outputs)", True, STALL,
                  "the source of truth: while it is down the engine stalls, and nothing is lost"),
        Component("worker", "worker (Python/TS/Go SDK; runs tasks in slots, heartbeats every 4 s)", False, NOTHING,
                  "its running task is reassigned 30 s after the last heartbeat and runs again from the top"),
    )

    # ------------------------------------------------------------------ per run
    def new_run_state(self, run) -> _Slots:
        # The engine is stateless but nothing is dispatched without it: its outage acts as Postgres's.
        run.plan.alias_outages("engine", "postgres")
        return _Slots()

    def context(self, run, inst, worker: str) -> HatchetContext:
        ctx = HatchetContext(run, inst, worker, cast(HatchetConfig, self.config))
        run.model_state.ctx[inst.id] = ctx
        return ctx

    # ------------------------------------------------------------------ crashes
    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        assert isinstance(ctx, HatchetContext)
        cfg = self.config
        now = run.env.now
        lost = self._drop_unfinished_task(inst)
        worker_at = now + self.worker_back_in(run)
        resume = worker_at
        seq = crash.step
        kind = ctx.cur[1] if ctx.cur and ctx.cur[0] == seq else None
        in_task = crash.point in ("before-step", "mid-step", "after-effect") or (
            crash.point == "after-record" and lost)
        if seq is not None and kind in _TASK_KINDS and in_task:
            # The engine learns of the death only from the missing heartbeats.
            hb = cfg.heartbeat_interval_s
            last_hb = ctx.t0 + math.floor((now - ctx.t0) / hb) * hb
            reassign = max(now, last_hb + cfg.heartbeat_timeout_s)
            down = run.plan.down_until(ctx.store, reassign)
            reassign = down if down is not None else reassign
            used = inst.state.reassigned
            used[seq] = used.get(seq, 0) + 1
            inst.extra["reassigned"] = inst.extra.get("reassigned", 0) + 1
            assert ctx.cur is not None   # kind came from it
            name = ctx.cur[2]
            if used[seq] > cfg.max_internal_retries:
                inst.state.failed = (seq, f"TaskFailed: task {name!r} lost its worker {used[seq]} times; "
                                           f"internal retries ({cfg.max_internal_retries}) exhausted",
                                     "internal-retries-exhausted")
                return reassign - now
            _note_later(run, inst, reassign, seq, "reassigned",
                        {"task": name, "last_heartbeat": round(last_hb, 6), "internal_retry": used[seq]})
            resume = max(resume, reassign)
            failed_at = self._schedule_timeout(run, inst, ctx, seq, f"task {name!r}", reassign, worker_at)
            if failed_at is not None:
                return failed_at - now
        elif seq is not None and crash.point == "after-record":
            # The next task is queued at once and waits for a worker.
            failed_at = self._schedule_timeout(run, inst, ctx, seq + 1, f"the task after step {seq}", now,
                                               worker_at)
            if failed_at is not None:
                return failed_at - now
        down = run.plan.down_until(ctx.store, resume)
        if down is not None:
            resume = down
        return resume - now

    def _schedule_timeout(self, run, inst, ctx: HatchetContext, seq: int, what: str, queued_at: float,
                          picked_at: float) -> float | None:
        """Apply ``schedule_timeout`` to a task queued at ``queued_at`` that a worker takes at ``picked_at``.

        Each time the task has waited ``schedule_timeout_s`` in the queue it times out; that is a
        failure, so it is queued again after the user's retry backoff while retries last. Returns
        when the task fails for good (the engine records it once Postgres is reachable), or None
        when a worker takes it in time. Other failures of the same step do not count against the
        retries here.
        """
        cfg = self.config
        limit = cfg.schedule_timeout_s
        if not limit:
            return None
        policy = _user_policy(cfg)
        counts = inst.state.schedule_timeouts
        while picked_at - queued_at > limit:
            expired = queued_at + limit
            down = run.plan.down_until(ctx.store, expired)
            expired = down if down is not None else expired
            counts[seq] = counts.get(seq, 0) + 1
            _count(inst, "schedule_timeouts")
            wait = policy.delay(counts[seq])
            if wait is None:
                inst.state.failed = (seq, f"SCHEDULING_TIMED_OUT: {what} waited more than schedule_timeout="
                                          f"{limit:g}s for a worker (retries={cfg.retries})", "schedule-timed-out")
                return expired
            _note_later(run, inst, expired, seq, "schedule-timed-out",
                        {"task": what, "queued_s": round(expired - queued_at, 6), "retry_in_s": wait})
            queued_at = expired + wait
        return None

    def _drop_unfinished_task(self, inst) -> bool:
        """Forget the outputs of a task that had not returned; True if there were any."""
        pending = inst.state.pending
        if not pending:
            return False
        first = len(inst.journal) + 1
        for seq in range(first, first + len(pending)):
            inst.timers.pop(seq, None)
            inst.waits.pop(seq, None)
        pending.clear()
        return True

    # ------------------------------------------------------------------ concurrency
    def key_of(self, run, inst) -> str:
        """The concurrency key of an instance, as a key expression would compute it.

        The instances are cut into ``concurrency_groups`` contiguous blocks, as when
        tenant A submits all its documents before tenant B does; one group is the
        constant key ``"global"``.
        """
        groups = self.config.concurrency_groups
        if groups == 1:
            return "global"
        st: _Slots = run.model_state
        if not st.keys:
            n = len(run.instances)
            st.keys = {x.id: f"group-{i * groups // n}" for i, x in enumerate(run.instances)}
        return st.keys.get(inst.id, "global")

    def admission(self, run, inst):
        cfg = self.config
        st: _Slots = run.model_state
        state: HatchetState = inst.state
        failed, state.failed = state.failed, None
        if failed is not None:
            # The engine found the dead worker and no internal retry is left: the task fails.
            _fail(run, inst, *failed)
            if inst.id in st.holders:
                self._free(st, inst)
                self._dispatch(run, st)
            return run.env.event()
        if not cfg.max_runs and not cfg.slots:
            return None
        if inst.id in st.holders or inst.state.cancelled:
            return None      # a resumed run keeps its slot; a cancelled one fails at once
        key = self.key_of(run, inst)
        if key not in st.running:
            st.running[key] = []
            st.queues[key] = deque()
            st.order.append(key)
        if self._fits(key, st):
            self._take(st, inst, key)
            return None
        strategy = cfg.concurrency_strategy
        full = cfg.max_runs and len(st.running[key]) >= cfg.max_runs
        if full and strategy == "CANCEL_NEWEST":
            why = f"cancelled by CANCEL_NEWEST: key {key!r} already has {cfg.max_runs} run(s) in flight"
            inst.state.cancelled = why
            inst.error = f"TaskCancelled: {why}"
            inst.ended_at = run.env.now
            _count(inst, "cancelled")
            _log(run, inst, "fail", "cancelled", {"strategy": strategy, "key": key})
            return run.env.event()      # never fires: the run never starts
        if full and strategy == "CANCEL_IN_PROGRESS":
            victim = st.running[key][0]
            self._cancel(run, st, victim, f"cancelled by CANCEL_IN_PROGRESS: {inst.id} arrived for key {key!r}")
            if self._fits(key, st):
                self._take(st, inst, key)
                return None
        gate = run.env.event()
        self._enqueue(run, st, inst, key, gate)
        return gate

    def _enqueue(self, run, st: _Slots, inst, key: str, gate) -> None:
        """Put a run at the back of its key's queue, with its schedule timeout running."""
        st.queues[key].append((inst, gate))
        st.queued_at[inst.id] = run.env.now
        _count(inst, "queued")
        _log(run, inst, "info", "queued", {"key": key, "in_flight": len(st.running[key]),
                                            "waiting": len(st.queues[key])})
        limit = self.config.schedule_timeout_s
        if limit:
            ev = run.env.timeout(limit)
            ev.callbacks.append(lambda _e: self._queue_timed_out(run, st, inst, key, gate))

    def _queue_timed_out(self, run, st: _Slots, inst, key: str, gate) -> None:
        """``schedule_timeout`` ran out while the run waited for a concurrency slot or a worker slot.

        Hatchet deletes the waiting slot and fails the task with SCHEDULING_TIMED_OUT; with retries
        left it is queued again (at the back) after the retry backoff.
        """
        entry = (inst, gate)
        if gate.triggered or entry not in st.queues[key]:
            return      # it got its slot in time
        st.queues[key].remove(entry)
        waited = run.env.now - st.queued_at.pop(inst.id)
        inst.extra["queue_wait_s"] = inst.extra.get("queue_wait_s", 0.0) + waited
        counts = inst.state.schedule_timeouts
        counts[1] = counts.get(1, 0) + 1
        _count(inst, "schedule_timeouts")
        cfg = self.config
        wait = _user_policy(cfg).delay(counts[1])
        if wait is None:
            _fail(run, inst, 1, f"SCHEDULING_TIMED_OUT: the run waited more than schedule_timeout="
                                f"{cfg.schedule_timeout_s:g}s for a slot (key {key!r}, retries={cfg.retries})",
                  "schedule-timed-out")
            return      # the gate never opens: the run never starts
        _log(run, inst, "info", "schedule-timed-out", {"key": key, "waited_s": round(waited, 6), "retry_in_s": wait})
        later = run.env.timeout(wait)
        later.callbacks.append(lambda _e: self._enqueue(run, st, inst, key, gate))

    def release(self, run, inst) -> None:
        st = run.model_state
        if isinstance(st, _Slots):
            # The invocation is over, so there is nothing left to cancel in it; dropping its context
            # also breaks the run -> context -> run cycle, so a finished run is freed at once.
            st.ctx.pop(inst.id, None)
        if not isinstance(st, _Slots) or inst.id not in st.holders:
            return
        # The engine decides the invocation's fate right after this call; look once it has.
        ev = run.env.timeout(0)
        ev.callbacks.append(lambda _e: self._settle(run, st, inst))

    def _settle(self, run, st: _Slots, inst) -> None:
        if inst.id in st.holders and (inst.finished or inst.error or inst.stalled):
            self._free(st, inst)
            self._dispatch(run, st)

    def _fits(self, key: str, st: _Slots) -> bool:
        cfg = self.config
        if cfg.max_runs and len(st.running[key]) >= cfg.max_runs:
            return False
        return not (cfg.slots and st.used >= cfg.slots)

    def _take(self, st: _Slots, inst, key: str) -> None:
        st.running[key].append(inst)
        st.holders[inst.id] = key
        st.used += 1
        st.last = key               # the next free slot goes to the next key in turn

    def _free(self, st: _Slots, inst) -> None:
        key = st.holders.pop(inst.id)
        st.running[key].remove(inst)
        st.used -= 1

    def _dispatch(self, run, st: _Slots) -> None:
        """Start queued runs while slots allow, taking the keys in turn."""
        n = len(st.order)
        progressed = True
        while progressed:
            progressed = False
            start = st.order.index(st.last) + 1 if st.last in st.running else 0
            for i in range(n):
                key = st.order[(start + i) % n]
                if st.queues[key] and self._fits(key, st):
                    inst, gate = st.queues[key].popleft()
                    self._take(st, inst, key)
                    waited = run.env.now - st.queued_at.pop(inst.id)
                    inst.extra["queue_wait_s"] = inst.extra.get("queue_wait_s", 0.0) + waited
                    _log(run, inst, "info", "dequeued", {"key": key, "waited_s": round(waited, 6)})
                    gate.succeed()
                    progressed = True
                    break

    def _cancel(self, run, st: _Slots, victim, why: str) -> None:
        victim.state.cancelled = why
        _count(victim, "cancelled")
        _log(run, victim, "info", "cancelled", {"strategy": self.config.concurrency_strategy, "reason": why})
        self._free(st, victim)
        ctx = st.ctx.get(victim.id)
        proc = ctx.proc if ctx is not None else None
        if proc is None or not proc.is_alive or proc is run.env.active_process:
            return      # it fails at its next step (or when it resumes after a crash)
        # The cancel signal aborts the call in flight: its output never arrives.
        interrupt(proc, TaskCancelled(why))


def _count(inst, key: str) -> None:
    inst.extra[key] = inst.extra.get(key, 0) + 1


def _log(run, inst, kind: str, event: str, detail: dict) -> None:
    if run.history is not None:
        run.history.append(Record(run.env.now, inst.id, None, inst.invocations, kind, "engine", event, detail))


def _note_later(run, inst, at: float, seq: int, event: str, detail: dict) -> None:
    if run.history is None:
        return
    ev = run.env.timeout(max(0.0, at - run.env.now))
    ev.callbacks.append(lambda _e: run.history.append(
        Record(run.env.now, inst.id, seq, inst.attempts.get(seq, 0), "info", "engine", event, detail)))


def _fail(run, inst, seq: int, error: str, event: str) -> None:
    inst.error = error
    inst.ended_at = run.env.now
    if run.history is not None:
        t = run.env.now
        run.history.append(Record(t, inst.id, seq, inst.attempts.get(seq, 0), "fail", "engine",
                                  event, {"error": error}))
        run.history.append(Record(t, inst.id, None, inst.invocations, "fail", "engine", "workflow-failed",
                                  {"error": error}))
