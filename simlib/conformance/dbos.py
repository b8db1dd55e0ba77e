"""DBOS Transact on SQLite, live, against the ``dbos`` model.

A chain of five steps (``apps/dbos_app.py``) is killed after step 3's
effect; a new process calls ``DBOS.launch()``, whose recovery runs the
PENDING workflow again. Times start when ``launch()`` returns, so interpreter
start-up and DBOS's own start-up are left out.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .proc import Ledger, installed, run_app
from .rows import Row, exact, not_installed, within
from .sim import crash_run

__all__ = ["ENGINE", "REQUIRES", "rows"]

ENGINE = "DBOS + SQLite"
REQUIRES = ("dbos",)
STEPS = 5
WORK_S = 0.2
NAMES = [f"s{i}" for i in range(1, STEPS + 1)]


def measure(work: Path) -> dict:
    """Crash after step 3's effect, recover in a new process; return the real values."""
    ledger = Ledger(work / "ledger.txt")
    args = ["--db", str(work / "dbos.sqlite"), "--ledger", str(ledger.path), "--work-s", str(WORK_S),
            "--steps", str(STEPS)]
    crashed = run_app("dbos_app.py", *args, "--crash", "3", cwd=work)
    if not crashed.killed:
        raise RuntimeError(f"DBOS app should have died of SIGKILL in step 3: {crashed.stderr[-500:]}")
    rec = run_app("dbos_app.py", *args, "--mode", "recover", cwd=work)
    if rec.returncode != 0 or rec.out is None or rec.out["status"] != "SUCCESS":
        raise RuntimeError(f"DBOS recovery failed ({rec.out}): {rec.stderr[-500:]}")
    t0 = rec.out["launched_at"]
    return {"effects": ledger.effects(NAMES), "rerun_s": ledger.first("start", "s3", after=t0) - t0,
            "done_s": rec.out["done_at"] - t0}


def simulated() -> dict:
    """The model's values: the replacement process is up at once (restart 0 s)."""
    sim = crash_run("dbos", STEPS, WORK_S, 3)
    return {"effects": sim.effects(STEPS), "rerun_s": sim.rerun_start(3) - sim.crash_at,
            "done_s": sim.completed_at() - sim.crash_at}


def rows(work: Path | None = None) -> list[Row]:
    """Run the real engine (if installed) and its model; one row per behaviour."""
    missing = installed(*REQUIRES)
    if missing:
        return [not_installed(ENGINE, missing)]
    with tempfile.TemporaryDirectory(prefix="conformance-dbos-") as tmp:
        real = measure(Path(work or tmp))
    sim = simulated()
    return [
        exact(ENGINE, "crash after step 3's effect: effects per step", real["effects"], sim["effects"]),
        within(ENGINE, "launch() to step 3 running again (s)", real["rerun_s"], sim["rerun_s"], abs_s=0.5),
        within(ENGINE, f"launch() to done, steps of {WORK_S:g} s (s)", real["done_s"], sim["done_s"], abs_s=0.5,
               rel=0.15),
    ]
