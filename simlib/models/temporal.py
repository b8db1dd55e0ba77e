"""Temporal: event history on the server, stateless workers, deterministic replay.

Vocabulary follows the Python SDK: activities with a ``start_to_close_timeout``
and a ``RetryPolicy``; workflow tasks with a 10 s timeout; a sticky queue that
falls back to the normal task queue after 5 s; ``NondeterminismError`` when
replayed code issues different commands than the history holds (the workflow
task fails and is retried, so the run looks stuck until the code is fixed).

An activity's result reaches the history only when the activity returns
(``ActivityTaskCompleted``). If the worker dies after the activity's effect but
before that, the server notices only when ``start_to_close_timeout`` expires,
waits the retry interval and runs the activity again: at-least-once execution,
exactly-once recording. An idempotency key (workflow id + activity id) makes
the repeat harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.context import Context, RetryPolicy
from ..core.errors import WorkerCrash
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig

# Temporal's default activity RetryPolicy.
DEFAULT_RETRY = RetryPolicy(initial_interval_s=1.0, backoff_coefficient=2.0, maximum_interval_s=100.0,
                            maximum_attempts=0)


@dataclass(frozen=True)
class TemporalConfig(ModelConfig):
    """Temporal settings (defaults as in the SDK and server).

    Attributes:
        start_to_close_s: activity start-to-close timeout; how long the server waits before
            declaring a silent LLM activity failed (the SDK makes you set one; 120 s fits LLM calls).
        tool_start_to_close_s: the same for tool activities (30 s).
        workflow_task_timeout_s: workflow task timeout (server default 10 s).
        sticky_timeout_s: sticky queue schedule-to-start timeout before falling back (5 s).
    """

    start_to_close_s: float = 120.0
    tool_start_to_close_s: float = 30.0
    workflow_task_timeout_s: float = 10.0
    sticky_timeout_s: float = 5.0


class TemporalContext(Context):
    """Workflow code replayed against the event history; activities retried by the server."""

    __slots__ = ()
    durable = True
    store = "server"
    outage = "stall"
    gate_start = True
    record_latency_s = 0.05
    check_determinism = True
    retry = DEFAULT_RETRY


class Temporal(EngineModel[TemporalConfig]):
    """Temporal with one worker by default (set ``workers=2`` for a spare)."""

    name = "temporal"
    title = "Temporal"
    family = "workflow-as-code"
    state_location = "the Temporal server's event history (persistence DB); workers are stateless"
    guarantees = frozenset({"keeps-finished-steps", "duplicates-only-after-effect"})
    context_class = TemporalContext
    config_class = TemporalConfig
    components: tuple[Component, ...] = (
        Component("worker", "worker process (runs workflow code and activities)", False, NOTHING,
                  "stateless: another worker replays the history and carries on"),
        Component("server", "Temporal server + persistence DB (event history)", True, STALL,
                  "holds the history and task queues; while it is down nothing moves, nothing is lost"),
    )

    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        cfg = self.config
        now = run.env.now
        # The workflow task goes to the dead worker's sticky queue first, then falls back.
        resume = now + max(cfg.sticky_timeout_s, self.worker_back_in(run))
        infl = ctx.inflight
        if infl is not None and infl[3] in ("llm", "tool") and crash.point != "before-step":
            seq, started, attempt, kind = infl
            timeout = cfg.start_to_close_s if kind == "llm" else cfg.tool_start_to_close_s
            # Nobody tells the server the activity died: it waits out start_to_close, then retries.
            retry_at = max(now, started + timeout) + (ctx.retry.delay(attempt) or 0.0)
            resume = max(resume, retry_at)
        back = run.plan.down_until(ctx.store, resume)
        if back is not None:
            resume = back
        return resume - now
