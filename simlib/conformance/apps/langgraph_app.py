"""A chain of LangGraph nodes on a SQLite checkpointer, run as its own process.

Each node notes its start in the ledger, works ``--work-s`` seconds, then has
its effect (another ledger line). ``--crash N`` kills the process with SIGKILL
right after node N's effect. ``--mode start`` invokes with an input (again, on a
thread that already has checkpoints, it starts a new run from START), ``resume``
invokes ``None`` on the same thread (LangGraph's way to carry on). Every
checkpoint write is timed (``SqliteSaver.put``). Prints one JSON line: when the
invoke began and ended, the error it raised (``EmptyInputError`` when there was
nothing to resume), the write times and the checkpoints stored for the thread.
"""

import argparse
import json
import operator
import os
import signal
import sqlite3
import time
from typing import Annotated, Any, TypedDict

from _ledger import note
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import EmptyInputError
from langgraph.graph import END, START, StateGraph

PUT_S: list = []


class TimedSaver(SqliteSaver):
    """SqliteSaver that records how long each checkpoint write takes."""

    def put(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return super().put(*args, **kwargs)
        finally:
            PUT_S.append(time.perf_counter() - t0)


class State(TypedDict):
    done: Annotated[list, operator.add]


def make_node(name: str, index: int, a):
    def node(state: State) -> dict:
        note(a.ledger, "start", name)
        time.sleep(a.work_s)
        note(a.ledger, "effect", name)
        if index == a.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        return {"done": [name]}
    return node


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--ledger", required=True)
    p.add_argument("--nodes", type=int, default=5)
    p.add_argument("--crash", type=int, default=0)
    p.add_argument("--mode", choices=("start", "resume"), default="start")
    p.add_argument("--durability", choices=("sync", "async", "exit"), default="async")
    p.add_argument("--work-s", type=float, default=0.0)
    a = p.parse_args()

    g = StateGraph(State)
    prev = START
    for i in range(1, a.nodes + 1):
        g.add_node(f"s{i}", make_node(f"s{i}", i, a))
        g.add_edge(prev, f"s{i}")
        prev = f"s{i}"
    g.add_edge(prev, END)
    conn = sqlite3.connect(a.db, check_same_thread=False)
    app = g.compile(checkpointer=TimedSaver(conn))
    cfg: Any = {"configurable": {"thread_id": "t1"}}
    t0 = time.time()
    given: Any = {"done": []} if a.mode == "start" else None
    error = None
    try:
        app.invoke(given, cfg, durability=a.durability)
    except EmptyInputError as e:
        error = type(e).__name__
    t1 = time.time()
    stored = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = 't1'").fetchone()[0]
    print(json.dumps({"invoke_at": t0, "done_at": t1, "error": error, "put_s": PUT_S, "checkpoints": stored}))


if __name__ == "__main__":
    main()
