"""Helpers shared by the conformance tests: run an engine app, read its ledger, ask the model.

The engine apps live in ``apps/`` and run as child processes, so a test can
kill one with SIGKILL in the middle of a step and start a fresh one, as a real
deployment would after a crash. Every child is ended by its PID.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

APPS = Path(__file__).parent / "apps"
SIGKILLED = -signal.SIGKILL

# Keep the children offline and quiet: no tracing exporters, no telemetry.
_CHILD_ENV = {
    "OPENAI_AGENTS_DISABLE_TRACING": "1",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "DBOS_DISABLE_TELEMETRY": "1",
    "OPENAI_API_KEY": "sk-offline-stub",
    "PYTHONUNBUFFERED": "1",
}


@dataclass
class AppRun:
    """How one child process ended and what it printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        """True when the process died of SIGKILL (our simulated crash)."""
        return self.returncode == SIGKILLED

    def json(self) -> dict:
        """The last line of stdout, parsed (the apps print one JSON line at the end)."""
        lines = [ln for ln in self.stdout.splitlines() if ln.strip().startswith("{")]
        if not lines:
            raise AssertionError(f"the app printed no JSON (rc={self.returncode})\nstderr:\n{self.stderr[-3000:]}")
        return json.loads(lines[-1])


def run_app(script: str, *args: str, cwd: Path, timeout: float = 90.0, preload: tuple = ()) -> AppRun:
    """Run ``apps/<script>`` with ``args`` in its own process and wait for it.

    With ``preload`` (module names), the process is forked from a server that imported those
    modules once (see ``apps/_forkserver.py``); set ``REAL_ENGINES_FORKSERVER=0`` to start every
    app as a fresh interpreter instead. A child still running after ``timeout`` seconds is killed
    by its PID and the test fails.
    """
    if preload and os.environ.get("REAL_ENGINES_FORKSERVER", "1") != "0":
        return _server(tuple(preload)).run(str(APPS / script), list(args), cwd, timeout)
    proc = subprocess.Popen([sys.executable, str(APPS / script), *args], cwd=cwd, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"{script} {' '.join(args)} still ran after {timeout:.0f} s; killed PID {proc.pid}\n"
                             f"stderr:\n{err[-3000:]}") from None
    return AppRun(proc.returncode, out, err)


def child_env() -> dict:
    """The environment for engine processes: ours plus the settings that keep them offline."""
    env = dict(os.environ)
    env.update(_CHILD_ENV)
    return env


class ForkServer:
    """A running ``apps/_forkserver.py``: forks one child per app run (see that module)."""

    def __init__(self, preload: tuple):
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([sys.executable, str(APPS / "_forkserver.py"), *preload], env=child_env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     bufsize=1)
        if not self._line(180.0).get("ready"):
            self.stop()
            self.log.seek(0)
            raise AssertionError(f"the fork server for {preload} did not start:\n{self.log.read()[-3000:]}")

    def _line(self, timeout: float) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return {}
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {}

    def run(self, script: str, args: list, cwd: Path, timeout: float) -> AppRun:
        out, err = Path(cwd) / f".{Path(script).stem}.out", Path(cwd) / f".{Path(script).stem}.err"
        req = {"script": script, "argv": args, "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        pid = self._line(30.0).get("pid")
        if pid is None:
            raise AssertionError(f"the fork server did not start {script}")
        done = self._line(timeout)
        if "returncode" not in done:
            os.kill(pid, signal.SIGKILL)
            self._line(30.0)
            raise AssertionError(f"{Path(script).name} {' '.join(args)} still ran after {timeout:.0f} s; "
                                 f"killed PID {pid}\nstderr:\n{err.read_text()[-3000:]}")
        return AppRun(done["returncode"], out.read_text(), err.read_text())

    def stop(self) -> None:
        """Close the request pipe and end the server by its PID."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


_SERVERS: dict = {}


def _server(preload: tuple) -> ForkServer:
    if preload not in _SERVERS:
        _SERVERS[preload] = ForkServer(preload)
    return _SERVERS[preload]


def stop_fork_servers() -> None:
    """End every fork server this test session started."""
    while _SERVERS:
        _SERVERS.popitem()[1].stop()


def require(*modules: str) -> None:
    """Skip the calling test module unless every named module is installed.

    Like ``pytest.importorskip`` without importing: the engines run in child processes, so the
    pytest process need not pay for importing them (the Agents SDK alone costs seconds).
    """
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            pytest.skip(f"could not import {name!r}: install the real engines (see the 'real' extra)",
                        allow_module_level=True)


def read_ledger(path: Path) -> list[str]:
    """The lines the app's side effects wrote, in order (empty if none)."""
    return path.read_text().splitlines() if path.exists() else []


def model_or_skip(name: str):
    """The registered model class's default instance, or skip: its module has not landed yet."""
    from simlib.models import REGISTRY, get_model

    if name not in REGISTRY:
        pytest.skip(f"model not yet registered: {name!r} (registered: {', '.join(REGISTRY)})")
    return get_model(name)


def table(title: str, rows: list[tuple]) -> str:
    """A small fixed-width table (printed by each comparison; ``pytest -s`` shows it)."""
    head = ("observable", "real engine", "model", "agree")
    body = [tuple(str(c) for c in r) + (("yes" if r[1] == r[2] else "NO"),) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(4)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths))  # noqa: E731
    text = "\n".join([title, line(head), line(tuple("-" * w for w in widths)), *map(line, body)])
    print("\n" + text)
    return text


class ModelDisagreement(AssertionError):
    """The real engine and its model did different things (the only failure a known-gap xfail expects)."""


def assert_agree(title: str, rows: list[tuple]) -> None:
    """Print the comparison table, then raise `ModelDisagreement` naming every observable that differs.

    Args:
        title: what was run.
        rows: ``(observable, real engine's value, model's value)`` triples.
    """
    text = table(title, rows)
    bad = [r[0] for r in rows if r[1] != r[2]]
    if bad:
        raise ModelDisagreement(f"the model disagrees with the real engine on {', '.join(bad)}\n{text}")


def simulate_crash(scenario, model, step: int, point: str = "after-effect", **faults):
    """Simulate ``scenario`` under ``model`` with one crash; return the run's result."""
    from simlib import CrashAt, FaultSchedule, simulate

    return simulate(scenario, model, seed=1, faults=FaultSchedule(crashes=(CrashAt(step, point),), **faults))


def executions(result, steps: int) -> list[int]:
    """How many times each step 1..steps started executing in a simulated run (replays excluded)."""
    inst = result.run.instances[0]
    return [inst.starts.get(i, 0) for i in range(1, steps + 1)]


def effects(result, steps: int) -> list[int]:
    """Side effects per step 1..steps in a simulated run, padded with zeros for steps never reached."""
    per = list(result.summary.effects_per_step)
    return per + [0] * (steps - len(per))
