"""Post-mortem views: what each engine's own tooling would show after a crash.

An on-call engineer does not read `simlib`'s flat history; they open the
engine's own record of the run. This module rewrites one simulated run's
history in the vocabulary of that record, keeping only what the engine itself
stores:

* Temporal: the workflow's event history (``ActivityTaskScheduled`` ...
  ``ActivityTaskCompleted``); an activity attempt that died leaves no event of
  its own, and ``ActivityTaskStarted`` is written only for the attempt that
  finished, with its attempt number;
* Restate: the invocation's journal (one ``Run`` entry per finished
  ``ctx.run``, with no attempt number) and its status transitions (``backing-off``
  with the retry count in the ``attempt`` column);
* LangGraph: the thread's checkpoints as ``get_state_history`` lists them,
  newest first; a node that was running when the process died has none;
* DBOS: the ``workflow_status`` row (its ``attempt`` column stands for the
  recovery attempts) and the ``operation_outputs`` table (one row per finished step);
* OpenAI Agents SDK: the items a session holds, saved once per finished turn.

What none of them records is the outside world: an effect that happened in a
step whose result was never saved appears nowhere. `blind_spots` compares each
view with the simulator's ledger to count exactly that.
"""

from __future__ import annotations

import pandas as pd

from ..core.errors import ConfigError
from ..models.timetravel import state_history

__all__ = ["VIEWS", "engine_view", "blind_spots"]


def _finished(history):
    return [r for r in history if r.kind == "ok" and r.step is not None]


def _temporal(result) -> list[dict]:
    rows = [{"event": "WorkflowExecutionStarted", "step": "", "attempt": "", "detail": ""}]
    for r in _finished(result.history):
        name = r.detail.get("name", "")
        rows.append({"event": "ActivityTaskScheduled", "step": name, "attempt": "", "detail": ""})
        rows.append({"event": "ActivityTaskStarted", "step": name, "attempt": r.attempt,
                     "detail": "earlier attempts leave no event" if r.attempt > 1 else ""})
        rows.append({"event": "ActivityTaskCompleted", "step": name, "attempt": "",
                     "detail": str(r.detail.get("value", ""))[:40]})
    if any(r.event == "complete" for r in result.history):
        rows.append({"event": "WorkflowExecutionCompleted", "step": "", "attempt": "", "detail": ""})
    return rows


def _restate(result) -> list[dict]:
    # `attempt` is the invocation's retry count as `sys_invocation` shows it: one more after each back-off,
    # back to 1 when a restarted server re-invokes (the model writes a `retries-reset` record then).
    rows = [{"event": "invocation: running", "step": "", "attempt": 1, "detail": "journal entry 0: Input"}]
    count = 1
    for r in result.history:
        if r.event == "attempt-failed":
            rows.append({"event": "invocation: backing-off", "step": "", "attempt": count,
                         "detail": r.detail.get("error", "")})
            count += 1
        elif r.event == "retries-reset":
            count = 1
        elif r.kind == "ok" and r.step is not None:
            rows.append({"event": "journal: Run", "step": r.detail.get("name", ""), "attempt": "",
                         "detail": str(r.detail.get("value", ""))[:40]})
        elif r.event == "complete":
            rows.append({"event": "invocation: completed", "step": "", "attempt": count, "detail": "Output"})
    return rows


def _langgraph(result) -> list[dict]:
    rows = []
    for cp in reversed(state_history(result)):
        rows.append({"event": f"checkpoint {cp['checkpoint']}", "step": ", ".join(cp["nodes"]) or "(input)",
                     "attempt": "", "detail": f"written at {cp['written_at']:.2f} s"})
    return rows


def _dbos(result) -> list[dict]:
    done = any(r.event == "complete" for r in result.history)
    recoveries = sum(r.event == "resume" for r in result.history)
    rows = [{"event": "workflow_status", "step": "", "attempt": recoveries + 1,
             "detail": ("SUCCESS" if done else "PENDING")}]
    for fid, r in enumerate(_finished(result.history)):
        rows.append({"event": "operation_outputs", "step": r.detail.get("name", ""), "attempt": "",
                     "detail": f"function_id={fid}, output={str(r.detail.get('value', ''))[:30]}"})
    return rows


def _agents(result) -> list[dict]:
    rows = []
    for r in result.history:
        if r.event == "turn-saved":
            rows.append({"event": "session items", "step": f"turn {r.detail.get('turn')}", "attempt": "",
                         "detail": f"{r.detail.get('items')} item(s) saved in {r.detail.get('store')}"})
    return rows or [{"event": "session items", "step": "", "attempt": "", "detail": "none saved"}]


VIEWS = {"temporal": ("event history", _temporal), "restate": ("invocation journal", _restate),
         "langgraph": ("checkpoint list (get_state_history)", _langgraph),
         "dbos": ("workflow_status + operation_outputs", _dbos),
         "openai-agents": ("session items", _agents)}


def engine_view(result) -> pd.DataFrame:
    """The run as its engine's own record shows it: one row per entry, oldest first (LangGraph: newest first).

    Args:
        result: a `RunResult` made with one of the models in `VIEWS`.
    """
    name = result.run.model.name
    if name not in VIEWS:
        raise ConfigError(f"no post-mortem view for model {name!r}; allowed: {', '.join(VIEWS)}")
    return pd.DataFrame(VIEWS[name][1](result), columns=["event", "step", "attempt", "detail"])


def blind_spots(result) -> dict:
    """What the engine's record shows about a crash, against what happened in the world.

    Returns:
        ``record`` (what the view is called), ``entries`` (rows in the view), ``crash recorded``
        (whether some entry stands for the crash or the failed attempts it caused: a
        ``backing-off`` status), ``retry visible`` (whether some entry carries an attempt,
        retry or recovery count above 1: a sign that something ran again, not which
        effect), ``effects in world`` and ``duplicate effects`` (from the ledger, which no
        engine sees).
    """
    view = engine_view(result)
    attempts = pd.to_numeric(view["attempt"], errors="coerce")
    crash_words = view["event"].str.contains("backing-off")
    return {"record": VIEWS[result.run.model.name][0], "entries": len(view),
            "crash recorded": bool(crash_words.any()),
            "retry visible": bool((attempts > 1).any()),
            "effects in world": len([e for e in result.ledger.effects if not e.deduplicated]),
            "duplicate effects": result.summary.duplicate_effects}
