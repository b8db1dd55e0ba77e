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

import inspect
import signal
import threading
import time
from contextlib import contextmanager

from ..core.errors import ActivityError
from .normalize import AnswerError, to_plain

__all__ = ["WorkflowAPI", "Command", "Session", "StepTimeout", "one_line"]


class StepTimeout(BaseException):
    """The learner's code ran too long between two steps (BaseException: ``except Exception`` won't hide it)."""


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

    run = _NoRun()
    replaying = False
    worker = "worker"

    def __init__(self, workflow_id: str):
        self.workflow_id = workflow_id
        self._now = 0.0
        self._journal_len = 0
        self._issued = 0
        self._dead = False

    def now(self) -> float:
        """Simulated seconds since the run started."""
        return self._now

    def key(self, name: str) -> str:
        """An idempotency key for operation ``name`` of this workflow (stable across retries)."""
        return f"{self.workflow_id}:{name}"

    def patched(self, patch_id: str) -> bool:
        """False while replaying steps recorded before a code change."""
        return not (self._issued < self._journal_len)

    def _cmd(self, op: str, name, **args) -> Command:
        if self._dead:
            raise RuntimeError("this workflow invocation is over (its worker crashed)")
        return Command(op, _plain_arg(name, "step name"),
                       {k: _plain_arg(v, k) for k, v in args.items()}, self)

    def llm(self, name, prompt="", choices=None, mean_latency_s=None) -> Command:
        """Call the fake LLM; yields its answer."""
        return self._cmd("llm", name, prompt=prompt, choices=choices, mean_latency_s=mean_latency_s)

    def tool(self, name, effect=None, payload=None, idempotency_key=None, latency_s=1.0, fail_p=0.0,
             declines=False) -> Command:
        """Call a tool; ``effect`` names its side effect (see `simlib.core.world.EFFECT_KINDS`)."""
        return self._cmd("tool", name, effect=effect, payload=payload, idempotency_key=idempotency_key,
                         latency_s=latency_s, fail_p=fail_p, declines=declines)

    def compute(self, name, fn, *args):
        """Pure computation inside the workflow: no step, runs again on every replay."""
        return _Immediate(fn(*args))

    def sleep(self, name, seconds) -> Command:
        """A durable timer."""
        return self._cmd("sleep", name, seconds=seconds)

    def wait_event(self, name, timeout_s) -> Command:
        """Wait for an external event; None on timeout."""
        return self._cmd("wait_event", name, timeout_s=timeout_s)


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line, shortened."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _time_limit(seconds: float | None):
    """Raise `StepTimeout` in the main thread after ``seconds`` (no-op elsewhere)."""
    if not seconds or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum, frame):
        raise StepTimeout(f"ran for more than {seconds:g} s without reaching the next step")

    # An outer limit (the sandbox's per-cell alarm) may be running: keep it, and let it win
    # when it is due first.
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_left and outer_left <= seconds:
        yield
        return
    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, outer_left - (time.monotonic() - start)))


class Session:
    """One invocation of a learner's workflow, stepped command by command.

    Every method returns a reply (plain data): ``{"op": "command", "kind", "name",
    "args"}``, ``{"op": "return", "value"}`` or ``{"op": "raise", "type", "error"}``.

    Args:
        fn: the learner's generator function ``fn(ctx, order)``.
        workflow_id: the instance's id.
        order: the workflow's input (plain data).
        step_limit_s: longest run of learner code between two steps.
    """

    # Generators of crashed invocations are kept, never closed: closing one would run the
    # learner's ``finally`` blocks, which a real killed process never does.
    _graveyard: list = []

    def __init__(self, fn, workflow_id: str, order, step_limit_s: float | None = 5.0):
        self.fn = fn
        self.api = WorkflowAPI(workflow_id)
        self.order = order
        self.step_limit_s = step_limit_s
        self.gen = None

    def _sync(self, now: float, journal_len: int) -> None:
        self.api._now = float(now)
        self.api._journal_len = int(journal_len)

    def start(self, now: float = 0.0, journal_len: int = 0) -> dict:
        self._sync(now, journal_len)
        try:
            with _time_limit(self.step_limit_s):
                made = self.fn(self.api, self.order)
        except (Exception, SystemExit, StepTimeout) as e:
            return _raised(e)
        if not inspect.isgenerator(made):
            # A plain function did all its work (none, since it issued no step) and returned.
            return _returned(made)
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
        self.api._dead = True
        if self.gen is not None:
            Session._graveyard.append(self.gen)
            if len(Session._graveyard) > 10_000:
                del Session._graveyard[:5_000]
        self.gen = None

    def _advance(self, value, exc) -> dict:
        gen = self.gen
        if gen is None:
            return {"op": "raise", "type": "RuntimeError", "error": "RuntimeError: the workflow is not running"}
        while True:
            try:
                with _time_limit(self.step_limit_s):
                    out = gen.throw(exc) if exc is not None else gen.send(value)
            except StopIteration as stop:
                self.gen = None
                return _returned(stop.value)
            except (Exception, SystemExit, StepTimeout) as e:
                self.gen = None
                return _raised(e)
            exc = None
            if type(out) is _Immediate:
                value = out.value
                continue
            if type(out) is Command and out.owner is self.api:
                self.api._issued += 1
                return {"op": "command", "kind": out.op, "name": out.name, "args": out.args}
            self.gen = None
            return {"op": "raise", "type": "TypeError",
                    "error": f"TypeError: the workflow yielded a {type(out).__name__}; yield only what "
                             f"ctx.tool, ctx.llm, ctx.sleep or ctx.wait_event return"}


def _returned(value) -> dict:
    try:
        plain = to_plain(value)
    except AnswerError:
        plain = f"<{type(value).__name__}>"
    return {"op": "return", "value": plain}


def _raised(e: BaseException) -> dict:
    if isinstance(e, SystemExit):
        return {"op": "raise", "type": "SystemExit", "error": "SystemExit: the workflow called sys.exit()"}
    return {"op": "raise", "type": type(e).__name__, "error": one_line(e)}
