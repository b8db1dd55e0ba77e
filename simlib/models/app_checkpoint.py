"""Application-level checkpointing: a database-backed state machine the app writes itself.

After each step the application saves "step N done, result R" to its own
database; on restart it reads the row and carries on from the next step. It
needs no engine, but the window between a side effect and the save is the
application's problem: a crash there repeats the step. If the database is down
when the save is due, the save raises and the job dies.
"""

from __future__ import annotations

from ..core.context import Context
from ..core.stores import Component, FAIL, NOTHING
from .base import EngineModel, ModelConfig


class AppCheckpointContext(Context):
    """Durable per-step results in the app's DB; a failed save kills the job."""

    __slots__ = ()
    durable = True
    store = "db"
    outage = "fail"
    gate_start = False
    record_latency_s = 0.02
    check_determinism = False


class AppCheckpoint(EngineModel[ModelConfig]):
    """Resume from the last saved step when the application restarts."""

    name = "app-checkpoint"
    title = "Application-level checkpointing"
    family = "homegrown"
    state_location = "a row per workflow in the application's own database, written after each step"
    guarantees = frozenset({"keeps-finished-steps"})
    context_class = AppCheckpointContext
    components = (
        Component("worker", "application process", False, NOTHING,
                  "stateless between steps: on restart it reads the saved row and continues"),
        Component("db", "application database (state-machine table)", True, FAIL,
                  "while it is down a save raises and the job dies; it resumes from the last saved step"),
    )
