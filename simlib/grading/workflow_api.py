"""The context a graded workflow receives, and the session that drives it.

A learner's workflow is graded without ever touching the simulator: its
``ctx`` is a `WorkflowAPI` whose methods (``ctx.tool``, ``ctx.llm`` ...) return
plain `Command` descriptions instead of SimPy events. A `Session` steps the
learner's generator, hands each command to the grader as plain data, and sends
back plain results. The grader (in `simlib.grading.returns`) issues the real
steps on the real context and reads every verdict from the simulator's own
ledger and history.

So the learner's code cannot reach the ledger, the history or the fault plan,
and the same session can run in the notebook's process or, for the batch
grader, in a sandboxed child process at the other end of a pipe.
"""

from __future__ import annotations

import _signal
import inspect
import sys
import threading
import time

from typing import Any

from ..core.errors import ActivityError
from .normalize import AnswerError, to_plain

__all__ = ["WorkflowAPI", "Command", "Session", "StepTimeout", "one_line"]


class StepTimeout(BaseException):
    """The learner's code ran too long between two steps.

    Catching it does not help: once the limit is reached, the invocation is over. The
    alarm keeps firing and every later line of the learner's code and every ``ctx`` call
    raises it again until control is back with the grader, whatever the code returns or
    yields then is ignored, and the invocation is reported as timed out.
    """


class Command:
    """One step the workflow asks for: ``op`` is llm, tool, sleep or wait_event."""

    __slots__ = ("op", "name", "args", "owner")

    def __init__(self, op: str, name, args: dict, owner):
        self.op = op
        self.name = name
        self.args = args
        self.owner = owner

    def __repr__(self) -> str:
        return f"<Command {self.op} {self.name!r}>"


class _Immediate:
    """The value of ``ctx.compute``: pure code, handled without a step."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _NoRun:
    """Stands in for ``ctx.run`` so helpers that log to the history skip logging."""

    history = None


def _plain_arg(value, what: str):
    try:
        return to_plain(value)
    except AnswerError as e:
        raise TypeError(f"{what}: {e}") from None


class WorkflowAPI:
    """What a graded workflow calls, with the same names and arguments as `simlib.core.context.Context`.

    Attributes:
        workflow_id: this workflow instance's id (``"wf-1"``).
    """

    __slots__ = ("workflow_id", "_now", "_journal_len", "_issued", "_dead")

    # Words learners try for ``idempotency_key`` (all refused with a hint naming the right one).
    _KEY_GUESSES = ("key", "idem_key", "idempotency", "idempotencykey", "idempotencyKey", "dedup_key",
                    "dedupe_key", "deduplication_key", "request_id", "idempotent_key", "ikey")

    run = _NoRun()
    replaying = False
    worker = "worker"

    def __init__(self, workflow_id: str):
        self.workflow_id = workflow_id
        self._now = 0.0
        self._journal_len = 0
        self._issued = 0
        self._dead: str | None = None

    def _check_alive(self) -> None:
        if self._dead == "timeout":
            raise StepTimeout("this invocation ran past its time limit; it is over")
        if self._dead:
            raise RuntimeError(f"this workflow invocation is over ({self._dead}); ctx can no longer be used")

    def now(self) -> float:
        """Simulated seconds since the run started."""
        self._check_alive()
        return self._now

    def key(self, name: str) -> str:
        """An idempotency key for operation ``name`` of this workflow (stable across retries)."""
        self._check_alive()
        return f"{self.workflow_id}:{name}"

    def patched(self, patch_id: str) -> bool:
        """False while replaying steps recorded before a code change."""
        return not (self._issued < self._journal_len)

    def _cmd(self, op: str, name, **args) -> Command:
        self._check_alive()
        return Command(op, _plain_arg(name, "step name"),
                       {k: _plain_arg(v, k) for k, v in args.items()}, self)

    def llm(self, name, prompt="", choices=None, mean_latency_s=None, **unknown) -> Command:
        """Call the fake LLM; yields its answer."""
        if unknown:
            raise TypeError(_unknown_argument("ctx.llm", unknown, (), ("name", "prompt", "choices",
                                                                     "mean_latency_s")))
        return self._cmd("llm", name, prompt=prompt, choices=choices, mean_latency_s=mean_latency_s)

    def tool(self, name, effect=None, payload=None, idempotency_key=None, latency_s=1.0, fail_p=0.0,
             declines=False, **unknown) -> Command:
        """Call a tool; ``effect`` names its side effect (see `simlib.core.world.EFFECT_KINDS`).

        Example::

            yield ctx.tool("send_receipt", effect="send_email", payload={"to": "a@b.c"},
                           idempotency_key=ctx.key("receipt"))
        """
        if unknown:
            raise TypeError(_unknown_argument("ctx.tool", unknown, self._KEY_GUESSES,
                                              ("name", "effect", "payload", "idempotency_key", "latency_s",
                                               "fail_p", "declines")))
        return self._cmd("tool", name, effect=effect, payload=payload, idempotency_key=idempotency_key,
                         latency_s=latency_s, fail_p=fail_p, declines=declines)

    def compute(self, name, fn, *args):
        """Pure computation inside the workflow: no step, runs again on every replay."""
        return _Immediate(fn(*args))

    def sleep(self, name, seconds=None, **unknown) -> Command:
        """A durable timer."""
        if unknown:
            raise TypeError(_unknown_argument("ctx.sleep", unknown, (), ("name", "seconds")))
        if seconds is None:
            raise TypeError('ctx.sleep() needs seconds=, e.g. ctx.sleep("wait_for_pickup", 3600)')
        return self._cmd("sleep", name, seconds=seconds)

    def wait_event(self, name, timeout_s=None, **unknown) -> Command:
        """Wait for an external event; None on timeout."""
        if unknown:
            raise TypeError(_unknown_argument("ctx.wait_event", unknown, (), ("name", "timeout_s")))
        if timeout_s is None:
            raise TypeError('ctx.wait_event() needs timeout_s=, e.g. ctx.wait_event("approval", 86400)')
        return self._cmd("wait_event", name, timeout_s=timeout_s)


def _unknown_argument(fn: str, unknown: dict, key_guesses: tuple, allowed: tuple) -> str:
    """A TypeError message for a wrong keyword argument that names the right one."""
    import difflib

    bad = sorted(unknown)[0]
    msg = f"{fn}() got an unexpected keyword argument {bad!r}."
    norm = bad.replace("-", "_").lower()
    keyed = "idempotency_key" in allowed
    if keyed and (norm in {g.lower() for g in key_guesses} or "key" in norm or "idem" in norm):
        return msg + " The idempotency key is passed as idempotency_key=, e.g. idempotency_key=ctx.key(\"refund\")."
    close = difflib.get_close_matches(bad, allowed, n=1)
    if close:
        return msg + f" Did you mean {close[0]}=?"
    return msg + f" {fn}() takes: {', '.join(allowed)}."


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line, shortened.

    The message comes from the exception's own ``__str__``, which may be the learner's code:
    it runs under a one-second limit, and whatever it does wrong gives a fixed text instead.
    """
    name = type.__dict__["__name__"].__get__(type(exc))
    guard = _Limit(1.0, WorkflowAPI("one_line"))
    try:
        with guard:
            message = str(exc)
        if type(message) is not str:
            raise TypeError("not a string")
    except BaseException:  # noqa: BLE001 - a broken __str__ costs its message, nothing more
        if guard.interrupted:
            raise
        message = "<the message could not be shown>"
    text = f"{name}: {message}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Limit:
    """Run learner code for at most ``seconds`` (main thread only; elsewhere, no limit).

    When the time is up, `StepTimeout` is raised, and raised again every 50 ms and at every
    line of learner code and every ``ctx`` call until control is back here, so that a
    ``try/except BaseException`` loop cannot keep the invocation alive. (Code that nests
    catch-alls two deep inside an endless loop can still outlast it in-process; the batch
    grader then kills the sandbox after ``step_s + 3`` s, which costs Part B only.) A real
    Ctrl-C during the learner's code is told apart from a ``KeyboardInterrupt`` the code raises.
    """

    REFIRE_S = 0.05

    def __init__(self, seconds: float | None, api: WorkflowAPI):
        self.seconds = float(seconds or 0.0)
        self.api = api
        self.fired = False
        self.interrupted = False
        self.active = False

    def _tracer(self, frame, event, arg):
        if not self.active or frame.f_code.co_filename == __file__:
            return None
        if event in ("line", "call"):
            raise StepTimeout(f"ran for more than {self.seconds:g} s without reaching the next step")
        return self._tracer

    def _alarm(self, signum, frame):
        if not self.active:
            return
        if not self.fired:
            self.fired = True
            self.api._dead = "timeout"
            _signal.setitimer(_signal.ITIMER_REAL, self.REFIRE_S, self.REFIRE_S)
        # From now on every line of learner code raises again (see the class docstring). Python
        # drops a tracer that raised, so every alarm installs it afresh.
        f = frame
        while f is not None and f.f_code.co_filename != __file__:
            f.f_trace = self._tracer
            f = f.f_back
        sys.settrace(self._tracer)
        raise StepTimeout(f"ran for more than {self.seconds:g} s without reaching the next step")

    def _sigint(self, signum, frame):
        self.interrupted = True
        raise KeyboardInterrupt

    def __enter__(self) -> "_Limit":
        # The raw `_signal` functions: `signal.signal` wraps every call in enum conversions,
        # which costs more than a whole simulated step.
        self._on = bool(self.seconds) and threading.current_thread() is threading.main_thread() \
            and hasattr(_signal, "setitimer")
        self._outer = 0.0
        if self._on:
            self._old_int = _signal.signal(_signal.SIGINT, self._sigint)
            # An outer limit (the sandbox's per-cell alarm) may be running: keep it, and let it
            # win when it is due first.
            self._outer, _ = _signal.getitimer(_signal.ITIMER_REAL)
            self._use_alarm = not (self._outer and self._outer <= self.seconds)
            if self._use_alarm:
                self._start = time.monotonic()
                self._old_alarm = _signal.signal(_signal.SIGALRM, self._alarm)
                self._old_trace = sys.gettrace()
                _signal.setitimer(_signal.ITIMER_REAL, self.seconds)
        self.active = True
        return self

    def __exit__(self, *exc) -> None:
        self.active = False
        if self._on:
            if self._use_alarm:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
                if self.fired:
                    sys.settrace(self._old_trace)
                _signal.signal(_signal.SIGALRM, self._old_alarm)
                if self._outer:
                    _signal.setitimer(_signal.ITIMER_REAL,
                                      max(1e-3, self._outer - (time.monotonic() - self._start)))
            _signal.signal(_signal.SIGINT, self._old_int)


class Session:
    """One invocation of a learner's workflow, stepped command by command.

    Every method returns a reply (plain data): ``{"op": "command", "kind", "name",
    "args"}``, ``{"op": "return", "value"}`` or ``{"op": "raise", "type", "error"}``.
    Whatever the learner's code raises (``KeyboardInterrupt``, ``SystemExit``, any
    ``BaseException``) becomes a ``raise`` reply, exactly like a ``RuntimeError``.

    Args:
        fn: the learner's generator function ``fn(ctx, order)``.
        workflow_id: the instance's id.
        order: the workflow's input (plain data).
        step_limit_s: longest run of learner code between two steps.
    """

    def __init__(self, fn, workflow_id: str, order, step_limit_s: float | None = 5.0):
        self.fn = fn
        self.api = WorkflowAPI(workflow_id)
        self.order = order
        self.step_limit_s = step_limit_s
        self.gen: Any = None
        self.over = False

    def _sync(self, now: float, journal_len: int) -> None:
        self.api._now = float(now)
        self.api._journal_len = int(journal_len)

    def start(self, now: float = 0.0, journal_len: int = 0) -> dict:
        if self.over:
            return _not_running()
        self._sync(now, journal_len)
        limit = _Limit(self.step_limit_s, self.api)
        try:
            with limit:
                made = self.fn(self.api, self.order)
        except BaseException as e:  # noqa: BLE001 - any exception of the learner's costs the same
            if limit.interrupted:
                raise
            return self._end(_raised(e), limit)
        if limit.fired:
            return self._end(None, limit)
        if not inspect.isgenerator(made):
            # A plain function did all its work (none, since it issued no step) and returned.
            return self._end(_returned(made), limit)
        self.gen = made
        return self._advance(None, None)

    def send(self, value, now: float = 0.0, journal_len: int = 0) -> dict:
        self._sync(now, journal_len)
        return self._advance(value, None)

    def throw(self, step_name: str, message: str, now: float = 0.0, journal_len: int = 0) -> dict:
        self._sync(now, journal_len)
        return self._advance(None, ActivityError(step_name, message))

    def abandon(self) -> None:
        """The worker died: drop the generator without running any more of its code."""
        if not self.api._dead:
            self.api._dead = "its worker is gone"
        self.over = True
        gen, self.gen = self.gen, None
        if gen is not None:
            bury(gen)

    def _end(self, reply: dict | None, limit: _Limit) -> dict:
        if limit.fired or reply is None:
            reply = {"op": "raise", "type": "StepTimeout",
                     "error": f"StepTimeout: ran for more than {self.step_limit_s:g} s without reaching the "
                              f"next step"}
            self.abandon()
        else:
            if reply.get("type") == "StepTimeout":
                reply["type"] = "StepTimeout raised by the workflow"   # not the grader's limit
            self.over = True
            self.gen = None
            if not self.api._dead:
                self.api._dead = "it has ended"
        return reply

    def _advance(self, value, exc) -> dict:
        gen = self.gen
        if gen is None or self.over:
            return _not_running()
        while True:
            limit = _Limit(self.step_limit_s, self.api)
            try:
                with limit:
                    out = gen.throw(exc) if exc is not None else gen.send(value)
            except StopIteration as stop:
                return self._end(_returned(stop.value), limit)
            except BaseException as e:  # noqa: BLE001 - any exception of the learner's costs the same
                if limit.interrupted:
                    raise
                return self._end(_raised(e), limit)
            if limit.fired:
                return self._end(None, limit)
            exc = None
            if type(out) is _Immediate:
                value = out.value
                continue
            if type(out) is Command and out.owner is self.api:
                self.api._issued += 1
                return {"op": "command", "kind": out.op, "name": out.name, "args": out.args}
            self.abandon()
            return {"op": "raise", "type": "TypeError",
                    "error": f"TypeError: the workflow yielded a {type(out).__name__}; yield only what "
                             f"ctx.tool, ctx.llm, ctx.sleep or ctx.wait_event return"}


_GRAVEYARD: list = []


def bury(gen) -> None:
    """Keep a dead invocation's suspended generator alive for good, so it is never closed.

    Closing it would run the learner's ``except`` and ``finally`` blocks, which a killed
    process never runs, and at a moment chosen by the garbage collector; a handler that
    swallows ``GeneratorExit`` in a loop would then never return (in a notebook kernel, at
    shutdown). The generator's reference count is raised once more than anything will ever
    lower it, so neither the collector nor the interpreter's shutdown finalizes it; its
    ``ctx`` is dead, so nothing can resume it usefully either. Where ``ctypes`` is missing,
    a module-level list keeps it instead.
    """
    try:
        import ctypes

        ctypes.pythonapi.Py_IncRef(ctypes.py_object(gen))
    except Exception:  # noqa: BLE001 - no ctypes: keep it in a list (finalized only at shutdown)
        _GRAVEYARD.append(gen)


def _not_running() -> dict:
    return {"op": "raise", "type": "RuntimeError", "error": "RuntimeError: the workflow is not running"}


def _returned(value) -> dict:
    try:
        plain = to_plain(value)
    except AnswerError:
        plain = f"<{type(value).__name__}>"
    return {"op": "return", "value": plain}


def _raised(e: BaseException) -> dict:
    if isinstance(e, SystemExit):
        return {"op": "raise", "type": "SystemExit", "error": "SystemExit: the workflow called sys.exit()"}
    if isinstance(e, StepTimeout):
        return {"op": "raise", "type": "StepTimeout", "error": one_line(e)}
    return {"op": "raise", "type": type.__dict__["__name__"].__get__(type(e)), "error": one_line(e)}
