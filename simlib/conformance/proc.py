"""Child processes for the real engines: start an app script, kill it, read the ledger its effects wrote.

Every app in ``apps/`` runs as its own process, so a crash is a real SIGKILL and
recovery happens in a fresh process, as in a deployment. Every process started
here is ended by its PID.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["APPS", "AppRun", "run_app", "installed", "Ledger", "start", "end", "port_busy", "wait_until"]

APPS = Path(__file__).parent / "apps"

# Keep the children offline and quiet: no tracing exporters, no telemetry.
CHILD_ENV = {"OPENAI_AGENTS_DISABLE_TRACING": "1", "LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false",
             "DBOS_DISABLE_TELEMETRY": "1", "RESTATE_DISABLE_TELEMETRY": "true", "PYTHONUNBUFFERED": "1"}


def child_env() -> dict:
    """Our environment plus the settings that keep engine processes offline."""
    return {**os.environ, **CHILD_ENV}


def installed(*modules: str) -> list[str]:
    """The named modules that are NOT importable here (empty when all are)."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ModuleNotFoundError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


@dataclass
class AppRun:
    """How one app process ended and the JSON line it printed last (None if it printed none)."""

    returncode: int
    out: dict | None
    stderr: str

    @property
    def killed(self) -> bool:
        """True when the process died of SIGKILL (the crash)."""
        return self.returncode == -signal.SIGKILL


def run_app(script: str, *args: str, cwd: Path, timeout: float = 120.0) -> AppRun:
    """Run ``apps/<script>`` with ``args`` in a new process and wait for it (killed by PID after ``timeout``)."""
    proc = subprocess.Popen([sys.executable, str(APPS / script), *args], cwd=cwd, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise RuntimeError(f"{script} still ran after {timeout:.0f} s; killed PID {proc.pid}: {err[-500:]}") from None
    lines = [ln for ln in out.splitlines() if ln.strip().startswith("{")]
    return AppRun(proc.returncode, json.loads(lines[-1]) if lines else None, err)


class Ledger:
    """The outside world of an app: one line ``<event> <step> <unix time>`` per step start and effect."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def entries(self) -> list[tuple[str, str, float]]:
        """Every line as ``(event, step, time)``."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            event, step, t = line.split()
            out.append((event, step, float(t)))
        return out

    def effects(self, steps: list[str]) -> list[int]:
        """How many effects each named step had."""
        done = [s for e, s, _ in self.entries() if e == "effect"]
        return [done.count(s) for s in steps]

    def starts(self, steps: list[str]) -> list[int]:
        """How many times each named step started."""
        began = [s for e, s, _ in self.entries() if e == "start"]
        return [began.count(s) for s in steps]

    def first(self, event: str, step: str, after: float = 0.0) -> float:
        """Time of the first ``event`` of ``step`` at or after ``after``."""
        times = [t for e, s, t in self.entries() if e == event and s == step and t >= after]
        if not times:
            raise RuntimeError(f"no {event} of {step} after {after} in {self.path}")
        return min(times)


def start(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start a long-running process (a server, a service) with its output in ``log``."""
    with open(log, "w") as f:
        return subprocess.Popen(cmd, cwd=cwd, env=child_env(), stdout=f, stderr=subprocess.STDOUT)


def end(proc: subprocess.Popen) -> None:
    """End a process started here, by its PID (some servers ignore SIGTERM)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def port_busy(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on ``host:port``."""
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def wait_until(check, timeout: float, what: str, poll_s: float = 0.01) -> float:
    """Poll ``check()`` until true; return the time it became true (raise after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return time.time()
        except OSError:
            pass
        time.sleep(poll_s)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
