"""No durability: a homegrown or Celery-style job that keeps its progress in memory.

When the worker dies, the broker hands the job out again (late acknowledgement)
and it starts over from step 1: every LLM call is paid for again and every side
effect without an idempotency key happens again.
"""

from __future__ import annotations

from ..core.context import Context
from ..core.stores import Component, LOSE, NOTHING
from .base import EngineModel, ModelConfig


class NoDurabilityContext(Context):
    """Nothing is recorded, so nothing is replayed; sleeps and waits start over."""

    __slots__ = ()
    durable = False
    store = "none"


class NoDurability(EngineModel[ModelConfig]):
    """A job that restarts from scratch after a crash."""

    name = "none"
    title = "No durability (homegrown / Celery-style job)"
    family = "homegrown"
    state_location = "in the worker's memory only: a crash loses all progress"
    context_class = NoDurabilityContext
    components = (
        Component("worker", "worker process (job state in memory)", True, LOSE,
                  "the job's progress lives in this process; when it dies the job starts over"),
        Component("broker", "message broker (job queue)", False, NOTHING,
                  "holds the job message until it is acknowledged, so the job is re-delivered, not resumed"),
    )
