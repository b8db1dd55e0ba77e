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
        One dict per checkpoint: ``checkpoint`` (LangGraph's step number: -1 for the input, 0 for
        START, then one per super-step, so N nodes leave N + 2 checkpoints), ``last_step`` (the
        last step whose output it holds), ``nodes`` and ``written_at`` (simulated seconds). A
        checkpoint still in flight, or never written (``exit`` mode before the graph exits), is
        not listed.
    """
    _, thread = _thread(result, workflow)
    end = result.run.env.now
    return [{"checkpoint": c[0], "last_step": c[1], "nodes": list(c[2]), "written_at": c[3]}
            for c in thread.checkpoints if c[3] <= end]


def fork_from_checkpoint(result: RunResult, checkpoint: int, *, workflow: str | None = None,
                         values: dict | None = None, seed: int | None = None,
                         faults: FaultSchedule | None = None) -> RunResult:
    """Re-run a thread from one of its checkpoints as a new branch.

    Args:
        result: a finished or stopped ``langgraph`` run.
        checkpoint: a ``checkpoint`` number from `state_history` (-1, the input, or 0, START,
            re-runs everything).
        workflow: which thread to fork (the first instance by default).
        values: ``update_state`` before forking: step number -> the value to put in its place.
        seed: the new run's seed (the parent's by default).
        faults: what goes wrong in the new branch (nothing by default).

    Returns:
        The new branch's `RunResult`; its history starts with the shared prefix.
    """
    from .langgraph import LangGraph, Thread

    inst, thread = _thread(result, workflow)
    listed = [c["checkpoint"] for c in state_history(result, workflow)]
    if isinstance(checkpoint, bool) or not isinstance(checkpoint, int) or checkpoint not in listed:
        allowed = f"{listed[0]}..{listed[-1]}" if listed else "none (no checkpoint was written)"
        raise ConfigError(f"checkpoint {checkpoint!r} is out of range; allowed: {allowed}")
    upto = [c for c in thread.checkpoints if c[0] <= checkpoint]
    last = upto[-1][1]
    fork = Thread()
    fork.checkpoints = [[c[0], c[1], c[2], 0.0] for c in upto]
    fork.writes = {s: [w[0], w[1], w[2], 0.0] for s, w in thread.writes.items() if s <= last}
    for step, value in (values or {}).items():
        if step not in fork.writes:
            raise ConfigError(f"cannot update step {step!r}: checkpoint {checkpoint} holds steps "
                              f"{', '.join(map(str, sorted(fork.writes))) or 'none'}")
        fork.writes[step][2] = value
    model = result.run.model
    assert isinstance(model, LangGraph)     # `_thread` found a LangGraph thread
    model = model.starting_from(inst.id, fork)
    scenario = result.run.model_state.scenario
    return simulate(scenario, model, seed=result.token.seed if seed is None else seed,
                    faults=NO_FAULTS if faults is None else faults)
