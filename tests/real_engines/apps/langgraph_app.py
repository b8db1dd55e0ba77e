"""A five-node LangGraph graph on a SQLite checkpointer, run as its own process.

Each node works for ``--work-s`` seconds, then appends its name to a ledger
file (the outside world) and returns. ``--crash N`` kills the process with
SIGKILL right after node N's effect, before LangGraph can checkpoint the
node's result. ``--lock-db N`` takes an exclusive lock on the checkpointer
DB in node N, as if the DB went away, so LangGraph's next write fails (the
SQLite busy timeout is 0.5 s). ``--mode`` says
what this process does with the thread: ``start`` (invoke with an input),
``resume`` (``invoke(None, cfg)``, LangGraph's way to carry on; with
``--restart-if-empty`` it sends the input again when nothing was saved) or
``inspect`` (do nothing). Every mode prints, as one JSON line, where the thread
stood when this process started and how the invoke ended.
"""

import argparse
import json
import operator
import os
import signal
import sqlite3
import time
from typing import Annotated, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.errors import EmptyInputError
from langgraph.graph import END, START, StateGraph

NODES = ("n1", "n2", "n3", "n4", "n5")


class State(TypedDict):
    done: Annotated[list, operator.add]


def effect(ledger: str, line: str) -> None:
    # fsync so the line survives the SIGKILL that may follow.
    with open(ledger, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def make_node(name: str, index: int, a):
    def node(state: State) -> dict:
        time.sleep(a.work_s)          # the node's own work before its effect
        effect(a.ledger, name)
        if index == a.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        if index == a.lock_db:
            # The checkpointer DB becomes unavailable: another connection holds an exclusive lock
            # (kept until this process exits), so LangGraph's next write cannot get in.
            LOCKS.append(sqlite3.connect(a.db, isolation_level=None))
            LOCKS[-1].execute("BEGIN EXCLUSIVE")
        return {"done": [name]}
    return node


LOCKS: list = []


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--ledger", required=True)
    p.add_argument("--thread", default="t1")
    p.add_argument("--crash", type=int, default=0)
    p.add_argument("--mode", choices=("start", "resume", "inspect"), default="start")
    p.add_argument("--durability", choices=("sync", "async", "exit"), default=None)
    p.add_argument("--work-s", type=float, default=0.0)
    p.add_argument("--restart-if-empty", action="store_true")
    p.add_argument("--lock-db", type=int, default=0)
    a = p.parse_args()

    g = StateGraph(State)
    prev = START
    for i, name in enumerate(NODES, 1):
        g.add_node(name, make_node(name, i, a))
        g.add_edge(prev, name)
        prev = name
    g.add_edge(prev, END)
    conn = sqlite3.connect(a.db, check_same_thread=False, timeout=0.5)
    app = g.compile(checkpointer=SqliteSaver(conn))
    cfg = {"configurable": {"thread_id": a.thread}}
    kw = {"durability": a.durability} if a.durability else {}
    before = app.get_state(cfg)
    out, error = None, None
    try:
        if a.mode == "start":
            out = app.invoke({"done": []}, cfg, **kw)
        elif a.mode == "resume":
            out = app.invoke(None, cfg, **kw)
    except EmptyInputError as e:
        # Nothing was saved for this thread: a supervisor can only send the input again.
        error = type(e).__name__
        if a.restart_if_empty:
            out = app.invoke({"done": []}, cfg, **kw)
    except sqlite3.OperationalError as e:
        error = f"{type(e).__name__}: {e}"
    for lock in LOCKS:
        lock.close()
    print(json.dumps({"result": out, "error": error, "next_before": list(before.next),
                      "done_before": before.values.get("done", [])}))


if __name__ == "__main__":
    main()
