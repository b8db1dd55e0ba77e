"""State stores and the components of a deployment.

A model declares its components (worker, server, store, sidecar, platform,
checkpointer database ...) and which of them holds the workflow's state. A
store's availability comes from the fault plan's outage windows, so a store is
down exactly when the schedule says and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Component", "STALL", "FAIL", "LOSE", "NOTHING"]

# What a component's crash or outage does to a running workflow.
STALL = "stall"        # work waits until the component is back; nothing is lost
FAIL = "fail"          # the run errors out; it can be resumed up to the last save
LOSE = "lose"          # in-flight state is gone
NOTHING = "nothing"    # no effect on the workflow


@dataclass(frozen=True)
class Component:
    """One box in a deployment diagram.

    Attributes:
        name: short id used by fault schedules (``"store"``, ``"worker"``).
        label: what the engine calls it (``"Temporal server (history DB)"``).
        holds_state: True for the component where the workflow's durable state lives.
        on_crash: STALL, FAIL, LOSE or NOTHING: what its crash or outage does.
        note: one sentence on why.
    """

    name: str
    label: str
    holds_state: bool
    on_crash: str
    note: str
