"""Restate (server binary + Python SDK), live, against the ``restate`` model.

Runs only when the ``restate-server`` binary is found (``RESTATE_SERVER_BIN``,
or on PATH; ``.ci/run`` installs it from npm) and the ``restate`` and
``hypercorn`` packages are installed. The service (``apps/restate_app.py``)
kills itself after step 3's effect; a replacement is started at once and
begins listening 1 s after the crash. The clock starts when it accepts
connections, so its start-up is left out; the server's retry backoff is what
the rows measure. A second run also kills the server 2 s after the service
crash and restarts it on the same data directory; the service returns a fixed time after the
restarted server opens its ports. The model gets the same timeline (service crash, server down,
replacement ready) as the real run had.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .proc import APPS, Ledger, end, installed, port_busy, start, wait_until
from .rows import Row, exact, not_installed, skipped, within
from ..core.faults import Outage
from .sim import crash_run

__all__ = ["ENGINE", "REQUIRES", "rows", "server_binary"]

ENGINE = "Restate"
REQUIRES = ("restate", "hypercorn")
HOST = "127.0.0.1"
PORTS = {"ingress": 8080, "admin": 9070, "fabric": 5122, "service": 9080}
STEPS = 5
WORK_S = 0.2
NAMES = [f"s{i}" for i in range(1, STEPS + 1)]
# The server's retry backoff has jitter (3 ms up to 30 % of each interval; the model draws it too, from its own
# stream): the two may differ by up to 30 % of the 0.5 s and 1 s intervals before the retry that finds the
# replacement (0.45 s), plus 0.15 s of scheduling slack on a busy 2-core machine.
JITTER_S = 0.6
# The replacement listens this long after the crash: midway between the server's first two retries
# (0.5 s and 1.5 s after the failure), so jitter cannot move either retry across it.
BACK_AFTER_S = 1.0
# With the server also killed: it dies this long after the service crashed (by then it has retried twice).
# The restarted server invokes again about 0.6 s after its ports open (0.45-0.85 s measured) with its retry
# count back at 1, then retries 0.5, 1 and 2 s apart (plus jitter). The service comes back this long after the
# restarted server's ports open: midway between the fresh iterator's third and fourth attempts (at most
# 2.8 s and at least 3.95 s after the ports open), so jitter cannot move either across it.
SERVER_KILL_AFTER_S = 2.0
SERVICE_BACK_AFTER_RESTART_S = 3.4
# Real and model may then differ by the jitter of the three waits before the retry that finds the service
# (up to 1.05 s), the spread of the restarted server's first attempt around 0.6 s (0.25 s), plus slack.
JITTER_LATE_S = 1.4


def server_binary() -> str | None:
    """The restate-server binary: ``RESTATE_SERVER_BIN`` or ``restate-server`` on PATH (None if neither)."""
    path = os.environ.get("RESTATE_SERVER_BIN") or shutil.which("restate-server")
    return path if path and os.path.exists(path) else None


def _http(method: str, port: int, path: str, body=None, headers=None, timeout: float = 10.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=data, method=method,
                                 headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def measure(work: Path, binary: str) -> dict:
    """Kill the service after step 3's effect, start a replacement; return the real values."""
    ledger = Ledger(work / "ledger.txt")
    service = [sys.executable, str(APPS / "restate_app.py"), "--ledger", str(ledger.path), "--steps", str(STEPS),
               "--work-s", str(WORK_S), "--port", str(PORTS["service"])]
    procs = []
    try:
        procs.append(start([binary, "--no-logo", "--bind-ip", HOST, "--listen-mode", "tcp", "--base-dir",
                            str(work / "restate"), "--node-name", "n1"], work, work / "server.log"))
        wait_until(lambda: port_busy(PORTS["admin"]) and port_busy(PORTS["ingress"]), 60, "the Restate server")
        first = start([*service, "--crash", "3"], work, work / "service-1.log")
        procs.append(first)
        wait_until(lambda: port_busy(PORTS["service"]), 60, "the service")
        _http("POST", PORTS["admin"], "/deployments", {"uri": f"http://{HOST}:{PORTS['service']}"})
        _http("POST", PORTS["ingress"], "/Chain/run/send", "order-1", {"idempotency-key": "order-1"})
        first.wait(timeout=60)
        if first.returncode != -signal.SIGKILL:
            raise RuntimeError("the Restate service should have died of SIGKILL in step 3")
        back_at = ledger.first("effect", "s3") + BACK_AFTER_S
        procs.append(start([*service, "--serve-at", f"{back_at:.6f}"], work, work / "service-2.log"))
        ready = wait_until(lambda: port_busy(PORTS["service"]), 60, "the replacement service")
        result = _http("GET", PORTS["ingress"], "/restate/invocation/Chain/run/order-1/attach", timeout=90)
        done = time.time()
    finally:
        for p in reversed(procs):
            end(p)
    if result != NAMES:
        raise RuntimeError(f"the Restate invocation returned {result!r}")
    crash = ledger.first("effect", "s3")
    return {"effects": ledger.effects(NAMES), "restart_s": ready - crash,
            "rerun_s": ledger.first("start", "s3", after=crash + 1e-6) - ready, "done_s": done - ready}


def _retry_count() -> int | None:
    """The invocation's retry count as the server's SQL view reports it (None while it cannot answer)."""
    try:
        out = _http("POST", PORTS["admin"], "/query", {"query": "select retry_count from sys_invocation"},
                    {"accept": "application/json"})
    except OSError:
        return None
    rows = out.get("rows", []) if isinstance(out, dict) else []
    value = rows[0].get("retry_count") if rows and isinstance(rows[0], dict) else None
    return None if value is None else int(value)


def measure_server_restart(work: Path, binary: str) -> dict:
    """Kill the service after step 3's effect, then the server too; restart both; return the real values."""
    work.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(work / "ledger.txt")
    service = [sys.executable, str(APPS / "restate_app.py"), "--ledger", str(ledger.path), "--steps", str(STEPS),
               "--work-s", str(WORK_S), "--port", str(PORTS["service"])]
    server = [binary, "--no-logo", "--bind-ip", HOST, "--listen-mode", "tcp", "--base-dir", str(work / "restate"),
              "--node-name", "n1"]
    procs = []
    try:
        procs.append(start(server, work, work / "server-1.log"))
        wait_until(lambda: port_busy(PORTS["admin"]) and port_busy(PORTS["ingress"]), 60, "the Restate server")
        first = start([*service, "--crash", "3"], work, work / "service-1.log")
        procs.append(first)
        wait_until(lambda: port_busy(PORTS["service"]), 60, "the service")
        _http("POST", PORTS["admin"], "/deployments", {"uri": f"http://{HOST}:{PORTS['service']}"})
        _http("POST", PORTS["ingress"], "/Chain/run/send", "order-1", {"idempotency-key": "order-1"})
        first.wait(timeout=60)
        crash = ledger.first("effect", "s3")
        time.sleep(max(0.0, crash + SERVER_KILL_AFTER_S - time.time()))
        before = _retry_count()
        killed = time.time()
        end(procs[0])
        wait_until(lambda: not port_busy(PORTS["admin"]), 30, "the server to die")
        procs.append(start(server, work, work / "server-2.log"))
        server_back = wait_until(lambda: port_busy(PORTS["admin"]) and port_busy(PORTS["ingress"]), 60,
                                 "the restarted Restate server")
        wait_until(lambda: _retry_count() is not None, 30, "the restarted server's invocation table")
        after = _retry_count()
        procs.append(start([*service, "--serve-at", f"{server_back + SERVICE_BACK_AFTER_RESTART_S:.6f}"], work,
                           work / "service-2.log"))
        ready = wait_until(lambda: port_busy(PORTS["service"]), 60, "the replacement service")
        result = _http("GET", PORTS["ingress"], "/restate/invocation/Chain/run/order-1/attach", timeout=90)
        done = time.time()
    finally:
        for p in reversed(procs):
            end(p)
    if result != NAMES:
        raise RuntimeError(f"the Restate invocation returned {result!r}")
    return {"retry_before": before, "retry_after": after, "killed_s": killed - crash,
            "server_back_s": server_back - crash, "restart_s": ready - crash, "done_s": done - ready}


def simulated_server_restart(real: dict) -> dict:
    """The model with the same timeline: service crash, server down between the real kill and restart.

    The model's retry count is read as the real one is: on the first attempt the server makes after
    it is back.
    """
    crash_at = crash_run("restate", STEPS, WORK_S, 3).crash_at
    outage = Outage(crash_at + real["killed_s"], crash_at + real["server_back_s"], "server")
    sim = crash_run("restate", STEPS, WORK_S, 3, restart_s=real["restart_s"], outages=(outage,))
    after = [r for r in sim.history if r.event in ("attempt-failed", "retries-reset") and r.time >= outage.end_s]
    return {"retry_after": min(after, key=lambda r: r.time).attempt if after else None,
            "done_s": sim.completed_at() - (sim.crash_at + real["restart_s"])}


def simulated(restart_s: float) -> dict:
    """The model's values with the same delay from the crash to the replacement being up."""
    sim = crash_run("restate", STEPS, WORK_S, 3, restart_s=restart_s)
    back = sim.crash_at + restart_s
    return {"effects": sim.effects(STEPS), "rerun_s": sim.rerun_start(3) - back, "done_s": sim.completed_at() - back}


def rows(work: Path | None = None) -> list[Row]:
    """Run the real engine (if installed and its ports are free) and its model; one row per behaviour."""
    missing = installed(*REQUIRES)
    binary = server_binary()
    if missing or not binary:
        return [not_installed(ENGINE, missing) if missing
                else skipped(ENGINE, "no restate-server binary (set RESTATE_SERVER_BIN to its path)")]
    busy = [f"{n}={p}" for n, p in PORTS.items() if port_busy(p)]
    if busy:
        return [skipped(ENGINE, f"ports in use on {HOST}: {', '.join(busy)}")]
    with tempfile.TemporaryDirectory(prefix="conformance-restate-") as tmp:
        real = measure(Path(work or tmp), binary)
        both = measure_server_restart(Path(work or tmp) / "server-restart", binary)
    sim = simulated(real["restart_s"])
    sim_both = simulated_server_restart(both)
    e = ENGINE
    return [
        exact(e, "service killed after step 3's effect: effects per step", real["effects"], sim["effects"]),
        within(e, "service killed: replacement up to step 3 running again (s)", real["rerun_s"], sim["rerun_s"],
               abs_s=JITTER_S),
        within(e, f"service killed: replacement up to done, steps of {WORK_S:g} s (s)", real["done_s"], sim["done_s"],
               abs_s=JITTER_S, rel=0.1),
        exact(e, "server killed too and restarted: invocation's retry count", both["retry_after"],
              sim_both["retry_after"]),
        within(e, f"server killed too: replacement up to done, steps of {WORK_S:g} s (s)", both["done_s"],
               sim_both["done_s"], abs_s=JITTER_LATE_S),
    ]
