"""The clock adapter: every use of SimPy's private state outside the step runner's hot path lives here.

SimPy is pinned to the minor release range tested (``simpy>=4.1,<4.2``). The step runner
(`simlib.core.context`) and the run loop (`simlib.core.engine`) also read ``env._now``,
``env._queue`` and ``env._active_proc`` on the hot path, where a method call per step would cost
about as much as the check itself; nothing else in simlib touches SimPy's internals.
"""

from __future__ import annotations

from heapq import heappush
from itertools import count
from typing import Any, Callable

import simpy
from simpy.core import NORMAL
from simpy.events import Event, Interruption, Process

__all__ = ["Clock", "StepEvent", "Done", "done_event", "interrupt"]


class Clock(simpy.Environment):
    """SimPy's environment, unchanged but for how it is made: one per run, so making it must be cheap.

    ``Environment.__init__`` sets four fields and then binds ``timeout``, ``process`` and the other
    event factories to the instance by looping over its class's attributes. For this subclass that
    loop finds nothing to bind (the factories are bound on each use instead; a run uses them a few
    times, as steps mostly finish inline), so `__init__` sets the four fields itself: 0.25-0.35 us
    against 0.8-1.2 us, a tenth of building a `Run`.
    """

    def __init__(self) -> None:
        self._now = 0   # an int, as SimPy's default initial time is: the first records say 0, not 0.0
        self._queue = []
        self._eid = count()
        self._active_proc = None


class StepEvent(Event):
    """A SimPy event that fires at simulated time ``at`` (not before now) with a precomputed outcome.

    ``done`` (if given) runs when it fires: the step's effect and record happen then. The time is
    absolute so the clock lands exactly where the step was planned to end (``now + (t - now)`` can
    miss ``t`` by a rounding step, and then inline and queued runs would disagree).
    """

    __slots__ = ()

    def __init__(self, env: simpy.Environment, at: float, ok: bool, value: Any, done: Callable[..., Any] | None):
        self.env = env
        self.callbacks = [done] if done is not None else []
        self._ok = ok
        self._value = value
        # What env.schedule(self, NORMAL, at - now) does, without the extra call and the rounding.
        heappush(env._queue, (at, NORMAL, next(env._eid), self))


class Done(Event):
    """An event that has already been processed: a process that yields it continues at once.

    Made without an ``__init__`` call (this is on the hot path); ``callbacks`` is None
    and ``_ok`` True for every instance.
    """

    callbacks = None  # type: ignore[assignment]  # SimPy's mark of a processed event
    _ok = True
    _value = None


def done_event(env: simpy.Environment, value: Any = None) -> Done:
    """A processed, successful event with ``value``: the process yielding it resumes at once."""
    ev = _new(Done)
    ev.env = env
    ev._value = value
    return ev


_new = object.__new__


def interrupt(proc: Process, error: BaseException) -> None:
    """Abort the call ``proc`` waits on and throw ``error`` into it now.

    The awaited event keeps only the process's own resume callback and is defused, so its
    outcome never arrives; an `Interruption` carries ``error`` (a subclass of SimPy's
    `Interrupt`) instead of a plain interrupt.
    """
    target = proc.target
    if target is not None and target.callbacks is not None:
        target.callbacks[:] = [cb for cb in target.callbacks if cb == proc._resume]
        target.defused = True
    ev = Interruption(proc, error)
    ev._value = error
