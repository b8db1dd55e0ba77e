"""Checkers: pure functions over a history that say valid, invalid or unknown, and why.

They look only at the records (never at objects a workflow built), so the
course, the tests and the grader can all trust them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .history import History, Record

__all__ = [
    "Check", "VALID", "INVALID", "UNKNOWN",
    "effects_exactly_once", "no_recorded_result_lost", "completed_within", "saga_compensated",
    "replay_deterministic", "same_history", "check_all",
]

VALID, INVALID, UNKNOWN = "valid", "invalid", "unknown"


@dataclass(frozen=True)
class Check:
    """A checker's verdict."""

    name: str
    status: str
    reason: str

    @property
    def valid(self) -> bool:
        return self.status == VALID

    def __str__(self) -> str:
        return f"{self.name}: {self.status} ({self.reason})"


def _effects(history: Iterable[Record]) -> list[Record]:
    return [r for r in history if r.event == "effect"]


def effects_exactly_once(history: Iterable[Record], only_keyed: bool = False) -> Check:
    """Every logical side effect happened exactly once in the outside world.

    A logical effect is its idempotency key, or (workflow, step, name) without one.
    With ``only_keyed`` the unkeyed effects are not judged.
    """
    name = "effects_exactly_once"
    counts: dict[Any, Any] = {}
    for r in _effects(history):
        d = r.detail
        if d.get("deduplicated"):
            continue
        if d.get("key") is None and only_keyed:
            continue
        ident = d["key"] if d.get("key") is not None else f"{r.workflow}/{r.step}/{d['name']}"
        counts[ident] = counts.get(ident, 0) + 1
    if not counts:
        return Check(name, UNKNOWN, "the history holds no side effects to judge")
    dup = {k: n for k, n in counts.items() if n > 1}
    if dup:
        k, n = sorted(dup.items())[0]
        return Check(name, INVALID, f"{len(dup)} effect(s) happened more than once, e.g. {k} x{n}")
    return Check(name, VALID, f"{len(counts)} effect(s), each exactly once")


def no_recorded_result_lost(history: Iterable[Record]) -> Check:
    """Once a step's result was recorded (``ok``), the step never executes again."""
    name = "no_recorded_result_lost"
    recorded: set[Any] = set()
    saw_ok = False
    for r in history:
        key = (r.workflow, r.step)
        if r.kind == "ok" and r.step is not None:
            recorded.add(key)
            saw_ok = True
        elif r.kind == "invoke" and key in recorded:
            return Check(name, INVALID, f"step {r.step} of {r.workflow} ran again at t={r.time:.1f}s "
                                        f"after its result had been recorded")
    if not saw_ok:
        return Check(name, UNKNOWN, "no step result was ever recorded")
    return Check(name, VALID, f"{len(recorded)} recorded result(s), none re-executed")


def completed_within(history: Iterable[Record], bound_s: float) -> Check:
    """Every workflow that started completed within ``bound_s`` simulated seconds of its start."""
    name = "completed_within"
    starts: dict[Any, Any] = {}
    ends: dict[Any, Any] = {}
    for r in history:
        if r.event == "start":
            starts.setdefault(r.workflow, r.time)
        elif r.event == "complete":
            ends[r.workflow] = r.time
    if not starts:
        return Check(name, UNKNOWN, "no workflow started")
    for wid, t0 in sorted(starts.items()):
        if wid not in ends:
            return Check(name, INVALID, f"{wid} never completed")
        if ends[wid] - t0 > bound_s:
            return Check(name, INVALID, f"{wid} took {ends[wid] - t0:.1f}s, over the bound of {bound_s:.1f}s")
    return Check(name, VALID, f"{len(starts)} workflow(s) completed within {bound_s:.1f}s")


def saga_compensated(history: Iterable[Record], compensations: dict[Any, Any] | None = None) -> Check:
    """When a saga aborts, every committed step was compensated, in reverse order.

    Args:
        compensations: effect kind -> the effect that undoes it (default
            `simlib.core.world.COMPENSATIONS`).
    """
    from .world import COMPENSATIONS

    comp = compensations or COMPENSATIONS
    undo_of = {v: k for k, v in comp.items()}
    name = "saga_compensated"
    recs = list(history)
    aborted = {r.workflow for r in recs if r.event in ("saga-abort", "workflow-failed")}
    if not aborted:
        return Check(name, UNKNOWN, "no saga aborted, so there was nothing to compensate")
    for wid in sorted(aborted):
        done: list[str] = []
        undone: list[str] = []
        for r in recs:
            if r.workflow != wid or r.event != "effect" or r.detail.get("deduplicated"):
                continue
            kind = r.detail["effect"]
            if kind in comp:
                done.append(kind)
            elif kind in undo_of:
                undone.append(undo_of[kind])
        missing = [k for k in done if k not in undone]
        if missing:
            return Check(name, INVALID, f"{wid}: {missing[0]} was committed but never compensated")
        if undone != list(reversed(done)):
            return Check(name, INVALID, f"{wid}: compensations ran in the order {undone}, expected "
                                        f"{list(reversed(done))}")
    return Check(name, VALID, f"{len(aborted)} aborted saga(s) fully compensated in reverse order")


def replay_deterministic(history: Iterable[Record]) -> Check:
    """Replays found the same commands the history holds (no nondeterminism error)."""
    name = "replay_deterministic"
    recs = list(history)
    bad = [r for r in recs if r.event == "nondeterminism"]
    if bad:
        return Check(name, INVALID, bad[0].detail.get("error", "nondeterminism"))
    if not any(r.event == "replay" for r in recs):
        return Check(name, UNKNOWN, "nothing was replayed")
    return Check(name, VALID, "every replayed step matched its recorded command")


def same_history(a: History, b: History) -> Check:
    """Two runs of the same replay token produced byte-identical histories."""
    name = "same_history"
    ha, hb = History(a).sha256(), History(b).sha256()
    if ha == hb:
        return Check(name, VALID, f"identical ({ha[:12]})")
    for i, (x, y) in enumerate(zip(a, b)):
        if tuple(x) != tuple(y):
            return Check(name, INVALID, f"first difference at record {i}: {tuple(x)} vs {tuple(y)}")
    return Check(name, INVALID, f"lengths differ: {len(a)} vs {len(b)}")


def check_all(history: Iterable[Record], bound_s: float | None = None) -> list[Check]:
    """The standard checkers in one list."""
    recs = list(history)
    out = [effects_exactly_once(recs), no_recorded_result_lost(recs), saga_compensated(recs),
           replay_deterministic(recs)]
    if bound_s is not None:
        out.append(completed_within(recs, bound_s))
    return out
