"""Turn a run's history into timeline data: lanes, spans and point marks.

This is the part of the timeline that involves no drawing, so tests and
learners can check what a picture is going to show. A lane is one worker
process (``worker-1`` is the first invocation of a workflow, ``worker-2`` the
process that took over after the first crash, and so on). Spans have a
category from `simlib.viz.palette.CATEGORIES`; marks have a kind from
`simlib.viz.palette.MARKS`.

Example:
    >>> import simlib
    >>> from simlib.viz.lanes import lane_data
    >>> data = lane_data(simlib.simulate("q1", "temporal", seed=1))
    >>> data.lanes
    ['worker-1', 'worker-2']
    >>> [m.kind for m in data.marks if m.kind == "crash"]
    ['crash']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..core.errors import ConfigError

__all__ = ["Span", "Mark", "LaneData", "lane_data", "STEP_KINDS"]

STEP_KINDS = ("llm", "tool", "timer", "wait")
_WAITS = ("timer", "wait")


class Span(NamedTuple):
    """A stretch of time on one lane (seconds)."""

    lane: str
    start: float
    end: float
    category: str
    step: int | None
    attempt: int
    label: str


class Mark(NamedTuple):
    """Something that happened at one instant on one lane."""

    lane: str
    time: float
    kind: str
    step: int | None
    label: str


@dataclass
class LaneData:
    """Everything a timeline shows for one run.

    Attributes:
        model: the model's name.
        lanes: lane names, top to bottom.
        spans: timed stretches (steps, replays, stalls, downtime).
        marks: instants (crashes, side effects, completion).
        end_s: the last moment anything happened.
        workflows: workflow ids shown; ``total_workflows`` counts all of them.
    """

    model: str
    lanes: list = field(default_factory=list)
    spans: list = field(default_factory=list)
    marks: list = field(default_factory=list)
    end_s: float = 0.0
    workflows: list = field(default_factory=list)
    total_workflows: int = 0

    def count(self, kind: str) -> int:
        """How many spans of category ``kind`` or marks of kind ``kind`` there are."""
        return sum(1 for s in self.spans if s.category == kind) + sum(1 for m in self.marks if m.kind == kind)


def _history(result):
    hist = getattr(result, "history", None)
    if hist is None:
        raise ConfigError("this run kept no history (record=False); run it again with record=True to draw it")
    return hist


def lane_data(result, max_workflows: int = 6) -> LaneData:
    """Read a `RunResult`'s history into lanes, spans and marks.

    Args:
        result: a `simlib.RunResult` made with ``record=True``.
        max_workflows: show at most this many workflow instances (the first to start).
    """
    if isinstance(max_workflows, bool) or not isinstance(max_workflows, int) or max_workflows < 1:
        raise ConfigError(f"max_workflows must be a whole number >= 1, got {max_workflows!r}")
    hist = _history(result)
    order: list[str] = []
    for r in hist:
        if r.workflow not in order:
            order.append(r.workflow)
    shown = set(order[:max_workflows])
    many = len(shown) > 1
    data = LaneData(result.token.model, workflows=order[:max_workflows], total_workflows=len(order))

    rank: dict = {}                  # lane -> (workflow's position, lane's position within it)

    def lane(wf: str, worker: str) -> str:
        name = f"{wf} {worker}" if many else worker
        if name not in rank:
            rank[name] = (order.index(wf), sum(1 for k in rank.values() if k[0] == order.index(wf)))
            data.lanes.append(name)
        return name

    current: dict[str, str] = {}     # workflow -> lane of the process running it now
    open_: dict = {}                 # (wf, step, attempt) -> (start, lane, category, step name)
    last: dict = {}                  # (wf, step) -> "ok" | "fail" | "crash"
    crashed: dict = {}               # wf -> (time, lane) of a crash not yet followed by a resume
    replays: dict = {}               # (wf, lane, time) -> number of steps replayed
    stopped: list = []               # (wf, time, why) of instances that never resume by themselves
    seen_effects: set = set()
    end = 0.0
    for r in hist:
        wf = r.workflow
        if wf not in shown:
            continue
        t = r.time
        end = max(end, t)
        ev = r.event
        if ev in ("start", "resume"):
            current[wf] = lane(wf, r.worker)
            if wf in crashed:
                ct, cl = crashed.pop(wf)
                data.spans.append(Span(cl, ct, t, "recovering", None, 0, "down until a worker resumes it"))
        elif r.kind == "invoke":
            key = (wf, r.step)
            if r.event in _WAITS:
                # Waiting again after a crash costs time, not money: the span's length shows it.
                cat = "waiting"
            elif key not in last:
                cat = "executed"
            else:
                cat = "retried" if last[key] == "fail" else "re-executed"
            open_[(wf, r.step, r.attempt)] = (t, lane(wf, r.worker), cat, r.detail.get("name", ""))
        elif r.kind in ("ok", "fail") and ev in STEP_KINDS:
            got = open_.pop((wf, r.step, r.attempt), None)
            last[(wf, r.step)] = r.kind
            if got is not None:
                start, ln, cat, name = got
                data.spans.append(Span(ln, start, t, cat, r.step, r.attempt, f"step {r.step} {name}"))
                if r.kind == "fail":
                    data.marks.append(Mark(ln, t, "failed", r.step, f"step {r.step} failed"))
        elif ev == "crash":
            ln = lane(wf, r.worker)
            for k in [k for k in open_ if k[0] == wf]:
                start, sl, cat, name = open_.pop(k)
                last[(wf, k[1])] = "crash"
                data.spans.append(Span(sl, start, t, cat, k[1], k[2], f"step {k[1]} {name} (cut short)"))
            point = r.detail.get("point", "")
            where = f"{r.step}:{point}" if r.step else point
            data.marks.append(Mark(ln, t, "crash", r.step, f"crash {where}"))
            crashed[wf] = (t, ln)
        elif ev == "replay":
            k = (wf, current.get(wf) or lane(wf, r.worker), t)
            replays[k] = replays.get(k, 0) + 1
        elif ev == "stall":
            until = float(r.detail.get("until", t))
            end = max(end, until)
            ln = current.get(wf) or lane(wf, r.worker)
            why = r.detail.get("while", "")
            data.spans.append(Span(ln, t, until, "stalled", r.step, r.attempt,
                                   f"{r.worker} unreachable ({why})" if why else f"{r.worker} unreachable"))
        elif ev == "effect":
            ln = current.get(wf) or lane(wf, r.worker)
            d = r.detail
            ident = d.get("key") or (wf, r.step, d.get("name"))
            effect = d.get("effect", "effect")
            if d.get("deduplicated"):
                data.marks.append(Mark(ln, t, "deduplicated-effect", r.step, f"{effect} repeat absorbed by key"))
            elif ident in seen_effects:
                data.marks.append(Mark(ln, t, "duplicate-effect", r.step, f"DUPLICATE {effect}"))
            else:
                seen_effects.add(ident)
                data.marks.append(Mark(ln, t, "effect", r.step, effect))
        elif ev == "complete":
            data.marks.append(Mark(current.get(wf) or lane(wf, r.worker), t, "complete", None, "done"))
        elif ev == "stopped":
            stopped.append((wf, t, "never resumes by itself"))
        elif ev in ("workflow-failed", "nondeterminism"):
            why = "NondeterminismError" if ev == "nondeterminism" else "workflow failed"
            data.marks.append(Mark(current.get(wf) or lane(wf, r.worker), t, "stopped", r.step, why))
    # Whatever is still open ran until the clock stopped.
    pad = max(end * 0.06, 1.0)
    for wf, t, why in stopped:
        if wf in crashed:
            # The crash that stopped it already has a mark: say it on that label.
            ct, cl = crashed.pop(wf)
            i = max(i for i, m in enumerate(data.marks) if m.kind == "crash" and m.lane == cl)
            data.marks[i] = data.marks[i]._replace(label=f"{data.marks[i].label}; {why}")
        else:
            ct, cl = t, current.get(wf) or lane(wf, "worker-1")
            data.marks.append(Mark(cl, t, "stopped", None, why))
        data.spans.append(Span(cl, ct, end + pad, "recovering", None, 0, why))
    for wf, (ct, cl) in crashed.items():
        data.spans.append(Span(cl, ct, end + pad, "recovering", None, 0, "not resumed when the run ended"))
    for (wf, step, attempt), (start, ln, cat, name) in open_.items():
        data.spans.append(Span(ln, start, max(end, start), cat, step, attempt, f"step {step} {name} (unfinished)"))
    # A replay takes no simulated time; give it a visible width of 1% of the run.
    width = max(end * 0.01, 0.5)
    for (wf, ln, t), n in replays.items():
        data.spans.append(Span(ln, t, t + width, "replayed", None, 0, f"replayed {n} step{'s' if n != 1 else ''}"))
    # Group the lanes by workflow, each workflow's processes in the order they ran.
    data.lanes.sort(key=rank.__getitem__)
    data.end_s = max([end, *(s.end for s in data.spans)])
    return data
