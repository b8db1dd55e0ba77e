"""Temporal: event history on the server, stateless workers, deterministic replay.

Vocabulary follows the Python SDK: activities with a ``start_to_close_timeout``
(and optionally a ``heartbeat_timeout``) and a ``RetryPolicy``; workflow tasks
with a 10 s timeout; a worker that caches up to ``max_cached_workflows``
workflows and asks for their next workflow task on its own *sticky* queue;
``NondeterminismError`` when replayed code issues different commands than the
history holds (the workflow task fails and is retried, so the run looks stuck
until the code is fixed).

An activity's result reaches the history only when the activity returns
(``ActivityTaskCompleted``). The history already holds ``ActivityTaskScheduled``
for the activity in flight, so replayed code must issue that same command next.
Start-to-close bounds every attempt, a healthy one too: an LLM call longer than
the timeout fails each attempt (``ActivityTaskTimedOut``) and is retried by the
RetryPolicy, which by default never gives up.

Recovery from a worker crash is a chain of timeouts, because the server never
learns that a worker died:

1. the interrupted attempt times out (start-to-close, or the heartbeat timeout
   when one is set), then the retry waits its backoff and runs on any worker;
2. its completion schedules a workflow task on the dead worker's sticky queue,
   which waits out ``sticky_queue_schedule_to_start_timeout`` (10 s in the
   Python SDK) unless the server has not seen that worker poll for 10 s, in
   which case it skips the sticky queue;
3. a live worker takes the task from the normal queue and replays the whole
   history. With ``max_cached_workflows=0`` there is no sticky queue and every
   workflow task is such a full replay.

The model replays the history when the retry starts (a replay costs no
simulated time) and hands the retried activity's result to the workflow code
only once that workflow task reaches a live worker. A worker that dies inside a
workflow task (``before-step``) costs ``workflow_task_timeout_s`` instead.

An idempotency key (workflow id + activity id) makes a repeated effect harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, cast

from simpy.events import Event

from ..core.context import MISSING, Context, RetryPolicy, TimeLimit
from ..core.errors import ActivityError, ConfigError, NondeterminismError, WorkerCrash
from ..core.history import Record
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig
from .params import ASSUMED_RECORD_S, RECORD_S_SOURCE, param

__all__ = ["Temporal", "TemporalConfig", "TemporalContext", "TemporalState", "DEFAULT_RETRY", "retry_policy"]

_SDK = "temporalio/sdk-python"
_ACTIVITY_KINDS = ("llm", "tool")

# Temporal's default activity RetryPolicy.
DEFAULT_RETRY = RetryPolicy(initial_interval_s=1.0, backoff_coefficient=2.0, maximum_interval_s=100.0,
                            maximum_attempts=0)


_TIMEOUT = "> 0 (the SDK requires a timeout)"


@dataclass(frozen=True)
class TemporalConfig(ModelConfig):
    """Temporal settings (defaults as in the Python SDK and the server, except the two timeouts you must choose).

    Attributes:
        start_to_close_s: start-to-close timeout of an LLM activity. It bounds every attempt: a call
            that takes longer fails and is retried.
        tool_start_to_close_s: the same for tool activities.
        heartbeat_timeout_s: activity heartbeat timeout (0 = not set, the SDK's default). When set,
            the activities heartbeat and the server notices a dead worker within this time.
        workflow_task_timeout_s: workflow task start-to-close timeout: how long a workflow task
            taken by a worker that then dies stays lost.
        sticky_timeout_s: the worker's ``sticky_queue_schedule_to_start_timeout``: how long a workflow
            task waits on a dead worker's sticky queue before it moves to the normal queue.
        sticky_poller_window_s: the server puts a workflow task on a worker's sticky queue only if
            that worker polled it within this window.
        max_cached_workflows: workflows a worker keeps in memory (0 = none: no sticky queue, every
            workflow task replays the whole history on any worker).
        retry_initial_interval_s: RetryPolicy initial interval.
        retry_backoff_coefficient: RetryPolicy backoff coefficient.
        retry_maximum_interval_s: RetryPolicy maximum interval.
        retry_maximum_attempts: RetryPolicy maximum attempts (0 = unlimited).
        record_s: seconds from an activity's effect to ``ActivityTaskCompleted`` in the history.
    """

    BOUNDS: ClassVar[dict[str, str]] = {**ModelConfig.BOUNDS, "start_to_close_s": _TIMEOUT, "tool_start_to_close_s": _TIMEOUT,
                                       "retry_backoff_coefficient": ">= 1"}

    start_to_close_s: float = param(
        120.0, kind="assumption",
        source="the Python SDK requires start_to_close or schedule_to_close and has no default "
               f"({_SDK}:temporalio/workflow.py execute_activity); 120 s is this course's choice for LLM calls "
               "of about 45 s")
    tool_start_to_close_s: float = param(
        30.0, kind="assumption", source="this course's choice for tool calls of a few seconds (no SDK default)")
    heartbeat_timeout_s: float = param(
        0.0, kind="code", source=f"{_SDK}:temporalio/workflow.py execute_activity(heartbeat_timeout=None): not set")
    workflow_task_timeout_s: float = param(
        10.0, kind="docs", source="https://docs.temporal.io/encyclopedia/detecting-workflow-failures "
                                  "(Workflow Task Timeout, default 10 seconds)")
    sticky_timeout_s: float = param(
        10.0, kind="code", source=f"{_SDK}:temporalio/worker/_worker.py Worker("
                                  "sticky_queue_schedule_to_start_timeout=timedelta(seconds=10))")
    sticky_poller_window_s: float = param(
        10.0, kind="code", source="temporalio/temporal:service/matching/matching_engine.go "
                                  "(stickyPollerUnavailableWindow = 10 * time.Second, not configurable)")
    max_cached_workflows: int = param(
        1000, kind="code", source=f"{_SDK}:temporalio/worker/_worker.py Worker(max_cached_workflows=1000)")
    retry_initial_interval_s: float = param(
        1.0, kind="code", source=f"{_SDK}:temporalio/common.py RetryPolicy.initial_interval (1 s)")
    retry_backoff_coefficient: float = param(
        2.0, kind="code", source=f"{_SDK}:temporalio/common.py RetryPolicy.backoff_coefficient (2.0)")
    retry_maximum_interval_s: float = param(
        100.0, kind="code", source=f"{_SDK}:temporalio/common.py RetryPolicy.maximum_interval (100 x initial)")
    retry_maximum_attempts: int = param(
        0, kind="code", source=f"{_SDK}:temporalio/common.py RetryPolicy.maximum_attempts (0 = unlimited)")
    record_s: float = param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)

    def __post_init__(self):
        super().__post_init__()
        for name in ("max_cached_workflows", "retry_maximum_attempts"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"{type(self).__name__}.{name} must be a whole number >= 0, got {v!r}")


def retry_policy(cfg: TemporalConfig) -> RetryPolicy:
    """The activity `RetryPolicy` the config describes."""
    return RetryPolicy(initial_interval_s=cfg.retry_initial_interval_s,
                       backoff_coefficient=cfg.retry_backoff_coefficient,
                       maximum_interval_s=cfg.retry_maximum_interval_s,
                       maximum_attempts=cfg.retry_maximum_attempts)


@dataclass
class TemporalState:
    """What the server holds about one workflow beyond its completed results.

    Attributes:
        scheduled: (step, kind, name) of the command the history holds with no result yet
            (``ActivityTaskScheduled`` or ``TimerStarted``); replayed code must issue it again.
        held: (step, crash time): after a crash, that step's outcome reaches the workflow only
            through the next workflow task, which may first wait on the dead worker's sticky queue.
    """

    scheduled: tuple[int, str, str] | None = None
    held: tuple[int, float] | None = None


def _count(inst, counter: str) -> None:
    inst.extra[counter] = inst.extra.get(counter, 0) + 1


class TemporalContext(Context):
    """Workflow code replayed against the event history; activities retried and timed out by the server."""

    __slots__ = ("cfg", "retry", "record_latency_s", "_replays_all")
    durable = True
    store = "server"
    outage = "stall"
    gate_start = True
    check_determinism = True

    def __init__(self, run: Any, inst: Any, worker: str, cfg: TemporalConfig | None = None) -> None:
        super().__init__(run, inst, worker)
        cfg = cfg if cfg is not None else TemporalConfig()
        self.cfg = cfg
        self.retry = retry_policy(cfg)
        self.record_latency_s = cfg.record_s
        # Read once per invocation rather than on every recorded step.
        self._replays_all = not cfg.max_cached_workflows

    # ------------------------------------------------------------------ history
    def is_activity(self, kind: str) -> bool:
        """Is a step of ``kind`` an activity (bounded by start-to-close, retried by the server)?"""
        return kind in _ACTIVITY_KINDS

    # The per-step hooks call Context's methods by name, not through super(): a super() call costs
    # about 0.1 us more, and through super() these four made a step 0.3 us (10 %) slower (measured,
    # CPython 3.11).
    def lookup_step(self, seq: int, kind: str, name: str) -> Any:
        found = Context.lookup_step(self, seq, kind, name)
        if found is MISSING:
            pending = self.inst.state.scheduled
            if pending is not None and pending[0] == seq and (pending[1], pending[2]) != (kind, name):
                raise NondeterminismError(
                    f"step {seq}: history has {pending[1]} {pending[2]!r} scheduled (no result yet), "
                    f"the code now issues {kind} {name!r}")
        return found

    def patched(self, patch_id: str) -> bool:
        # The workflow task that scheduled the command in flight is replayed too: the patch is still unseen there.
        replayed = len(self.inst.journal)
        pending = self.inst.state.scheduled
        if pending is not None and pending[0] == replayed + 1:
            replayed += 1
        return not self.seq < replayed

    def begin_attempt(self, seq: int, attempt: int, t: float, kind: str, name: str, track: bool = True) -> None:
        # The workflow task that issued the command completed: the history holds it as scheduled.
        self.inst.state.scheduled = (seq, kind, name)
        Context.begin_attempt(self, seq, attempt, t, kind, name, track)

    def record_step(self, seq: int, kind: str, name: str, value: Any) -> None:
        Context.record_step(self, seq, kind, name, value)
        self.inst.state.scheduled = None
        if self._replays_all:
            # No cache: the workflow task this result triggers replays the whole history.
            _count(self.inst, "full_replays")

    # ------------------------------------------------------------------ steps
    def execute_step(self, seq: int, kind: str, name: str, latency: float, action: tuple[Any, ...],
                     fail_p: float) -> Event:
        cfg = self.cfg
        if self.is_activity(kind):
            timeout = cfg.start_to_close_s if kind == "llm" else cfg.tool_start_to_close_s
            if latency > timeout:
                ev = self.plan_step(seq, kind, name, latency, action, fail_p, TimeLimit(
                    timeout, f"ActivityTaskTimedOut: start-to-close {timeout:g} s on each of {{attempt}} attempt(s)",
                    f"ActivityTaskTimedOut: START_TO_CLOSE after {timeout:g} s", counter="activity_timeouts"))
                if not ev.triggered:
                    self.inst.stalled = (f"activity {name!r} takes {latency:.1f} s, longer than its start-to-close "
                                         f"timeout of {timeout:g} s: every attempt timed out and the RetryPolicy "
                                         f"retried it until the clock stopped")
                return self.held(ev, seq)
        ev = Context.execute_step(self, seq, kind, name, latency, action, fail_p)
        # `held` is for one step after a crash; checking here saves a call on every other step.
        return ev if self.inst.state.held is None else self.held(ev, seq)

    def held(self, ev: Event, seq: int) -> Event:
        """``ev``, or, for the step whose outcome waits for the first workflow task after a crash, that wait."""
        state = self.inst.state
        held = state.held
        if held is None or held[0] != seq:
            return ev
        state.held = None
        out = self.env.event()
        crash_at = held[1]

        def arrive(done: Event) -> None:
            if not done.ok:
                done.defused = True
                out.fail(cast(Exception, done.value))
                return
            self.dispatch(out, seq, done.value, crash_at)

        if ev.processed:
            arrive(ev)
        else:
            ev.callbacks.append(arrive)
        return out

    def dispatch(self, out: Event, seq: int, value: Any, crash_at: float) -> None:
        """Hand ``value`` to the workflow through a workflow task scheduled now, ``crash_at`` being the last crash."""
        env = self.env
        now = env.now
        cfg = self.cfg
        if now - crash_at >= cfg.sticky_poller_window_s:
            # The dead worker has not polled for too long: the server skips its sticky queue.
            out.succeed(value)
            return
        end = now + cfg.sticky_timeout_s
        tc = self.plan.next_crash(self.workflow_id, now) if self.plan.has_timed else end
        if tc < end:
            crash = self.crash_step(tc, seq, self.inst.attempts.get(seq, 1), "after-record", None, now)
            crash.callbacks.append(_forward(out))
            return

        def timed_out(_ev: Event) -> None:
            _count(self.inst, "workflow_task_timeouts")
            if self.history is not None:
                self.history.append(Record(env.now, self.workflow_id, seq, self.inst.attempts.get(seq, 1), "info",
                                           "server", "workflow-task-timeout",
                                           {"type": "SCHEDULE_TO_START", "queue": "sticky queue of the dead worker",
                                            "after_s": cfg.sticky_timeout_s}))
            out.succeed(value)

        env.timeout(cfg.sticky_timeout_s).callbacks.append(timed_out)


def _forward(out: Event) -> Callable[[Event], None]:
    def fail(ev: Event) -> None:
        ev.defused = True
        out.fail(cast(Exception, ev.value))
    return fail


class Temporal(EngineModel[TemporalConfig]):
    """Temporal with one worker by default (set ``workers=2`` for a spare)."""

    name = "temporal"
    title = "Temporal"
    family = "workflow-as-code"
    state_location = "the Temporal server's event history (persistence DB); workers are stateless"
    guarantees = frozenset({"keeps-finished-steps", "duplicates-only-after-effect"})
    context_class = TemporalContext
    config_class = TemporalConfig
    instance_state_class = TemporalState
    components: tuple[Component, ...] = (
        Component("worker", "worker process (runs workflow code and activities)", False, NOTHING,
                  "stateless: another worker replays the history and carries on"),
        Component("server", "Temporal server + persistence DB (event history)", True, STALL,
                  "holds the history and task queues; while it is down nothing moves, nothing is lost"),
    )

    def context(self, run, inst, worker: str) -> TemporalContext:
        cls = self.context_class
        assert issubclass(cls, TemporalContext)
        return cls(run, inst, worker, self.config)

    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        assert isinstance(ctx, TemporalContext)
        cfg = self.config
        now = run.env.now
        up = now + self.worker_back_in(run)
        sticky = cfg.max_cached_workflows > 0
        state = inst.state
        infl = ctx.inflight
        if infl is not None and crash.point not in ("before-step", "store-unavailable"):
            seq, started, attempt, kind = infl
            if ctx.is_activity(kind) and crash.point != "backoff":
                retry_at, noticed = self.activity_timed_out(run, inst, ctx, seq, started, attempt, kind, up)
            else:
                # A timer or a wait fires on the server, and a retry in backoff is already scheduled there.
                retry_at, noticed = up, now
            if retry_at is None:
                # The last attempt timed out: the workflow learns it from the next workflow task.
                resume = max(up, self.next_workflow_task(inst, now, noticed, sticky))
            else:
                resume = retry_at
                if sticky:
                    state.held = (seq, now)
        elif crash.point == "before-step":
            # The worker died inside a workflow task: it times out (START_TO_CLOSE), and its retry skips the
            # sticky queue.
            _count(inst, "workflow_task_timeouts")
            resume = max(up, now + cfg.workflow_task_timeout_s)
        else:
            # The result is in the history: the next workflow task goes to the dead worker's sticky queue.
            resume = max(up, self.next_workflow_task(inst, now, now, sticky))
        back = run.plan.down_until(ctx.store, resume)
        if back is not None:
            resume = back
        return resume - now

    def activity_timed_out(self, run, inst, ctx: TemporalContext, seq: int, started: float, attempt: int,
                           kind: str, up: float) -> tuple[float | None, float]:
        """When the retry of the attempt a crash interrupted starts (None when no attempt is left), and when
        the server noticed the silence.

        The server notices the silence at start-to-close (or within the heartbeat timeout, counting
        from a heartbeat just before the crash), records the timeout and schedules the retry after
        the RetryPolicy's backoff, on the activity task queue any worker polls.
        """
        cfg = self.config
        now = run.env.now
        timeout = cfg.start_to_close_s if kind == "llm" else cfg.tool_start_to_close_s
        noticed = started + timeout
        how = "START_TO_CLOSE"
        if cfg.heartbeat_timeout_s and now + cfg.heartbeat_timeout_s < noticed:
            noticed, how = now + cfg.heartbeat_timeout_s, "HEARTBEAT"
        noticed = max(now, noticed)
        _count(inst, "activity_timeouts")
        if run.history is not None:
            run.history.append(Record(noticed, inst.id, seq, attempt, "info", "server", "activity-timeout",
                                      {"type": how, "attempt": attempt}))
        wait = ctx.retry.delay(attempt)
        if wait is None:
            pending = inst.state.scheduled
            name = pending[2] if pending is not None else kind
            ctx.record_step(seq, kind, name, ActivityError(
                name, f"ActivityTaskTimedOut: {how} on the last of {attempt} attempt(s)"))
            return None, noticed
        return max(up, noticed + wait), noticed

    def next_workflow_task(self, inst, crash_at: float, scheduled_at: float, sticky: bool) -> float:
        """When a live worker can take a workflow task scheduled at ``scheduled_at`` after a crash at ``crash_at``."""
        cfg = self.config
        if sticky and scheduled_at - crash_at < cfg.sticky_poller_window_s:
            _count(inst, "workflow_task_timeouts")
            return scheduled_at + cfg.sticky_timeout_s
        return scheduled_at
