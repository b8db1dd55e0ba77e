"""Sagas: undo the committed steps of a workflow, newest first, when a later step fails.

Garcia-Molina and Salem (1987) split a long transaction into steps T1..Tn, each
paired with a compensating step C1..Cn. If T(k) fails, the saga runs C(k-1) ..
C1 and the world ends up as if nothing had been booked. Temporal's saga samples
use the same shape inside a workflow, with two details this helper copies:

* a compensation is registered only *after* its step succeeded (a booking that
  never happened must not be cancelled);
* compensations are ordinary steps (activities), so they are journaled like any
  other step: when the worker dies half-way through compensating, the replay
  skips the compensations already recorded and carries on with the next one.

Workflows are generators, so the helper is used with ``yield from``::

    saga = Saga(ctx, "booking")
    try:
        flight = yield from saga.tool("book-flight", "book_flight")
        hotel = yield from saga.step(ctx.tool("book-hotel", effect="book_hotel"),
                                     compensate=saga.undo("cancel-hotel", "cancel_hotel"))
    except ActivityError as err:
        yield from saga.compensate(err)

Compensations carry an idempotency key (``ctx.key(name)``) unless the saga is
built with ``keyed=False``: a compensation that runs again after a crash in its
effect-to-record window must not refund twice.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ..core.errors import ActivityError
from ..core.history import Record
from ..core.world import COMPENSATIONS

__all__ = ["Saga"]

_DEFAULT = object()


class Saga:
    """The compensations of one saga, kept in the order their steps committed.

    Args:
        ctx: the workflow's context.
        name: the saga's name (shown in its history records).
        keyed: give every step and compensation the helper issues an idempotency key.

    Attributes:
        failed: labels of compensations that themselves failed for good.
    """

    __slots__ = ("ctx", "name", "keyed", "_comps", "failed")

    def __init__(self, ctx, name: str = "saga", keyed: bool = True):
        self.ctx = ctx
        self.name = name
        self.keyed = keyed
        self._comps: list[tuple[Callable, str, Any]] = []
        self.failed: list[str] = []

    # ------------------------------------------------------------------ registering
    @property
    def pending(self) -> list[str]:
        """Labels of the registered compensations, in the order they would run."""
        return [label for _, label, _ in reversed(self._comps)]

    def add_compensation(self, compensate: Callable, label: str | None = None, result: Any = None) -> None:
        """Register ``compensate`` (a callable returning a step's event) to run if the saga aborts.

        Args:
            compensate: called as ``compensate(result)`` when it takes an argument, else
                ``compensate()``; it must return the event of a step (``ctx.tool(...)``).
            label: a name for listings (defaults to the callable's ``__name__``).
            result: the committed step's result, handed to ``compensate``.
        """
        if not callable(compensate):
            raise TypeError(f"a compensation must be callable, got {compensate!r}")
        self._comps.append((compensate, label or str(getattr(compensate, "__name__", "compensation")), result))

    def step(self, event, compensate: Callable | None = None, label: str | None = None):
        """Wait for one step; when it succeeds, register its compensation. Use with ``yield from``.

        A step that fails raises (`ActivityError`) before anything is registered, so a
        booking that never happened is never cancelled.
        """
        result = yield event
        if compensate is not None:
            self.add_compensation(compensate, label, result)
        return result

    def undo(self, name: str, effect: str | None, payload: dict | None = None, **tool_kw) -> Callable:
        """A ready-made compensation: the tool call ``name`` with an idempotency key by default.

        The committed step's result is sent along in the payload (``"undoes"``), as a
        cancellation names the booking it cancels.
        """
        ctx = self.ctx
        keyed = self.keyed

        def compensation(result=None):
            body = dict(payload or {})
            if result is not None:
                body["undoes"] = result if isinstance(result, (str, int, float, bool)) else str(result)
            return ctx.tool(name, effect=effect, payload=body,
                            idempotency_key=ctx.key(name) if keyed else None, **tool_kw)

        compensation.__name__ = name
        return compensation

    def tool(self, name: str, effect: str | None, payload: dict | None = None, undo: Any = _DEFAULT,
             undo_name: str | None = None, **tool_kw):
        """Call a tool as a saga step and register the effect that undoes it. Use with ``yield from``.

        Args:
            name: the step's name.
            effect: its side effect (`simlib.core.world.EFFECT_KINDS`).
            payload: data sent with the effect.
            undo: the compensating effect; by default `simlib.core.world.COMPENSATIONS[effect]`
                (no compensation when the effect has none, like an email); None for none.
            undo_name: the compensation step's name (default ``"undo-" + name``).
            **tool_kw: passed to ``ctx.tool`` (``latency_s``, ``fail_p``, ``declines``).
        """
        ctx = self.ctx
        key = ctx.key(name) if self.keyed else None
        result = yield ctx.tool(name, effect=effect, payload=payload, idempotency_key=key, **tool_kw)
        undo_effect = (COMPENSATIONS.get(effect) if effect is not None else None) if undo is _DEFAULT else undo
        if undo_effect is not None:
            uname = undo_name or f"undo-{name}"
            self.add_compensation(self.undo(uname, undo_effect, payload), uname, result)
        return result

    # ------------------------------------------------------------------ aborting
    def compensate(self, error: BaseException | str | None = None):
        """Run every registered compensation, newest first, each as a durable step.

        Use with ``yield from``. A compensation that fails for good (retries exhausted or
        declined) is logged and skipped so that the others still run, as in Temporal's
        samples; its label lands in `failed` and the saga checker will call the run
        invalid. Worker crashes are never caught: the engine resumes the workflow and
        the replay continues the sequence.

        Returns:
            the results of the compensations that succeeded, in the order they ran.
        """
        todo = list(reversed(self._comps))
        self._comps = []
        self._log("saga-abort", {"saga": self.name, "error": None if error is None else str(error),
                                 "compensations": [label for _, label, _ in todo]})
        results = []
        for fn, label, result in todo:
            try:
                results.append((yield _call(fn, result)))
            except ActivityError as exc:
                self.failed.append(label)
                self._log("saga-compensation-failed", {"saga": self.name, "compensation": label,
                                                       "error": exc.message})
        self._log("saga-compensated", {"saga": self.name, "undone": len(results),
                                       "failed": list(self.failed)})
        return results

    def _log(self, event: str, detail: dict) -> None:
        """Append a workflow-level info record, once per real occurrence.

        Workflow code runs again on every replay; a record the previous invocation
        already wrote is not written twice (Temporal's logger is replay-aware the same
        way). A model without replay really runs the saga again, so it logs again.
        """
        ctx = self.ctx
        hist = ctx.run.history
        if hist is None:
            return
        wid = ctx.workflow_id
        if getattr(ctx, "replaying", False) and any(
                r.workflow == wid and r.event == event and r.detail == detail for r in hist):
            return
        hist.append(Record(ctx.now(), wid, None, ctx.inst.invocations, "info", ctx.worker, event, detail))


def _call(fn: Callable, result: Any):
    """Call a compensation with the committed step's result when it accepts one."""
    try:
        inspect.signature(fn).bind(result)
    except (TypeError, ValueError):
        return fn()
    return fn(result)
