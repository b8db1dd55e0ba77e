"""Timelines: one lane per worker process, several models on one shared time axis.

Each run gets a group of lanes under a one-line summary, and all groups share
one time axis, so a learner sees at a glance which engine finished first and
where each one lost time. On a lane:

* bars are step executions (hatched vermillion when a step ran again after a
  crash, hatched orange for a retry after a transient failure);
* a black X is a crash (one per crash record, with its step and crash point);
* a grey hatched stretch is downtime until another worker resumed the work;
* a green hatched sliver is replay: results read back from durable state;
* a yellow hatched stretch is a stall while the state store was unreachable;
* diamonds are side effects, a big vermillion star a duplicated one.

Every drawn element has a ``gid`` of the form ``"<kind>:<model>:..."`` so tests
can count them (see `count_gids`).

Example:
    >>> import simlib
    >>> from simlib.viz import timeline
    >>> runs = {m: simlib.simulate("q1", m, seed=1) for m in ("none", "temporal")}
    >>> fig = timeline(runs)          # a matplotlib Figure; display it or fig.savefig("q1.png")
    >>> count_gids(fig, "crash")
    2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..core.errors import ConfigError
from .lanes import LaneData, lane_data
from .palette import CATEGORIES, MARKS, OKABE_ITO, time_unit

__all__ = ["timeline", "normalize_results", "count_gids", "draw_lanes", "fit_figure", "plain"]

_BAR_H = 0.62
# Marks drawn with a text label beside them (the others are explained by the legend).
_LABELLED = ("crash", "duplicate-effect", "stopped")


def plain(text: str) -> str:
    """Escape ``$`` so that dollar amounts are never read as mathtext."""
    return text.replace("$", r"\$")


def normalize_results(results) -> dict:
    """Accept one `RunResult`, a list of them, or a dict label -> RunResult; return the dict."""
    if isinstance(results, Mapping):
        out = dict(results)
    elif hasattr(results, "history") and hasattr(results, "token"):
        out = {results.token.model: results}
    elif isinstance(results, Sequence) and not isinstance(results, str):
        out = {}
        for r in results:
            if not hasattr(r, "token"):
                raise ConfigError(f"expected RunResult objects, got {type(r).__name__}")
            label = r.token.model
            n = 2
            while label in out:  # the same model twice (e.g. two seeds): keep both
                label = f"{r.token.model} ({n})"
                n += 1
            out[label] = r
    else:
        raise ConfigError(f"expected a RunResult, a list of them or a dict name -> RunResult, "
                          f"got {type(results).__name__}")
    if not out:
        raise ConfigError("nothing to draw: give at least one RunResult")
    return out


def count_gids(fig_or_ax, kind: str) -> int:
    """Count drawn elements whose gid starts with ``kind + ":"`` in a figure or axes.

    A span collection counts once per span in it (timelines draw all spans of a
    category as one collection); every other artist counts once.
    """
    axes = fig_or_ax.axes if isinstance(fig_or_ax, Figure) else [fig_or_ax]
    prefix = kind + ":"
    n = 0
    for ax in axes:
        for a in (*ax.patches, *ax.lines, *ax.texts, *ax.collections):
            gid = a.get_gid()
            if gid and gid.startswith(prefix):
                n += len(a.get_paths()) if isinstance(a, PolyCollection) else 1
    return n


def _summary_line(label: str, result, compact: bool = False) -> str:
    s = result.summary
    if s.completed:
        unit, scale = time_unit(s.duration_s)
        state = f"done at {s.duration_s / scale:.3g} {unit}"
    elif s.error:
        state = "FAILED"
    else:
        state = "did NOT finish"
    if compact:
        return f"{label}: {state}"
    bits = [f"{label}: {state}", f"{s.crashes} crash{'es' if s.crashes != 1 else ''}",
            f"${s.llm_cost_reexecuted_usd:.3f} re-spent", f"{s.steps_reexecuted} re-run",
            f"{s.duplicate_effects} duplicate{'s' if s.duplicate_effects != 1 else ''}"]
    if s.time_stalled_s:
        bits.append(f"{s.time_stalled_s:.3g} s stalled")
    return " | ".join(bits)


def draw_lanes(ax, data: LaneData, scale: float, label: str, y0: float = 0.0, xspan: float | None = None) -> set:
    """Draw one model's lanes on ``ax`` from row ``y0`` down (x in units of ``scale`` seconds).

    ``xspan`` (axis units) spaces the text labels: a label closer than 12% of it
    to the previous one on the same lane is left out (its marker stays).

    Returns:
        The span categories and mark kinds that were drawn (for the legend).
    """
    ypos = {ln: y0 + i for i, ln in enumerate(data.lanes)}
    drawn: set = set()
    by_cat: dict = {}
    for s in data.spans:
        by_cat.setdefault(s.category, []).append(s)
    for cat in CATEGORIES:
        spans = by_cat.get(cat)
        if not spans:
            continue
        st = CATEGORIES[cat]
        # Stalls and downtime sit behind the step bars and span the full lane height.
        # Downtime starts at a crash, whose label sits in the lane's upper half: it keeps to the lower half.
        back = cat in ("recovering", "stalled")
        h = 0.9 if back else _BAR_H
        top = -0.02 if cat == "recovering" else -h / 2
        bottom = 0.45 if cat == "recovering" else h / 2
        verts = []
        for s in spans:
            x0, x1, y = s.start / scale, s.end / scale, ypos[s.lane]
            verts.append(((x0, y + top), (x0, y + bottom), (x1, y + bottom), (x1, y + top)))
        # One collection per category: one artist however many spans, which keeps redraws fast.
        coll = PolyCollection(verts, facecolors=st.color, edgecolors="black", linewidths=0.4,
                              hatch=st.hatch or None, alpha=0.55 if back else 1.0,
                              zorder=1 if back else (3 if cat == "replayed" else 2))
        coll.set_gid(f"{cat}:{label}")
        ax.add_collection(coll, autolim=False)
        drawn.add(cat)
    gap = 0.12 * (xspan if xspan else max(data.end_s / scale, 1e-9))
    last_label: dict = {}
    for i, m in enumerate(data.marks):
        st = MARKS[m.kind]
        y = ypos[m.lane]
        big = m.kind in ("crash", "duplicate-effect")
        (line,) = ax.plot([m.time / scale], [y], linestyle="", marker=st.marker, markersize=13 if big else 7,
                          color=st.color, markeredgecolor="black", markeredgewidth=0.8 if big else 0.5, zorder=5)
        line.set_gid(f"{m.kind}:{label}:{m.lane}:{i}")
        drawn.add(m.kind)
        slot = (m.lane, m.kind == "crash")
        if m.kind in _LABELLED and m.time / scale - last_label.get(slot, -1e18) >= gap:
            last_label[slot] = m.time / scale
            # Crash labels sit in the upper half of the lane, the others in the lower half,
            # so a crash and the failure it causes later on the same lane do not collide.
            upper = m.kind == "crash"
            # Near the right edge the label goes to the left of its marker so it stays inside.
            right = xspan is not None and m.time / scale > 0.72 * xspan
            t = ax.annotate(plain(m.label), (m.time / scale, y + (-0.06 if upper else 0.06)),
                        xytext=(-7 if right else 7, 0), textcoords="offset points", fontsize=7,
                        ha="right" if right else "left",
                        fontweight="bold", va="bottom" if upper else "top",
                        color="black" if upper else st.color, zorder=6,
                        bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7})
            t.set_gid(f"label-{m.kind}:{label}:{i}")
    return drawn


def _legend_handles(drawn: set) -> list:
    handles = [Patch(facecolor=CATEGORIES[c].color, hatch=CATEGORIES[c].hatch, edgecolor="black",
                     label=CATEGORIES[c].label) for c in CATEGORIES if c in drawn]
    handles += [Line2D([], [], linestyle="", marker=MARKS[k].marker, color=MARKS[k].color, markeredgecolor="black",
                       markersize=7, label=MARKS[k].label) for k in MARKS if k in drawn]
    return handles


def timeline(results, *, ax=None, title: str | None = None, unit: str | None = None, max_workflows: int = 6,
             width: float = 10.5, compact: bool = False) -> Figure:
    """Draw per-worker timelines of one or more runs on one shared time axis.

    Each run gets a group of lanes headed by a one-line summary (model, when it
    finished, crashes, dollars re-spent, duplicate effects, stall time).

    Args:
        results: a `RunResult`, a list of them, or a dict label -> RunResult.
        ax: draw into this (empty) axes; a new figure sized to the lanes is made when None.
        title: the title (default: scenario, seed and faults).
        unit: ``"s"``, ``"min"`` or ``"h"``; chosen from the longest run when None.
        max_workflows: lanes are drawn for at most this many workflow instances per run.
        width: figure width in inches when a new figure is made.
        compact: headers give only the model and its outcome (for when a table of the
            numbers sits next to the picture); it also draws faster, as text dominates drawing time.

    Returns:
        The figure (a plain `matplotlib.figure.Figure`, not registered with pyplot,
        so nothing needs closing).
    """
    runs = normalize_results(results)
    datas = {label: lane_data(r, max_workflows) for label, r in runs.items()}
    span = max(d.end_s for d in datas.values()) or 1.0
    units = {"s": 1.0, "min": 60.0, "h": 3600.0}
    if unit is None:
        unit, scale = time_unit(span)
    elif unit in units:
        scale = units[unit]
    else:
        raise ConfigError(f"unknown time unit {unit!r}; allowed: {', '.join(units)}")
    rows = sum(len(d.lanes) + 1 for d in datas.values())
    if ax is None:
        fig = Figure(figsize=(width, 1.0))
        ax = fig.add_subplot()
        kinds = {s.category for d in datas.values() for s in d.spans}
        kinds |= {m.kind for d in datas.values() for m in d.marks}
        fit_figure(fig, rows, legend_entries=len(kinds),
                   wide_labels=any(d.total_workflows > 1 for d in datas.values()))
    fig = ax.figure
    drawn: set = set()
    ticks, names = [], []
    y = 0.0
    for g, (label, data) in enumerate(datas.items()):
        # Row y is the group's header; its lanes follow.
        if g:
            ax.axhline(y - 0.5, color=OKABE_ITO["grey"], linewidth=0.8)
        more = f" (first {len(data.workflows)} of {data.total_workflows} workflows)" \
            if data.total_workflows > len(data.workflows) else ""
        head = ax.text(0.003, y + 0.1, plain(_summary_line(label, runs[label], compact) + more),
                       transform=ax.get_yaxis_transform(), fontsize=8, va="center", ha="left", fontweight="bold")
        head.set_gid(f"header:{label}")
        drawn |= draw_lanes(ax, data, scale, label, y0=y + 1, xspan=span * 1.03 / scale)
        ticks += [y + 1 + i for i in range(len(data.lanes))]
        names += data.lanes
        y += len(data.lanes) + 1
    # Lane names as plain text beside the axis: a tick object per lane costs more
    # to build than the whole lane's drawing, and widgets redraw on every change.
    ax.set_yticks([])
    ytrans = ax.get_yaxis_transform()
    for yv, name in zip(ticks, names):
        t = ax.text(-0.006, yv, name, transform=ytrans, fontsize=8, ha="right", va="center")
        t.set_gid(f"lane:{name}")
    ax.set_ylim(y - 0.4, -0.6)
    ax.set_xlim(0, span * 1.03 / scale)
    ax.grid(axis="x", color=OKABE_ITO["grey"], alpha=0.3, linewidth=0.5)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"simulated time ({unit})")
    ax.set_ylabel("worker process", fontsize=8)
    # With no ticks the label would sit on the lane names: put it at the figure's left edge.
    pos, fig_w = ax.get_position(), fig.get_figwidth()
    ax.yaxis.set_label_coords(-(pos.x0 * fig_w - 0.12) / (pos.width * fig_w), 0.5)
    if title is None:
        tok = next(iter(runs.values())).token
        what = "no faults" if tok.faults.empty else _faults_text(tok.faults)
        title = f"Worker timelines: {tok.scenario}, seed {tok.seed}, {what}"
    ax.set_title(plain(title), fontsize=10, loc="left")
    handles = _legend_handles(drawn)
    if handles:
        ax.legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                  frameon=False, handlelength=1.8)
    return fig


def fit_figure(fig: Figure, rows: int, legend_entries: int = 0, wide_labels: bool = False) -> None:
    """Size a one-axes timeline figure for ``rows`` lane rows, with fixed margins in inches.

    Fixed margins replace constrained layout: its layout pass costs more than
    the drawing itself, and widgets redraw on every change. The axes is made
    at least as tall as the legend beside it.
    """
    top, bottom, per_row = 0.45, 0.55, 0.3
    height = top + bottom + max(per_row * max(rows, 3), 0.35 + 0.19 * legend_entries)
    w = fig.get_figwidth()
    fig.set_size_inches(w, height)
    left = 0.8 + (0.45 if wide_labels else 0.0)
    fig.subplots_adjust(left=left / w, right=1 - 2.75 / w, top=1 - top / height, bottom=bottom / height)


def _faults_text(f) -> str:
    parts = [f"crash {c.step}:{c.point}" for c in f.crashes]
    parts += [f"crash at {c.time_s:g} s" for c in f.timed]
    if f.random:
        parts.append(f"random crashes (MTBF {f.random.mtbf_s:.0f} s)")
    parts += [f"{o.component} down {o.start_s:g}-{o.end_s:g} s" for o in f.outages]
    if f.code_change:
        parts.append(f"code change to {f.code_change.variant}")
    return ", ".join(parts)
