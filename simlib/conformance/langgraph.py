"""LangGraph + SQLite checkpointer, live, against the ``langgraph`` model.

Runs of a five-node chain (``apps/langgraph_app.py``): durability ``sync``
with a crash after node 3's effect, then ``invoke(None)`` in a new process; a
clean ``async`` run that times every checkpoint write; an ``async`` run of
5 ms nodes with the same crash; the same crash under ``exit`` (``invoke(None)``
finds nothing); and the same crash under ``sync`` followed by the common
mistake, ``invoke(input)`` on the same thread. Times are measured
inside the processes, from ``invoke`` to the event, so interpreter start-up
and imports are left out.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from ..models import get_model
from .proc import Ledger, installed, run_app
from .rows import Row, exact, not_installed, within
from .sim import crash_run

__all__ = ["ENGINE", "REQUIRES", "rows", "NODES", "WORK_S"]

ENGINE = "LangGraph + SQLite"
REQUIRES = ("langgraph", "langgraph.checkpoint.sqlite")
NODES = 5
WORK_S = 0.2           # each node's work before its effect (seconds)
FAST_S = 0.005         # a fast node: a few times the median real SQLite write
STEPS = [f"s{i}" for i in range(1, NODES + 1)]


def _crash_and_resume(work: Path, durability: str, work_s: float, mode: str = "resume"):
    """Crash after node 3's effect, then invoke again in a new process (``mode``: ``resume`` passes None,
    ``start`` the input); return (ledger, the second process's JSON)."""
    work.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(work / "ledger.txt")
    args = ["--db", str(work / "cp.sqlite"), "--ledger", str(ledger.path), "--durability", durability,
            "--work-s", str(work_s), "--nodes", str(NODES)]
    crashed = run_app("langgraph_app.py", *args, "--crash", "3", cwd=work)
    if not crashed.killed:
        raise RuntimeError(f"LangGraph app should have died of SIGKILL in node 3: {crashed.stderr[-500:]}")
    resumed = run_app("langgraph_app.py", *args, "--mode", mode, cwd=work)
    if resumed.returncode != 0 or resumed.out is None:
        raise RuntimeError(f"LangGraph resume failed: {resumed.stderr[-500:]}")
    return ledger, resumed.out


def measure(work: Path) -> dict:
    """Run the real engine; return every real value the rows need."""
    ledger, out = _crash_and_resume(work / "sync", "sync", WORK_S)
    clean = run_app("langgraph_app.py", "--db", str(work / "clean.sqlite"), "--ledger", str(work / "clean.txt"),
                    "--durability", "async", "--work-s", "0", "--nodes", str(NODES), cwd=work)
    if clean.returncode != 0 or clean.out is None:
        raise RuntimeError(f"LangGraph clean run failed: {clean.stderr[-500:]}")
    fast, _ = _crash_and_resume(work / "fast", "async", FAST_S)
    _, exit_out = _crash_and_resume(work / "exit", "exit", 0.0)
    again, _ = _crash_and_resume(work / "again", "sync", 0.0, mode="start")
    puts = sorted(clean.out["put_s"])
    return {
        "effects": ledger.effects(STEPS),
        "resume_to_rerun_s": ledger.first("start", "s3", after=out["invoke_at"]) - out["invoke_at"],
        "resume_to_done_s": out["done_at"] - out["invoke_at"],
        "put_median_s": statistics.median(puts),
        "checkpoints": clean.out["checkpoints"],
        "fast_starts": fast.starts(STEPS),
        "exit_error": exit_out["error"],
        "again_starts": again.starts(STEPS),
    }


def simulated() -> dict:
    """The model's values for the same runs (the supervisor re-invokes at once)."""
    sync = crash_run("langgraph", NODES, WORK_S, 3, durability="sync", supervisor_restart_s=0.0)
    fast = crash_run("langgraph", NODES, FAST_S, 3, durability="async", supervisor_restart_s=0.0)
    clean = crash_run("langgraph", NODES, 0.0, None, durability="async")
    exit_mode = crash_run("langgraph", NODES, 0.0, 3, durability="exit", supervisor_restart_s=0.0)
    again = crash_run("langgraph", NODES, 0.0, 3, durability="sync", supervisor_restart_s=0.0, resume_with="input")
    return {
        "effects": sync.effects(NODES),
        "resume_to_rerun_s": sync.rerun_start(3) - sync.crash_at,
        "resume_to_done_s": sync.completed_at() - sync.crash_at,
        "write_s": get_model("langgraph").config.checkpoint_write_s,
        "checkpoints": clean.checkpoints(),
        "fast_starts": fast.starts(NODES),
        "exit_error": (exit_mode.summary.error or "no error").split(":")[0],
        "again_starts": again.starts(NODES),
    }


def rows(work: Path | None = None) -> list[Row]:
    """Run the real engine (if installed) and its model; one row per behaviour."""
    missing = installed(*REQUIRES)
    if missing:
        return [not_installed(ENGINE, missing)]
    with tempfile.TemporaryDirectory(prefix="conformance-langgraph-") as tmp:
        real = measure(Path(work or tmp))
    sim = simulated()
    e = ENGINE
    return [
        exact(e, "sync, crash after node 3's effect: effects per node", real["effects"], sim["effects"]),
        within(e, "sync: invoke(None) to node 3 running again (s)", real["resume_to_rerun_s"],
               sim["resume_to_rerun_s"], abs_s=0.1),
        within(e, f"sync: invoke(None) to done, nodes of {WORK_S:g} s (s)", real["resume_to_done_s"],
               sim["resume_to_done_s"], abs_s=0.15, rel=0.15),
        within(e, "async: one checkpoint write to SQLite (s, real median)", real["put_median_s"], sim["write_s"],
               abs_s=0.0, rel=1.0),
        exact(e, f"async, nodes of {FAST_S * 1000:g} ms, crash after node 3: runs per node", real["fast_starts"],
              sim["fast_starts"]),
        exact(e, f"checkpoints stored for {NODES} nodes", real["checkpoints"], sim["checkpoints"]),
        exact(e, "exit, crash after node 3: what invoke(None) raises", real["exit_error"], sim["exit_error"]),
        exact(e, "sync, crash after node 3, then invoke(input) on the same thread: runs per node",
              real["again_starts"], sim["again_starts"]),
    ]
