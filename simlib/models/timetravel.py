"""Time travel for LangGraph threads: list a run's checkpoints and fork a new run from one of them.

LangGraph keeps every super-step's checkpoint, so you can pick an old one
(``graph.get_state_history(config)``), optionally edit its state
(``graph.update_state``) and invoke the graph from there with that
``checkpoint_id``. The nodes after it run again as a new branch of the thread,
while the nodes before it are not executed: their outputs come from the
checkpoint. Only super-step boundaries are places you can travel to.

Here a fork is a new simulation whose thread starts with the chosen
checkpoint's writes; its history therefore begins with the same steps (as
``replay`` records) and then goes its own way, because re-executed LLM calls
draw new answers.
"""

from __future__ import annotations

from ..core.engine import RunResult, simulate
from ..core.errors import ConfigError
from ..core.faults import NO_FAULTS, FaultSchedule

__all__ = ["state_history", "fork_from_checkpoint"]


def _thread(result: RunResult, workflow: str | None):
    insts = result.run.instances
    if workflow is None:
        inst = insts[0]
    else:
        found = next((i for i in insts if i.id == workflow), None)
        if found is None:
            raise ConfigError(f"unknown workflow {workflow!r}; allowed: {', '.join(i.id for i in insts)}")
        inst = found
    from .langgraph import LangGraphState

    thread = inst.state.thread if isinstance(inst.state, LangGraphState) else None
    if thread is None:
        raise ConfigError(f"run was made with model {result.run.model.name!r}; time travel needs a langgraph run")
    return inst, thread


def state_history(result: RunResult, workflow: str | None = None) -> list[dict]:
    """The checkpoints of one thread that reached the checkpointer, oldest first.

    Args:
        result: a finished or stopped run made with the ``langgraph`` model.
        workflow: the instance (thread_id); the first one by default.

    Returns:
        One dict per checkpoint: ``checkpoint`` (its index, 0 = the input), ``last_step`` (the
        last step whose output it holds), ``nodes`` and ``written_at`` (simulated seconds).
    """
    _, thread = _thread(result, workflow)
    return [{"checkpoint": i, "last_step": c[1], "nodes": list(c[2]), "written_at": c[3]}
            for i, c in enumerate(thread.checkpoints)]


def fork_from_checkpoint(result: RunResult, checkpoint: int, *, workflow: str | None = None,
                         values: dict | None = None, seed: int | None = None,
                         faults: FaultSchedule | None = None) -> RunResult:
    """Re-run a thread from one of its checkpoints as a new branch.

    Args:
        result: a finished or stopped ``langgraph`` run.
        checkpoint: an index into `state_history` (0 re-runs everything).
        workflow: which thread to fork (the first instance by default).
        values: ``update_state`` before forking: step number -> the value to put in its place.
        seed: the new run's seed (the parent's by default).
        faults: what goes wrong in the new branch (nothing by default).

    Returns:
        The new branch's `RunResult`; its history starts with the shared prefix.
    """
    from .langgraph import LangGraph, Thread

    inst, thread = _thread(result, workflow)
    n = len(thread.checkpoints)
    if isinstance(checkpoint, bool) or not isinstance(checkpoint, int) or not 0 <= checkpoint < n:
        raise ConfigError(f"checkpoint {checkpoint!r} is out of range; allowed: 0..{n - 1}")
    last = thread.checkpoints[checkpoint][1]
    fork = Thread()
    fork.checkpoints = [[c[0], c[1], c[2], 0.0] for c in thread.checkpoints[:checkpoint + 1]]
    fork.writes = {s: [w[0], w[1], w[2], 0.0] for s, w in thread.writes.items() if s <= last}
    for step, value in (values or {}).items():
        if step not in fork.writes:
            raise ConfigError(f"cannot update step {step!r}: checkpoint {checkpoint} holds steps "
                              f"{', '.join(map(str, sorted(fork.writes))) or 'none'}")
        fork.writes[step][2] = value
    model = result.run.model
    assert isinstance(model, LangGraph)     # `_thread` found a LangGraph thread
    model = model.starting_from(inst.id, fork)
    scenario = result.run.model_state["scenario"]
    return simulate(scenario, model, seed=result.token.seed if seed is None else seed,
                    faults=NO_FAULTS if faults is None else faults)
