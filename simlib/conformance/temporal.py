"""Temporal's Replayer (no server), live, against the ``temporal`` model; plus one recorded timing.

The history is the one the server holds when the worker dies during
activity 2 of a three-activity chain: activity 1 completed, activity 2 only
``ActivityTaskScheduled`` (built by `temporal_history.chain_in_flight`). A new
worker replays it with the same code, or with code that inserts a durable timer
before activity 2. The model runs the same chain, crash and code change.

No Temporal server runs offline here (the dev server's binary is downloaded at
first use), so the times after a worker kill are recorded measurements from a
dev server on a machine like this one, shown with their source. The real times
count from the replacement worker's start; the server's timers had been running
since the kill, while the worker process started up (about a second). The model
restarts the worker at once, so it counts from the kill, and each time row's
tolerance (±1 s + 10 %) covers that start-up.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .proc import installed, run_app
from .rows import Row, exact, not_installed, within
from .sim import crash_run
from .temporal_history import chain_in_flight

__all__ = ["ENGINE", "REQUIRES", "rows", "RECORDED_RECOVERY_S", "RECORDED_RETRY_S", "RECORDED_NO_CACHE_S"]

ENGINE = "Temporal"
REQUIRES = ("temporalio",)
CALLS, IN_FLIGHT = 3, 2
# temporalio 1.35 + dev server 1.32, start-to-close 5 s, retry initial interval 1 s, worker killed during
# activity 3 of 5 and restarted at once: workflow completed 15.1 s after the restart (the retry after 6.0 s,
# then the dead worker's sticky queue timed out after the SDK's default 10 s before a new worker replayed).
RECORDED_RECOVERY_S = 15.1
# Same run: attempt 2 of activity 3 started 6.0 s after the kill (start-to-close 5 s, then the 1 s backoff).
RECORDED_RETRY_S = 6.0
# max_cached_workflows=0, start-to-close 2 s, same kill: completed 2.36 s after the restart (no sticky queue).
RECORDED_NO_CACHE_S = 2.36
RECORDED_NOTE = "temporalio 1.35 + dev server 1.32, offline run on a 2-core x86_64 machine"


def replay(work: Path) -> dict:
    """Replay the in-flight history with each variant; ``{variant: "replays" | error type}``."""
    path = work / "history.json"
    path.write_text(json.dumps(chain_in_flight(CALLS, IN_FLIGHT)))
    run = run_app("temporal_replay.py", "--history", str(path), "--variant", "v1", "--variant", "timer", cwd=work)
    if run.returncode != 0 or run.out is None:
        raise RuntimeError(f"the Temporal replay failed: {run.stderr[-500:]}")
    return {v: "replays" if r["ok"] else r["error_type"] for v, r in run.out.items()}


def outcome(sim) -> str:
    """The simulated run's ending in the Replayer's words."""
    s = sim.summary
    if s.completed:
        return "replays"
    return (s.stalled or s.error or "stopped").split(":")[0]


def rows(work: Path | None = None) -> list[Row]:
    """Run the real Replayer (if installed) and the model; one row per behaviour, plus the recorded time."""
    missing = installed(*REQUIRES)
    out = []
    if missing:
        out.append(not_installed(ENGINE, missing))
    else:
        with tempfile.TemporaryDirectory(prefix="conformance-temporal-") as tmp:
            real = replay(Path(work or tmp))
        same = crash_run("temporal", CALLS, 0.2, IN_FLIGHT)
        timer = crash_run("temporal", CALLS, 0.2, IN_FLIGHT, code_change="timer")
        out += [
            exact(ENGINE, f"history cut in activity {IN_FLIGHT} (scheduled, no result), same code", real["v1"],
                  outcome(same)),
            exact(ENGINE, f"same history, new code adds a timer before activity {IN_FLIGHT}", real["timer"],
                  outcome(timer)),
        ]
    sim = crash_run("temporal", 5, 0.2, 3, start_to_close_s=5.0, tool_start_to_close_s=5.0,
                    retry_initial_interval_s=1.0)
    out += [
        within(ENGINE, "worker killed in activity 3 (start-to-close 5 s): kill to attempt 2 of activity 3 (s)",
               RECORDED_RETRY_S, sim.rerun_start(3) - sim.crash_at, abs_s=0.5, source="recorded",
               note=RECORDED_NOTE),
        within(ENGINE, "worker killed in activity 3, restarted at once: restart to done (s)",
               RECORDED_RECOVERY_S, sim.completed_at() - sim.crash_at, abs_s=1.0, rel=0.1, source="recorded",
               note=RECORDED_NOTE + "; the real time excludes the worker's start-up, the simulated one does not"),
    ]
    nocache = crash_run("temporal", 5, 0.2, 3, start_to_close_s=2.0, tool_start_to_close_s=2.0,
                        max_cached_workflows=0)
    out.append(within(ENGINE, "same kill, max_cached_workflows=0, start-to-close 2 s: restart to done (s)",
                      RECORDED_NO_CACHE_S, nocache.completed_at() - nocache.crash_at, abs_s=1.0, rel=0.1,
                      source="recorded",
                      note=RECORDED_NOTE + "; the real time excludes the worker's start-up, the simulated one does not"))
    return out
