"""The grader's side of the sandbox: start it, talk to it, end it.

A `Sandbox` runs one submission's code cells in a bubblewrap sandbox (see
`simlib.grading.isolate` for what the sandbox sees and `simlib.grading.sandbox`
for the program inside) under a wall-clock limit, a per-cell limit, and limits
on memory, CPU time, processes and written output. Requests and replies are
JSON lines over a Unix socket that is not the sandbox's stdout, so a learner's
prints cannot be mistaken for answers; every request carries an id that its
reply must echo, and the sandbox never speaks unasked, so replies can never get
out of step. Whatever the sandbox sends is only ever read as plain data.

Part B's workflow runs in *worker incarnations* (`RemoteFactory`): forks of the
notebook's process as it stood after its cells ran. Every invocation of the
workflow (a run's first start, and each restart after a simulated crash) gets a
fresh one, and the grader first kills everything else the sandbox started, so
state the learner's code keeps in memory or in helper processes does not
survive a crash.

Without bubblewrap, ``Sandbox(..., isolated=False)`` runs the same program as a
plain child process (the grader's ``--unsafe-no-sandbox``): no isolation at all.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import isolate

__all__ = ["Limits", "RemoteFactory", "RemoteSession", "Sandbox", "SandboxError", "SandboxUnavailable"]

MAX_REPLY = 1 << 20
POLL_S = 0.25


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission.

    Attributes:
        wall_s: wall-clock seconds for the whole submission (cells and Part B).
        cell_s: wall-clock seconds for one cell.
        step_s: seconds the learner's workflow may run between two steps.
        memory_mb: memory of the whole sandbox (all its processes together, watched from
            outside) and the address-space limit of each of its processes.
        output_kb: cap on the sandbox's captured output (and on any file it writes).
        event_budget: simulated events per Part B run.
        processes: most processes (and threads) the sandbox may have at once.
    """

    wall_s: float = 120.0
    cell_s: float = 30.0
    step_s: float = 5.0
    memory_mb: int = 2048
    output_kb: int = 1024
    event_budget: int = 2_000   # a correct Part B run uses at most ~44 events
    processes: int = 64

    def __post_init__(self):
        import math

        from ..core.errors import ConfigError

        for name in ("wall_s", "cell_s", "step_s", "memory_mb", "output_kb", "event_budget", "processes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ConfigError(f"limit {name} must be a finite number > 0, got {v!r}")


class SandboxError(Exception):
    """The sandbox stopped answering: timed out, died, used too much, or broke the protocol."""


class SandboxUnavailable(Exception):
    """bubblewrap is missing or cannot start a sandbox on this machine."""


class _Channel:
    """One socket to the sandbox: JSON lines, request ids, bounded waits."""

    def __init__(self, sock: socket.socket, box: Sandbox):
        self.sock = sock
        self.box = box
        self.buf = b""
        self.rids = itertools.count(1)
        self.busy = False
        self.dead = False

    def close(self) -> None:
        self.dead = True
        try:
            self.sock.close()
        except OSError:
            pass

    def request(self, msg: dict, timeout: float, fds=()) -> dict:
        box = self.box
        if box.broken:
            raise SandboxError(box.broken)
        if self.busy:
            # Only a grader bug gets here (a request from inside another, e.g. from a finalizer).
            raise box._fail("internal grader error: a request was sent while another was waiting")
        self.busy = True
        try:
            rid = next(self.rids)
            data = (json.dumps({**msg, "rid": rid}, default=str) + "\n").encode()
            try:
                if fds:
                    socket.send_fds(self.sock, [data], list(fds))
                else:
                    self.sock.sendall(data)
            except OSError:
                raise box._fail(box._death()) from None
            reply = self._read(timeout)
            if reply.get("rid") != rid:
                raise box._fail("the notebook broke the grader's protocol (a reply out of step)")
            return reply
        finally:
            self.busy = False

    def _read(self, timeout: float) -> dict:
        box = self.box
        end = min(time.monotonic() + timeout, box.deadline)
        while b"\n" not in self.buf:
            now = time.monotonic()
            if now >= end:
                if now >= box.deadline:
                    raise box._fail(f"the wall-clock limit of {box.limits.wall_s:g} s was reached")
                raise box._fail(f"no answer within {timeout:g} s (an endless loop?)")
            ready, _, _ = select.select([self.sock], [], [], min(POLL_S, end - now))
            if not ready:
                box._watch()
                continue
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise box._fail(box._death())
            self.buf += chunk
            if len(self.buf) > MAX_REPLY:
                raise box._fail("the notebook flooded the grader's channel")
        line, _, self.buf = self.buf.partition(b"\n")
        try:
            msg = json.loads(line)
        except ValueError:
            raise box._fail("the notebook wrote garbage on the grader's channel") from None
        if not isinstance(msg, dict):
            raise box._fail("the notebook wrote garbage on the grader's channel")
        return msg


class Sandbox:
    """One sandbox running one submission.

    Args:
        cells: the code cells, ``{"index", "id", "source"}`` each, in submitted order.
        limits: the `Limits`.
        isolated: run inside bubblewrap (default); False runs a plain child process
            with no isolation (``--unsafe-no-sandbox``).
    """

    def __init__(self, cells: list[dict], limits: Limits, isolated: bool = True):
        self.cells = cells
        self.limits = limits
        self.isolated = isolated
        self.proc: subprocess.Popen | None = None
        self.broken: str | None = None
        self.deadline = float("inf")
        self.control: _Channel | None = None
        self.incarnation: _Channel | None = None
        self.incarnations = 0
        self.inc_pid: int | None = None
        self.uid: int | None = None
        self.processes: isolate.SandboxProcesses | None = None
        self._sids = itertools.count(1)
        self._tmp = tempfile.TemporaryDirectory(prefix="simlib-grade-")
        self.output_path = Path(self._tmp.name) / "output.txt"

    # ------------------------------------------------------------------ lifecycle
    def _job(self, control_fd: int) -> dict:
        lim = self.limits
        # Only what the program inside needs: never the seed, the key or a host path.
        return {"cells": self.cells, "control_fd": control_fd, "cell_s": lim.cell_s, "step_s": lim.step_s,
                "memory_mb": lim.memory_mb, "output_bytes": lim.output_kb * 1024, "cpu_s": lim.wall_s + 10,
                "nproc": lim.processes if self.isolated else 0, "uid": self.uid}

    def start(self) -> list[dict]:
        """Start the sandbox and run the cells; return the cells' errors (raises `SandboxError`)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fds = [theirs.fileno()]
        self.deadline = time.monotonic() + self.limits.wall_s
        try:
            if self.isolated:
                bwrap = isolate.bwrap_path()
                if bwrap is None:
                    raise SandboxUnavailable("bubblewrap (bwrap) is not installed: install it "
                                             f"({isolate.BWRAP_INSTALL})")
                if os.geteuid() != 0:
                    # Without root, bwrap needs a user namespace, and the process cap would not hold.
                    raise SandboxUnavailable("the sandbox must be started by root (run the grader as root, "
                                             "e.g. in the course's container)")
                self.uid = isolate.sandbox_uid()
                job_fd = isolate.data_file(json.dumps(self._job(theirs.fileno())))
                key_fd = isolate.data_file(isolate.KEY_STUB)
                fds += [job_fd, key_fd]
                full = isolate.bwrap_command(
                    bwrap, ["-m", "simlib.grading.sandbox"],
                    {isolate.JOB_PATH: job_fd, f"{isolate.LIB_DIR}/simlib/grading/key.py": key_fd})
                # The arguments go in through a file, so /proc/1/cmdline inside shows no host path.
                n_run = 3                   # the interpreter and its arguments stay on the command line
                args_fd = isolate.data_file("\0".join(full[1:-n_run]) + "\0")
                fds.append(args_fd)
                cmd = [bwrap, "--args", str(args_fd), *full[-n_run:]]
                env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
                cwd = "/"
            else:
                job_path = Path(self._tmp.name) / "job.json"
                job_path.write_text(json.dumps(self._job(theirs.fileno())), encoding="utf-8")
                cmd = [sys.executable, "-m", "simlib.grading.sandbox", str(job_path)]
                env = isolate.sandbox_env()
                env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
                env["HOME"] = str(Path(self._tmp.name))
                work = Path(self._tmp.name) / "work"
                work.mkdir()
                cwd = str(work)
            with open(self.output_path, "wb") as out:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                             cwd=cwd, env=env, pass_fds=fds, start_new_session=True,
                                             close_fds=True)
        finally:
            for fd in fds[1:]:
                os.close(fd)
            theirs.close()
        if self.isolated:
            self.processes = isolate.SandboxProcesses(self.proc.pid)
        self.control = _Channel(ours, self)
        reply = self.control._read(self.limits.wall_s)
        if reply.get("op") != "ready" or reply.get("rid") != 0:
            raise self._fail("the notebook sent an unexpected message")
        if self.isolated and reply.get("pid") != 2:
            raise self._fail("the notebook broke the grader's protocol (a wrong process answered)")
        errors = reply.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []

    def output(self, limit: int = 4000) -> str:
        """The start of what the sandbox printed (capped)."""
        try:
            with open(self.output_path, "rb") as fh:
                return fh.read(limit).decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self) -> None:
        """End the sandbox: every process it started dies with it."""
        for chan in (self.incarnation, self.control):
            if chan is not None:
                chan.close()
        self._kill()
        if self.uid is not None:
            isolate.release_uid(self.uid)
            self.uid = None
        self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _kill(self) -> None:
        if self.proc is None:
            return
        # bwrap's init dies with the process we started (--die-with-parent), and the kernel
        # kills everything in a PID namespace whose init is gone. Unisolated: the session.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def _fail(self, why: str) -> SandboxError:
        if self.broken is None:
            self.broken = why
        self._kill()
        return SandboxError(self.broken)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5) if self.proc else None
        except subprocess.TimeoutExpired:
            code = None
        if code is None or code == 0:
            return "the notebook ended the grading process (os._exit, or it closed the grader's channel)"
        if code < 0:
            if -code == signal.SIGKILL:
                return "the notebook's process was killed (out of memory?)"
            return f"the notebook's process died (signal {-code})"
        if code >= 128:
            if code - 128 == signal.SIGKILL:
                return "the notebook's process was killed (out of memory?)"
            return f"the notebook's process died (signal {code - 128})"
        return f"the notebook ended the grading process (exit status {code}; os._exit?)"

    def _watch(self) -> None:
        """Called while waiting: end the sandbox if all its processes together hold too much memory."""
        if self.processes is None:
            return
        used = self.processes.memory_kb()
        if used > self.limits.memory_mb * 1024:
            raise self._fail(f"the notebook used more than {self.limits.memory_mb} MB of memory "
                             f"(all its processes together)")

    # ------------------------------------------------------------------ requests
    def answers(self, names: list[str]) -> dict:
        """name -> {"value": plain} | {"missing": True} | {"invalid": why} | {"callable": True}."""
        if self.control is None:
            raise SandboxError("the sandbox was not started")
        reply = self.control.request({"op": "answers", "names": names}, timeout=30.0)
        values = reply.get("values")
        if not isinstance(values, dict):
            raise self._fail("the notebook sent malformed answers")
        self._watch()
        return values

    def new_incarnation(self) -> _Channel:
        """End the current worker incarnation (and every other process but the notebook's) and fork a fresh one."""
        if self.broken:
            raise SandboxError(self.broken)
        if self.incarnation is not None:
            self.incarnation.close()
            self.incarnation = None
        if self.processes is not None:
            self.processes.kill_extra(keep=(1, 2))
        elif self.inc_pid is not None:
            try:
                os.kill(self.inc_pid, signal.SIGKILL)
            except OSError:
                pass
        if self.control is None:
            raise SandboxError("the sandbox was not started")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            reply = self.control.request({"op": "fork"}, timeout=30.0, fds=[theirs.fileno()])
        finally:
            theirs.close()
        if reply.get("op") != "forked" or not isinstance(reply.get("pid"), int):
            ours.close()
            why = str(reply.get("error", ""))[:120]
            raise self._fail("the notebook could not start a worker incarnation" + (f" ({why})" if why else ""))
        self.inc_pid = reply["pid"]
        self.incarnations += 1
        self.incarnation = _Channel(ours, self)
        return self.incarnation

    def factory(self, variable: str) -> RemoteFactory:
        """Sessions of the workflow function ``variable``, run in worker incarnations."""
        return RemoteFactory(self, variable)


class RemoteFactory:
    """Makes `RemoteSession` objects of one workflow function; ``factory(workflow_id, order)``.

    Worker incarnations: every session (one invocation of the workflow: the first
    start of a run, and each restart after a simulated crash) starts in a fresh
    incarnation, a fork of the notebook's process as it stood after its cells. So
    nothing the learner's code kept in memory, in files it wrote or in processes
    it started during one invocation survives into the next, as after a real
    worker crash. The campaign needs no call for this: starting the next session
    is enough (`crash` and ``session.abandon()`` only mark the old one dead).
    """

    def __init__(self, box: Sandbox, variable: str):
        self.box = box
        self.variable = variable
        self.current: _Channel | None = None

    def __call__(self, workflow_id: str, order) -> RemoteSession:
        return RemoteSession(self, next(self.box._sids), workflow_id, order)

    @property
    def broken(self) -> str | None:
        """Why the sandbox can no longer answer, or None."""
        return self.box.broken

    def crash(self) -> None:
        """A simulated worker crash: the next session starts in a fresh incarnation.

        Only marks; the old incarnation is killed when the next one starts, so calling
        this from anywhere (a finalizer too) never touches the socket.
        """
        if self.current is not None:
            self.current.dead = True

    def new_incarnation(self) -> None:
        """A new worker incarnation for the sessions made from now on (the campaign's contract).

        Every session start already forks a fresh incarnation from the notebook's state after
        its cells, so this only marks the current one dead: nothing is sent, nothing can raise.
        """
        self.crash()

    def channel(self, fresh: bool) -> _Channel:
        if fresh or self.current is None or self.current.dead:
            self.current = self.box.new_incarnation()
        return self.current


class RemoteSession:
    """The grader's handle on one invocation of the learner's workflow in a worker incarnation."""

    def __init__(self, factory: RemoteFactory, sid: int, workflow_id: str, order):
        self.factory = factory
        self.box = factory.box
        self.sid = sid
        self.workflow_id = workflow_id
        self.order = order
        self.chan: _Channel | None = None

    def _call(self, msg: dict) -> dict:
        msg["sid"] = self.sid
        try:
            if self.chan is None or self.chan.dead:
                raise SandboxError("this workflow invocation's worker is gone")
            reply = self.chan.request(msg, timeout=self.box.limits.step_s + 3.0)
        except SandboxError as e:
            return {"op": "raise", "type": "SandboxError", "error": f"SandboxError: {e}"}
        if reply.get("type") == "StepTimeout":
            # An endless loop would cost step_s in every remaining run: stop the campaign here.
            self.box._fail(f"the workflow ran for more than {self.box.limits.step_s:g} s between two steps "
                           f"(an endless loop?)")
        reply.pop("rid", None)
        return reply

    def start(self, now: float, journal_len: int) -> dict:
        """Start the invocation in a fresh worker incarnation (see `RemoteFactory`)."""
        try:
            self.chan = self.factory.channel(fresh=True)
        except SandboxError as e:
            return {"op": "raise", "type": "SandboxError", "error": f"SandboxError: {e}"}
        return self._call({"op": "wf.start", "name": self.factory.variable, "wid": self.workflow_id,
                           "order": self.order, "now": now, "jl": journal_len})

    def send(self, value, now: float, journal_len: int) -> dict:
        return self._call({"op": "wf.send", "value": value, "now": now, "jl": journal_len})

    def throw(self, step_name: str, message: str, now: float, journal_len: int) -> dict:
        return self._call({"op": "wf.throw", "step": step_name, "message": message, "now": now,
                           "jl": journal_len})

    def abandon(self) -> None:
        """The worker running this invocation died: its incarnation ends (no message is sent)."""
        if self.chan is not None:
            self.chan.dead = True
