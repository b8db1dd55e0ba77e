"""The program that runs one submitted notebook inside the grading sandbox.

``python -m simlib.grading.sandbox [JOB]`` is started by `simlib.grading.runner`
inside bubblewrap (see `simlib.grading.isolate`). Before any learner code runs
it sets its resource limits, drops to the non-root uid the grader chose, and
imports what grading needs. It then runs the notebook's code cells in order
with IPython's own `InteractiveShell`, as JupyterLab's kernel does (magics,
``!`` lines, the display hook), each under a time limit; a cell's error is
recorded and the next cell runs.

It then answers the grader over the control socket, one JSON line per request,
each reply carrying the request's id, and never speaking unasked:

* ``answers``: the plain value of each answer variable;
* ``fork``: start a fresh *worker incarnation*, a forked copy of this process
  as it stood after the cells ran, serving Part B's workflow steps on the
  socket that came with the request. A simulated crash ends an incarnation, so
  whatever the learner's code kept in memory since the cells ran is lost, as it
  is when a real worker process dies.

The answer key and the campaign's seed never come in: the grader scores the
raw answers and workflow steps outside.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

from .normalize import AnswerError, to_plain
from .workflow_api import Session, StepTimeout, one_line

__all__ = ["CappedWriter", "apply_limits", "drop_privileges", "main", "run_cells"]

MAX_LINE = 1 << 20
DEFAULT_JOB = "/grader/job.json"


def apply_limits(memory_mb: int, output_bytes: int, cpu_s: float = 0, nproc: int = 0) -> None:
    """Cap address space, written file size, CPU time and process count (soft = hard: no way back up)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if cpu_s:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s), int(cpu_s)))
    if memory_mb:
        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if output_bytes:
        # Past the cap a write fails with EFBIG instead of killing the process (SIGXFSZ ignored).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(output_bytes), int(output_bytes)))
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(nproc), int(nproc)))


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (group too, no supplementary groups) for good; refuse to go on as root."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if 0 in os.getresuid() or 0 in os.getresgid():
        raise SystemExit("the sandbox could not leave root")


class CappedWriter:
    """A text stream that passes on the first ``cap`` characters and silently drops the rest.

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

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return "utf-8"


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


def make_shell():
    """An IPython `InteractiveShell` like a kernel's: no history database, no colours."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class KernelLikeShell(InteractiveShell):
        """No GUI event loop to hook, as in a kernel: ``%matplotlib inline`` just picks the backend."""

        def enable_gui(self, gui=None):
            return None

    cfg = Config()
    cfg.HistoryManager.enabled = False
    cfg.InteractiveShell.colors = "NoColor"
    cfg.InteractiveShell.xmode = "Plain"
    shell = KernelLikeShell.instance(config=cfg)
    shell.user_ns["__name__"] = "__main__"
    return shell


def _cell_error(result) -> str | None:
    err = result.error_before_exec or result.error_in_exec
    if err is None:
        return None
    if isinstance(err, SystemExit):
        return "the cell called sys.exit()"
    return one_line(err)


def run_cells(shell, cells: list[dict], cell_s: float) -> list[dict]:
    """Run the cells in order in the shell's namespace; one record per failing cell."""
    errors = []
    me = os.getpid()
    for cell in cells:
        try:
            with _CellTimer(cell_s):
                result = shell.run_cell(cell.get("source", ""), store_history=True, silent=False)
            why = _cell_error(result)
        except BaseException as e:  # noqa: BLE001 - a timer firing outside the cell's own code
            why = one_line(e)
        if os.getpid() != me:
            # A process the cell forked came back out of it: only the notebook's own process
            # may go on (two would both answer the grader).
            os._exit(0)
        if why:
            errors.append({"index": cell.get("index"), "id": cell.get("id"), "error": why})
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
    return errors


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


class _Line:
    """JSON lines over one socket, with file descriptors passed alongside (SCM_RIGHTS)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""
        self.fds: list[int] = []

    def read(self) -> dict | None:
        while b"\n" not in self.buf:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 4)
            self.fds.extend(fds)
            if not data:
                return None
            self.buf += data
            if len(self.buf) > MAX_LINE:
                return None
        line, _, self.buf = self.buf.partition(b"\n")
        msg = json.loads(line)
        return msg if isinstance(msg, dict) else None

    def send(self, msg: dict) -> None:
        try:
            data = json.dumps(msg, allow_nan=False)
        except ValueError:           # a value JSON cannot carry (NaN): say so instead
            data = json.dumps({"rid": msg.get("rid"), "op": "raise", "type": "ValueError",
                               "error": "ValueError: a value could not be sent"})
        self.sock.sendall(data.encode() + b"\n")


def _serve_incarnation(chan: _Line, ns: dict, step_s: float) -> None:
    """One worker incarnation: run workflow sessions until the grader hangs up."""
    sessions: dict[int, Session] = {}
    while True:
        req = chan.read()
        if req is None or req.get("op") == "bye":
            return
        op, rid, sid = req.get("op"), req.get("rid"), req.get("sid")
        session = sessions.get(sid) if isinstance(sid, int) else None
        if op == "wf.start" and isinstance(sid, int):
            session = Session(ns.get(str(req.get("name"))), str(req.get("wid")), req.get("order"), step_s)
            sessions[sid] = session
            reply = session.start(req.get("now", 0.0), req.get("jl", 0))
        elif session is None:
            reply = {"op": "raise", "type": "RuntimeError", "error": "RuntimeError: unknown session"}
        elif op == "wf.send":
            reply = session.send(req.get("value"), req.get("now", 0.0), req.get("jl", 0))
        elif op == "wf.throw":
            reply = session.throw(str(req.get("step")), str(req.get("message")), req.get("now", 0.0),
                                  req.get("jl", 0))
        else:
            reply = {"op": "error", "error": f"unknown request {op!r}"}
        chan.send({**reply, "rid": rid})


def _fork_incarnation(fd: int, ns: dict, step_s: float, control: socket.socket) -> int:
    pid = os.fork()
    if pid:
        os.close(fd)
        return pid
    # The child: a fresh worker with the notebook's state as it was after the cells.
    code = 0
    try:
        control.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _serve_incarnation(_Line(socket.socket(fileno=fd)), ns, step_s)
    except BaseException:  # noqa: BLE001 - the grader sees the closed socket
        code = 1
    finally:
        os._exit(code)


def _reap() -> None:
    """Collect children that ended while the cells ran (zombies still count against the process cap)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _fork_retrying(fd: int, ns: dict, step_s: float, control: socket.socket, patience_s: float = 5.0) -> int:
    """Fork an incarnation; while the process cap is full (threads the cells left running), wait a little."""
    import time

    give_up = time.monotonic() + patience_s
    while True:
        _reap()
        try:
            return _fork_incarnation(fd, ns, step_s, control)
        except BlockingIOError:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.05)


def serve(control: socket.socket, ns: dict, step_s: float) -> None:
    """Answer the grader's requests on the control socket until it says bye or hangs up."""
    chan = _Line(control)
    # Incarnations are reaped by the kernel; the grader kills them from outside.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        req = chan.read()
        if req is None or req.get("op") == "bye":
            return
        op, rid = req.get("op"), req.get("rid")
        if op == "answers":
            names = req.get("names")
            names = names if isinstance(names, list) else []
            chan.send({"rid": rid, "op": "answers", "values": {n: _answer(ns, n) for n in names if isinstance(n, str)}})
        elif op == "fork" and chan.fds:
            fd = chan.fds.pop(0)
            for extra in chan.fds:
                os.close(extra)
            chan.fds.clear()
            try:
                pid = _fork_retrying(fd, ns, step_s, control)
            except OSError as e:
                os.close(fd)
                chan.send({"rid": rid, "op": "error", "error": f"cannot start a worker: {one_line(e)}"})
                continue
            chan.send({"rid": rid, "op": "forked", "pid": pid})
        else:
            chan.send({"rid": rid, "op": "error", "error": f"unknown request {op!r}"})


def _defer_notebook_checks() -> None:
    """``check`` and ``check_all`` in the notebook say that the grader scores the answers.

    The answer key is not mounted in the sandbox, so grading inside could only fail.
    """
    from simlib import grading
    from simlib.grading import api
    from simlib.grading.feedback import Report

    def check(question_id, answer=None, **other_answers):
        return Report(f"{question_id}: graded by the batch grader", ())

    def check_all(assignment_id, namespace=None, only=""):
        return Report(f"{assignment_id}: graded by the batch grader", ())

    for mod in (grading, api):
        vars(mod).update(check=check, check_all=check_all)


def main(argv: list[str] | None = None) -> int:
    """Run the job the grader mounted (never called by learners)."""
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0] if argv else DEFAULT_JOB, encoding="utf-8") as fh:
        job = json.load(fh)
    control = socket.socket(fileno=int(job["control_fd"]))
    cap = int(job.get("output_bytes", 0))
    # The file-size limit is a backstop for writes that bypass sys.stdout (os.write on fd 1).
    apply_limits(job.get("memory_mb", 0), 2 * cap + 65536 if cap else 0, job.get("cpu_s", 0), job.get("nproc", 0))
    if job.get("uid") is not None:
        drop_privileges(int(job["uid"]))
    os.chdir(os.environ.get("HOME", "/tmp"))
    # Import what grading and a typical notebook need before any learner code runs.
    import simlib.grading  # noqa: F401
    _defer_notebook_checks()
    shell = make_shell()
    if cap:
        sys.stdout = CappedWriter(sys.stdout, cap)
        sys.stderr = sys.stdout
    errors = run_cells(shell, job.get("cells", []), job.get("cell_s", 30.0))
    _Line(control).send({"rid": 0, "op": "ready", "pid": os.getpid(), "errors": errors})
    serve(control, shell.user_ns, job.get("step_s", 5.0))
    # Skip the learner's atexit handlers and buffered writers: the grader has what it needs.
    os._exit(0)


if __name__ == "__main__":
    main()
