"""Application-level checkpointing: a database-backed state machine the app writes itself.

After each step the application saves "step N done, result R" to its own
database; on restart it reads the row and carries on from the next step. It
needs no engine, but the window between a side effect and the save is the
application's problem: a crash there repeats the step. If the database is down
when the save is due, the save raises and the job dies.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.context import Context
from ..core.stores import Component, FAIL, NOTHING
from .base import EngineModel, ModelConfig
from .params import ASSUMED_RECORD_S, RECORD_S_SOURCE, param

__all__ = ["AppCheckpoint", "AppCheckpointConfig", "AppCheckpointContext"]


@dataclass(frozen=True)
class AppCheckpointConfig(ModelConfig):
    """Settings of the homegrown state machine.

    Attributes:
        save_s: seconds from a step's effect to its row being saved (the window in which a
            crash repeats the step).
    """

    save_s: float = param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)


class AppCheckpointContext(Context):
    """Durable per-step results in the app's DB; a failed save kills the job."""

    __slots__ = ("record_latency_s",)
    durable = True
    store = "db"
    outage = "fail"
    gate_start = False
    check_determinism = False

    def __init__(self, run, inst, worker: str, save_s: float = ASSUMED_RECORD_S):
        super().__init__(run, inst, worker)
        self.record_latency_s = save_s


class AppCheckpoint(EngineModel[AppCheckpointConfig]):
    """Resume from the last saved step when the application restarts."""

    name = "app-checkpoint"
    title = "Application-level checkpointing"
    family = "homegrown"
    state_location = "a row per workflow in the application's own database, written after each step"
    guarantees = frozenset({"keeps-finished-steps"})
    context_class = AppCheckpointContext
    config_class = AppCheckpointConfig
    components = (
        Component("worker", "application process", False, NOTHING,
                  "stateless between steps: on restart it reads the saved row and continues"),
        Component("db", "application database (state-machine table)", True, FAIL,
                  "while it is down a save raises and the job dies; it resumes from the last saved step"),
    )

    def context(self, run, inst, worker: str) -> Context:
        return AppCheckpointContext(run, inst, worker, self.config.save_s)
