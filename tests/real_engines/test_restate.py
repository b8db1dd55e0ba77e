"""Restate (server binary + Python SDK) against simlib's ``restate`` model.

Restate needs its server, a single 216 MB static binary from npm
(``@restatedev/restate-server-linux-x64``), so this test runs only when
``REAL_ENGINES_RESTATE=1`` and the binary is found (``RESTATE_SERVER_BIN`` or
``restate-server`` on PATH). ``.ci/run`` installs the binary with npm and sets
both, so CI runs it; a machine with only Python and pip skips it. Everything
binds to 127.0.0.1.

The service's handler runs five ``ctx.run`` steps, each with a side effect; the
service process kills itself right after step 3's effect. A replacement
process is started; the server notices the broken connection, retries the
invocation with its backoff, and the handler replays the journal. The
simulator runs ``five-effects`` with the same crash.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ._harness import (APPS, assert_agree, child_env, executions, model_or_skip, read_ledger, require,
                       simulate_crash)

if os.environ.get("REAL_ENGINES_RESTATE") != "1":
    pytest.skip("opt-in: set REAL_ENGINES_RESTATE=1 (needs the restate-server binary from npm)",
                allow_module_level=True)
require("restate", "hypercorn")

BIN = os.environ.get("RESTATE_SERVER_BIN") or shutil.which("restate-server")
PORTS = {"ingress": 8080, "admin": 9070, "fabric": 5122, "service": 9080}
HOST = "127.0.0.1"


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) == 0


def http(method: str, port: int, path: str, body=None, headers=None, timeout: float = 10.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=data, method=method,
                                 headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def end(proc: subprocess.Popen) -> None:
    """End a process this test started, by its PID (hypercorn may ignore SIGTERM)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def test_crash_after_step_3_effect_reruns_only_step_3(workdir):
    model = model_or_skip("restate")
    if not BIN or not os.path.exists(BIN):
        pytest.skip("restate-server binary not found: set RESTATE_SERVER_BIN")
    busy = [n for n, p in PORTS.items() if port_busy(p)]
    if busy:
        pytest.skip(f"ports in use on {HOST}: {', '.join(f'{n}={PORTS[n]}' for n in busy)}")
    ledger = workdir / "ledger.txt"
    env = {**child_env(), "RESTATE_DISABLE_TELEMETRY": "true"}
    procs, logs = [], []

    def start(*cmd, log: str):
        logs.append(open(workdir / log, "w"))
        p = subprocess.Popen(list(cmd), cwd=workdir, env=env, stdout=logs[-1], stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    service = [sys.executable, str(APPS / "restate_app.py"), "--ledger", str(ledger), "--port", str(PORTS["service"])]
    try:
        start(BIN, "--no-logo", "--bind-ip", HOST, "--listen-mode", "tcp", "--base-dir", str(workdir / "restate"),
              "--node-name", "n1", log="server.log")
        wait_until(lambda: port_busy(PORTS["admin"]) and port_busy(PORTS["ingress"]), 60, "the Restate server")
        first = start(*service, "--crash", "3", log="service-1.log")
        wait_until(lambda: port_busy(PORTS["service"]), 60, "the service")
        http("POST", PORTS["admin"], "/deployments", {"uri": f"http://{HOST}:{PORTS['service']}"})
        http("POST", PORTS["ingress"], "/Five/run/send", "order-1", {"idempotency-key": "order-1"})
        first.wait(timeout=60)
        assert first.returncode == -signal.SIGKILL, "the service should have died of SIGKILL in step 3"
        start(*service, log="service-2.log")
        result = http("GET", PORTS["ingress"], "/restate/invocation/Five/run/order-1/attach", timeout=90)
    finally:
        for p in reversed(procs):
            end(p)
        for f in logs:
            f.close()
    lines = read_ledger(ledger)
    real = [lines.count(f"s{i}") for i in range(1, 6)]
    sim = simulate_crash("five-effects", model, 3)
    assert_agree("Restate, service killed after step 3's effect, replacement service started", [
        ("runs per step", real, executions(sim, 5)),
        ("finished", result == ["s1", "s2", "s3", "s4", "s5"], sim.summary.completed),
    ])
