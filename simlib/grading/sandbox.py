"""The child process that runs one submitted notebook for the batch grader.

``python -m simlib.grading.sandbox JOB.json`` runs the notebook's code cells
in their submitted order, each in the same namespace (as a kernel would) and
each under a time limit; an error, a ``sys.exit`` or a timeout in one cell is
recorded and the next cell runs. It then answers the grader's requests over a
pipe, in JSON lines: the plain value of each answer variable, and the steps of
Part B's workflow (see `simlib.grading.workflow_api.Session`).

Before any learner code runs, the process limits its own address space and the
size of the files it writes (its captured output is such a file), and makes
sockets and subprocesses raise ``PermissionError``. These guards stop
accidents and casual tampering; a determined attacker running arbitrary code
as the same user is not contained by them, so graders that fear that run the
whole batch in a container without network.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import signal
import sys

from .normalize import AnswerError, to_plain
from .workflow_api import Session, StepTimeout, one_line

__all__ = ["main", "block_network", "apply_limits", "strip_magics", "CappedWriter"]

MAX_LINE = 1 << 20


def apply_limits(memory_mb: int, output_bytes: int, cpu_s: float = 0) -> None:
    """Cap the address space, the size of any file this process writes, and its CPU time.

    The CPU cap also ends a child orphaned by a grader that was killed mid-run.
    """
    import resource

    if cpu_s:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s), int(cpu_s) + 5))
    if memory_mb:
        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if output_bytes:
        # Past the cap a write fails with EFBIG instead of killing the process (SIGXFSZ ignored).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(output_bytes), int(output_bytes)))


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise PermissionError(f"{what} is disabled while grading")
    return refuse


def block_network() -> None:
    """Make new sockets and new processes raise ``PermissionError``."""
    import _socket
    import socket
    import subprocess

    class BlockedSocket(socket.socket):
        """A socket class that refuses to be created (subclass, so isinstance checks still work)."""

        def __init__(self, *args, **kwargs):
            raise PermissionError("network access is disabled while grading")

    socket.socket = BlockedSocket
    socket.SocketType = BlockedSocket
    _socket.socket = BlockedSocket
    socket.create_connection = _refuse("network access")
    socket.socketpair = _refuse("network access")
    socket.getaddrinfo = _refuse("network access")
    subprocess.Popen = _refuse("starting processes")   # type: ignore[misc]
    for name in ("system", "popen", "fork", "forkpty", "execv", "execve", "execvp", "execvpe", "spawnv",
                 "spawnve", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            setattr(os, name, _refuse("starting processes"))


_MAGIC = re.compile(r"^\s*[%!]")


def strip_magics(source: str) -> str:
    """Drop IPython magics and shell escapes (a ``%%`` cell magic drops the whole cell)."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join("pass  # " + ln.strip() if _MAGIC.match(ln) else ln for ln in source.split("\n"))


class CappedWriter:
    """A text stream that passes on the first ``cap`` bytes and silently drops the rest.

    A cell that prints without end then costs only CPU (bounded by the cell's time
    limit), never disk, and later cells can still print.
    """

    def __init__(self, stream, cap: int):
        self.stream = stream
        self.cap = cap
        self.written = 0
        self.truncated = False

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - self.written
        if room > 0:
            part = text[:room]
            try:
                self.stream.write(part)
            except OSError:
                room = 0
            self.written += len(part)
        if len(text) > max(room, 0) and not self.truncated:
            self.truncated = True
            try:
                self.stream.write("\n[output truncated by the grader]\n")
            except OSError:
                pass
        return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError:
            pass

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return "utf-8"


def _display(*objs, **kwargs):
    for o in objs:
        print(repr(o))


class _CellTimer:
    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self):
        def _alarm(signum, frame):
            raise StepTimeout(f"the cell ran for more than {self.seconds:g} s")
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return False


def run_cells(cells: list[dict], cell_s: float) -> tuple[dict, list[dict]]:
    """Execute the cells in order in one namespace; return it and one record per failing cell."""
    ns = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
    errors = []
    for cell in cells:
        source = strip_magics(cell.get("source", ""))
        label = f"<cell {cell.get('index')}>"
        try:
            code = compile(source, label, "exec")
        except (SyntaxError, ValueError) as e:
            errors.append({"index": cell.get("index"), "id": cell.get("id"), "error": one_line(e)})
            continue
        try:
            with _CellTimer(cell_s):
                exec(code, ns)
        except SystemExit:
            errors.append({"index": cell.get("index"), "id": cell.get("id"), "error": "the cell called sys.exit()"})
        except BaseException as e:  # noqa: BLE001 - a learner's cell may raise anything; the rest still runs
            errors.append({"index": cell.get("index"), "id": cell.get("id"), "error": one_line(e)})
        finally:
            try:
                sys.stdout.flush()
            except (OSError, ValueError):
                pass
    return ns, errors


def _answer(ns: dict, name: str) -> dict:
    if name not in ns:
        return {"missing": True}
    value = ns[name]
    if callable(value) and not isinstance(value, type):
        return {"callable": True}
    try:
        return {"value": to_plain(value)}
    except AnswerError as e:
        return {"invalid": str(e)}
    except RecursionError:
        return {"invalid": "the answer could not be read"}


class _Server:
    """Answers the grader's requests, one JSON line each way."""

    def __init__(self, ns: dict, rfile, wfile, step_s: float):
        self.ns = ns
        self.rfile = rfile
        self.wfile = wfile
        self.step_s = step_s
        self.sessions: dict[int, Session] = {}

    def send(self, msg: dict) -> None:
        self.wfile.write(json.dumps(msg, allow_nan=False) + "\n")
        self.wfile.flush()

    def handle(self, req: dict) -> dict | None:
        op = req.get("op")
        if op == "answers":
            return {"op": "answers", "values": {n: _answer(self.ns, n) for n in req.get("names", [])}}
        if op == "wf.start":
            fn = self.ns.get(req["name"])
            session = Session(fn, req["wid"], req["order"], self.step_s)
            self.sessions[req["sid"]] = session
            return session.start(req["now"], req["jl"])
        session = self.sessions.get(req.get("sid"))
        if op == "wf.abandon":
            if session is not None:
                session.abandon()
                del self.sessions[req["sid"]]
            return {"op": "ok"}
        if session is None:
            return {"op": "raise", "type": "RuntimeError", "error": "RuntimeError: unknown session"}
        if op == "wf.send":
            return session.send(req.get("value"), req["now"], req["jl"])
        if op == "wf.throw":
            return session.throw(req["step"], req["message"], req["now"], req["jl"])
        return {"op": "error", "error": f"unknown request {op!r}"}

    def serve(self) -> None:
        for line in self.rfile:
            req = json.loads(line)
            if req.get("op") == "bye":
                return
            reply = self.handle(req)
            try:
                self.send(reply)
            except ValueError:           # a value JSON cannot carry (NaN): say so instead
                self.send({"op": "raise", "type": "ValueError", "error": "ValueError: a value could not be sent"})


def main(argv: list[str] | None = None) -> int:
    """Run a job file written by `simlib.grading.runner` (never called by learners)."""
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as fh:
        job = json.load(fh)
    rfd, wfd = job["fds"]
    rfile = os.fdopen(rfd, "r", encoding="utf-8")
    wfile = os.fdopen(wfd, "w", encoding="utf-8")
    os.environ["SIMLIB_GRADING_SANDBOX"] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    # Import what grading needs before the limits, so that they only constrain the learner.
    import simlib.grading  # noqa: F401

    cap = int(job.get("output_bytes", 0))
    # The file-size limit is a backstop for writes that bypass sys.stdout (os.write on fd 1).
    apply_limits(job.get("memory_mb", 0), 2 * cap + 65536 if cap else 0, job.get("cpu_s", 0))
    if cap:
        sys.stdout = CappedWriter(sys.stdout, cap)
        sys.stderr = sys.stdout
    block_network()
    ns, errors = run_cells(job["cells"], job.get("cell_s", 30.0))
    server = _Server(ns, rfile, wfile, job.get("step_s", 5.0))
    server.send({"op": "ready", "errors": errors})
    server.serve()
    # Skip the learner's atexit handlers and buffered writers: the grader has what it needs.
    os._exit(0)


if __name__ == "__main__":
    main()
