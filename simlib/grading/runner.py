"""The grader's side of the sandbox: start a child, talk to it, kill it when it misbehaves.

A `Sandbox` runs one submission's code cells in a fresh Python process (see
`simlib.grading.sandbox`) under a wall-clock limit, a per-cell limit, memory,
CPU-time and output caps, in its own process group so that everything it
starts dies with it (POSIX only: it relies on ``resource`` and process groups).
Requests and replies are JSON lines over two pipes that
are not the child's stdout, so a learner's prints cannot be mistaken for
answers. Whatever the child sends is only ever read as plain data.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "Sandbox", "SandboxError", "RemoteSession"]

MAX_REPLY = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission.

    Attributes:
        wall_s: wall-clock seconds for the whole submission (cells and Part B).
        cell_s: wall-clock seconds for one cell.
        step_s: seconds the learner's workflow may run between two steps.
        memory_mb: address-space limit of the child (RLIMIT_AS).
        output_kb: cap on the child's captured output (RLIMIT_FSIZE).
        event_budget: simulated events per Part B run.
    """

    wall_s: float = 120.0
    cell_s: float = 30.0
    step_s: float = 5.0
    memory_mb: int = 2048
    output_kb: int = 1024
    event_budget: int = 20_000

    def __post_init__(self):
        from ..core.errors import ConfigError

        for name in ("wall_s", "cell_s", "step_s", "memory_mb", "output_kb", "event_budget"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ConfigError(f"limit {name} must be a positive number, got {v!r}")


class SandboxError(Exception):
    """The child stopped answering: timed out, died, or sent something unreadable."""


class Sandbox:
    """One child process running one submission.

    Args:
        cells: the code cells, ``{"index", "id", "source"}`` each, in submitted order.
        limits: the `Limits`.
    """

    def __init__(self, cells: list[dict], limits: Limits):
        self.cells = cells
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.broken: str | None = None
        self.deadline = 0.0
        self._buf = b""
        self._ids = itertools.count(1)
        self._w = None
        self._r: int | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="simlib-grade-")
        self.output_path = Path(self._tmp.name) / "output.txt"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> list[dict]:
        """Start the child and run the cells; return the cells' errors (raises `SandboxError`)."""
        lim = self.limits
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        job = {"cells": self.cells, "fds": [to_child_r, from_child_w], "cell_s": lim.cell_s,
               "step_s": lim.step_s, "memory_mb": lim.memory_mb, "output_bytes": lim.output_kb * 1024,
               "cpu_s": lim.wall_s + 10}
        job_path = Path(self._tmp.name) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        work = Path(self._tmp.name) / "work"
        work.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
        # The child must import this very simlib, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["MPLBACKEND"] = "Agg"
        self.deadline = time.monotonic() + lim.wall_s
        try:
            with open(self.output_path, "wb") as out:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "simlib.grading.sandbox", str(job_path)],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=work, env=env,
                    pass_fds=(to_child_r, from_child_w), start_new_session=True, close_fds=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._w = os.fdopen(to_child_w, "w", encoding="utf-8")
        self._r = from_child_r
        reply = self._read(lim.wall_s)
        if reply.get("op") != "ready":
            raise self._fail("the notebook sent an unexpected message")
        errors = reply.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []

    def output(self, limit: int = 4000) -> str:
        """The start of what the child printed (capped)."""
        try:
            with open(self.output_path, "rb") as fh:
                return fh.read(limit).decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self) -> None:
        """Ask the child to leave, then kill its whole process group."""
        if self.proc is not None and self.proc.poll() is None and self.broken is None:
            try:
                self._w.write('{"op": "bye"}\n')
                self._w.flush()
                self.proc.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self._kill()
        for close in (lambda: self._w and self._w.close(), lambda: self._r is not None and os.close(self._r)):
            try:
                close()
            except OSError:
                pass
        self._w, self._r = None, None
        self._tmp.cleanup()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _fail(self, why: str) -> SandboxError:
        if self.broken is None:
            self.broken = why
        self._kill()
        return SandboxError(self.broken)

    # ------------------------------------------------------------------ messages
    def _read(self, timeout: float) -> dict:
        end = min(time.monotonic() + timeout, self.deadline)
        while b"\n" not in self._buf:
            left = end - time.monotonic()
            if left <= 0:
                if time.monotonic() >= self.deadline:
                    raise self._fail(f"the wall-clock limit of {self.limits.wall_s:g} s was reached")
                raise self._fail(f"no answer within {timeout:g} s (an endless loop?)")
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 65536)
            if not chunk:
                raise self._fail(self._death())
            self._buf += chunk
            if len(self._buf) > MAX_REPLY:
                raise self._fail("the notebook flooded the grader's channel")
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            msg = json.loads(line)
        except ValueError:
            raise self._fail("the notebook wrote garbage on the grader's channel") from None
        if not isinstance(msg, dict):
            raise self._fail("the notebook wrote garbage on the grader's channel")
        return msg

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5) if self.proc else None
        except subprocess.TimeoutExpired:
            return "the notebook closed the grader's channel"
        if code is not None and code < 0:
            if -code == signal.SIGKILL:
                return "the notebook's process was killed (out of memory?)"
            return f"the notebook's process died (signal {-code})"
        return f"the notebook ended the grading process (exit status {code}; os._exit?)"

    def request(self, msg: dict, timeout: float) -> dict:
        """Send one request and wait for its reply (raises `SandboxError`)."""
        if self.broken:
            raise SandboxError(self.broken)
        try:
            self._w.write(json.dumps(msg, default=str) + "\n")
            self._w.flush()
        except (OSError, ValueError):
            raise self._fail(self._death()) from None
        return self._read(timeout)

    def answers(self, names: list[str]) -> dict:
        """name -> {"value": plain} | {"missing": True} | {"invalid": why} | {"callable": True}."""
        reply = self.request({"op": "answers", "names": names}, timeout=30.0)
        values = reply.get("values")
        if not isinstance(values, dict):
            raise self._fail("the notebook sent malformed answers")
        return values

    def factory(self, variable: str):
        """Sessions of the workflow function ``variable``, run in the child."""
        def make(workflow_id: str, order) -> RemoteSession:
            return RemoteSession(self, variable, next(self._ids), workflow_id, order)
        return make


class RemoteSession:
    """The grader's handle on one invocation of the learner's workflow in the child."""

    def __init__(self, box: Sandbox, variable: str, sid: int, workflow_id: str, order):
        self.box = box
        self.variable = variable
        self.sid = sid
        self.workflow_id = workflow_id
        self.order = order

    def _call(self, msg: dict) -> dict:
        msg["sid"] = self.sid
        try:
            reply = self.box.request(msg, timeout=self.box.limits.step_s + 3.0)
        except SandboxError as e:
            return {"op": "raise", "type": "SandboxError", "error": f"SandboxError: {e}"}
        if reply.get("type") == "StepTimeout":
            # An endless loop would cost step_s in every remaining run: stop the campaign here.
            self.box._fail(f"the workflow ran for more than {self.box.limits.step_s:g} s between two steps "
                           f"(an endless loop?)")
        return reply

    def start(self, now: float, journal_len: int) -> dict:
        return self._call({"op": "wf.start", "name": self.variable, "wid": self.workflow_id,
                           "order": self.order, "now": now, "jl": journal_len})

    def send(self, value, now: float, journal_len: int) -> dict:
        return self._call({"op": "wf.send", "value": value, "now": now, "jl": journal_len})

    def throw(self, step_name: str, message: str, now: float, journal_len: int) -> dict:
        return self._call({"op": "wf.throw", "step": step_name, "message": message, "now": now,
                           "jl": journal_len})

    def abandon(self) -> None:
        if not self.box.broken:
            self._call({"op": "wf.abandon"})
