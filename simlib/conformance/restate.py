"""Restate (server binary + Python SDK), live, against the ``restate`` model.

Runs only when the ``restate-server`` binary is found (``RESTATE_SERVER_BIN``,
or on PATH; ``.ci/run`` installs it from npm) and the ``restate`` and
``hypercorn`` packages are installed. The service (``apps/restate_app.py``)
kills itself after step 3's effect; a replacement is started at once and
begins listening 1 s after the crash. The clock starts when it accepts
connections, so its start-up is left out; the server's retry backoff is what
the rows measure. The model gets the
same restart delay (crash to replacement ready) as the real run had.
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
from .rows import Row, exact, skipped, within
from .sim import crash_run

__all__ = ["ENGINE", "REQUIRES", "rows", "server_binary"]

ENGINE = "Restate"
REQUIRES = ("restate", "hypercorn")
HOST = "127.0.0.1"
PORTS = {"ingress": 8080, "admin": 9070, "fabric": 5122, "service": 9080}
STEPS = 5
WORK_S = 0.2
NAMES = [f"s{i}" for i in range(1, STEPS + 1)]
# The server's retry backoff has jitter (a 0.3 multiplier in its retry policy) that the model leaves out: up to
# 30 % of the 0.5 s and 1 s intervals before the retry that finds the replacement (0.45 s), plus 0.15 s of
# scheduling slack on a busy 2-core machine.
JITTER_S = 0.6
# The replacement listens this long after the crash: midway between the server's first two retries
# (0.5 s and 1.5 s after the failure), so jitter cannot move either retry across it.
BACK_AFTER_S = 1.0


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
        why = f"missing {', '.join(missing)}" if missing else "no restate-server binary (set RESTATE_SERVER_BIN)"
        return [skipped(ENGINE, why)]
    busy = [f"{n}={p}" for n, p in PORTS.items() if port_busy(p)]
    if busy:
        return [skipped(ENGINE, f"ports in use on {HOST}: {', '.join(busy)}")]
    with tempfile.TemporaryDirectory(prefix="conformance-restate-") as tmp:
        real = measure(Path(work or tmp), binary)
    sim = simulated(real["restart_s"])
    e = ENGINE
    return [
        exact(e, "service killed after step 3's effect: effects per step", real["effects"], sim["effects"]),
        within(e, "replacement service up to step 3 running again (s)", real["rerun_s"], sim["rerun_s"],
               abs_s=JITTER_S),
        within(e, f"replacement service up to done, steps of {WORK_S:g} s (s)", real["done_s"], sim["done_s"],
               abs_s=JITTER_S, rel=0.1),
    ]
