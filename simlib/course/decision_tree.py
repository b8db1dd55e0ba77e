"""Figure 64.4.1 as a graph you can walk and draw.

The figure's own cuts (who operates the engine, then language and appetite for
operations, with Inngest off to the side as the managed, event-driven choice)
only apply inside the workflow-as-code family. So the graph first asks the
questions the rest of Section 64.4 settles: does the agent already live in a
framework (64.4.1.8, 64.4.1.3), is the graph static and scheduled (64.4.1.7),
and does money move or is a failure critical (Exercise 64.4.1; 64.4.2.1).
Stakes come before any convenience test, so a batch queue or a platform team
with critical stakes never lands on an engine weaker than the stakes need.

Every edge carries the place in the section that decides it (``cite``) or says
it is the course's own addition. Nodes carry ``kind`` (``"question"`` or
``"engine"``) and ``label``; engine leaves are :mod:`simlib.course.matrix` keys.
Leaves may have several parents, so the structure is a DAG rather than a tree.

Example:
    >>> from simlib.course.decision_tree import walk
    >>> walk({"graph": "static", "trigger": "schedule"})
    ['q:stack', 'q:family', 'dag']
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import networkx as nx
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from simlib.course.profile import Profile

__all__ = ["ROOT", "build_tree", "draw_tree", "edge_cite", "inngest_web_app", "leaves", "platform_capable",
           "python_batch", "strict_stakes", "walk"]

ROOT = "q:stack"

_QUESTIONS = {
    "q:stack": "Does the agent already live in a framework?",
    "q:openai": "Does money move, or is a failure costly?",
    "q:langgraph": "What does a failure cost?",
    "q:family": "Is the graph fixed and fired by a schedule?",
    "q:stakes": "Does money move, or is a failure critical?",
    "q:strict": "Can the team run a cluster?",
    "q:shape": "What shape is the work?",
    "q:team": "Who will operate the engine?",
}

# (source, target, answer, cite) in drawing order; the order also fixes the layout.
_EDGES = (
    ("q:stack", "q:openai", "OpenAI Agents SDK", "64.4.1.8"),
    ("q:stack", "q:langgraph", "LangGraph", "64.4.1.3"),
    ("q:stack", "q:family", "neither", "64.4.1.7"),
    ("q:openai", "openai-agents", "no: low or medium stakes, all inside the SDK", "64.4.1.8"),
    ("q:openai", "openai-agents+temporal", "yes: tools become Temporal activities", "64.4.1.8"),
    ("q:langgraph", "langgraph", "low or medium: checkpoints suffice", "64.4.1.3; 64.4.2.1"),
    ("q:langgraph", "q:strict", "high, critical or money: wrap it", "64.4.2.1"),
    ("q:family", "dag", "yes, and no money or critical stakes", "64.4.1.7; Self-Check Q4"),
    ("q:family", "q:stakes", "no: built at run time or on demand", "64.4.1.7"),
    ("q:stakes", "q:strict", "yes: exactly-once recording needed", "Exercise 64.4.1; 64.4.2.1"),
    ("q:stakes", "q:shape", "no", "64.4.1 (match the engine to the cost of failure)"),
    ("q:strict", "temporal", "yes: platform team or appetite", "64.4.1.1; Exercise 64.4.1"),
    ("q:strict", "restate", "no: one binary or its cloud", "64.4.1.4; Exercise 64.4.1"),
    ("q:shape", "hatchet", "Python background jobs at volume, low or medium stakes", "64.4.1.5"),
    ("q:shape", "inngest", "no ops at all, or low stakes beyond a few steps",
     "64.4.1.2; Self-Check Q3; Figure 64.4.1"),
    ("q:shape", "app-checkpoint", "low stakes, a few steps, no waits", "Self-Check Q3"),
    ("q:shape", "q:team", "anything else", "Figure 64.4.1"),
    ("q:team", "inngest", "event-driven web app, medium stakes", "64.4.1.2; Figure 64.4.1"),
    ("q:team", "temporal", "platform team", "64.4.1.1; Figure 64.4.1"),
    ("q:team", "restate", "small team", "64.4.1.4; Figure 64.4.1"),
)

_WEB_LANGUAGES = ("typescript", "python", "go")


def strict_stakes(p: Profile) -> bool:
    """Money moves or a failure is critical: only exactly-once recording will do (Exercise 64.4.1)."""
    return p.moves_money or p.cost_of_failure == "critical"


def _costly(p: Profile) -> bool:
    return p.moves_money or p.cost_of_failure in ("high", "critical")


def platform_capable(p: Profile) -> bool:
    """Whether the team can run a stateful cluster (Figure 64.4.1's first cut, 64.4.1.1).

    A platform or medium team with at least a medium appetite for operations counts, and
    so does any team eager to run one (a high appetite stands in for headcount).
    """
    if p.ops_appetite == "high":
        return True
    return p.ops_appetite == "medium" and p.team_size in ("platform-team", "medium")


def _web_app(p: Profile) -> bool:
    return p.trigger == "event" and p.language in _WEB_LANGUAGES


def _stack(p: Profile) -> str:
    # The OpenAI question comes first: its scope limit is the sharper cut.
    if p.openai_stack:
        return "q:openai"
    return "q:langgraph" if p.uses_langgraph else "q:family"


def python_batch(p: Profile) -> bool:
    """Python background jobs at volume with a failure that is not costly (64.4.1.5)."""
    return (p.batch_shaped and p.language == "python" and p.ops_appetite != "none"
            and p.cost_of_failure in ("low", "medium"))


def _shape(p: Profile) -> str:
    if python_batch(p):
        return "hatchet"
    if p.ops_appetite == "none" and p.language in _WEB_LANGUAGES:
        return "inngest"
    if p.cost_of_failure == "low":
        if not (p.needs_hitl or _web_app(p) or p.batch_shaped):
            return "app-checkpoint"
        if p.language in _WEB_LANGUAGES and not platform_capable(p):
            return "inngest"
    return "q:team"


def inngest_web_app(p: Profile) -> bool:
    """An event-driven web app in an Inngest language whose failures are not costly (64.4.1.2)."""
    return _web_app(p) and p.cost_of_failure in ("low", "medium")


def _team(p: Profile) -> str:
    if inngest_web_app(p):
        return "inngest"
    return "temporal" if platform_capable(p) else "restate"


_CHOOSERS: Mapping[str, Callable[[Profile], str]] = {
    "q:stack": _stack,
    "q:openai": lambda p: "openai-agents+temporal" if _costly(p) else "openai-agents",
    "q:langgraph": lambda p: "q:strict" if _costly(p) else "langgraph",
    "q:family": lambda p: ("dag" if (p.graph, p.trigger) == ("static", "schedule") and not strict_stakes(p)
                           else "q:stakes"),
    "q:stakes": lambda p: "q:strict" if strict_stakes(p) else "q:shape",
    "q:strict": lambda p: "temporal" if platform_capable(p) else "restate",
    "q:shape": _shape,
    "q:team": _team,
}


@lru_cache(maxsize=1)
def _tree() -> nx.DiGraph:
    from simlib.course import matrix

    g = nx.DiGraph(name="Figure 64.4.1 selection graph", root=ROOT)
    for node, text in _QUESTIONS.items():
        g.add_node(node, kind="question", label=text)
    for src, dst, answer, cite in _EDGES:
        if dst not in g:
            g.add_node(dst, kind="engine", label=matrix.get(dst).display_name)
        g.add_edge(src, dst, answer=answer, cite=cite)
    return g


def edge_cite(src: str, dst: str) -> str:
    """Where the section decides the step ``src -> dst`` of a walk."""
    return _tree().edges[src, dst]["cite"]


def build_tree() -> nx.DiGraph:
    """Build the selection graph.

    Returns:
        A fresh ``DiGraph`` (callers may mutate it) rooted at :data:`ROOT`;
        edges carry ``answer`` and ``cite``.
    """
    return _tree().copy()


def leaves(graph: nx.DiGraph | None = None) -> list[str]:
    """Engine leaves of the graph, in first-seen order."""
    g = graph if graph is not None else build_tree()
    return [n for n, kind in g.nodes(data="kind") if kind == "engine"]


def walk(profile: Profile | Mapping[str, Any]) -> list[str]:
    """Follow the graph for one workload.

    Args:
        profile: A :class:`simlib.course.recommend.Profile`, or a plain mapping that
            :meth:`Profile.from_dict` accepts.

    Returns:
        Node names from :data:`ROOT` to an engine leaf.

    Raises:
        ValueError: If a mapping fails validation.
    """
    from simlib.course.profile import Profile

    p = profile if isinstance(profile, Profile) else Profile.from_dict(profile)
    g = _tree()
    path = [ROOT]
    while g.nodes[path[-1]]["kind"] == "question":
        nxt = _CHOOSERS[path[-1]](p)
        if not g.has_edge(path[-1], nxt):  # pragma: no cover - guards future edits
            raise RuntimeError(f"chooser of {path[-1]!r} returned {nxt!r}, which is not a child")
        path.append(nxt)
    return path


# Okabe-Ito colour-blind-safe palette.
_OI_BLUE, _OI_VERMILLION, _OI_YELLOW, _OI_SKY, _OI_GREY = (
    "#0072B2",
    "#D55E00",
    "#F0E442",
    "#56B4E9",
    "#999999",
)


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width, break_long_words=False)


def _layout(g: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Layered layout: a node's row is its longest path from the root.

    Row by row, each node wants to sit at the mean x of its parents; nodes are
    sorted by that wish (ties by insertion order), pushed apart to a minimum
    gap, and the row is re-centred on the wishes. x is finally scaled to [0, 1].
    No randomness and no graphviz, so the picture is the same on every machine.
    """
    depth = {ROOT: 0}
    for node in nx.topological_sort(g):
        for child in g.successors(node):
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
    bottom = max(depth.values())
    order = {n: i for i, n in enumerate(g.nodes)}
    x: dict[str, float] = {}
    for row in range(bottom + 1):
        wish = {}
        for n in (n for n in g.nodes if depth[n] == row):
            parents = [x[u] for u in g.predecessors(n)]
            wish[n] = sum(parents) / len(parents) if parents else 0.0
        members = sorted(wish, key=lambda n: (wish[n], order[n]))
        xs = [wish[n] for n in members]
        for i in range(1, len(xs)):
            xs[i] = max(xs[i], xs[i - 1] + 1.0)
        shift = (sum(wish.values()) - sum(xs)) / len(xs)
        x.update({n: xi + shift for n, xi in zip(members, xs)})
    lo, hi = min(x.values()), max(x.values())
    span = (hi - lo) or 1.0
    return {n: ((x[n] - lo) / span, float(bottom - depth[n])) for n in g.nodes}


# Where along its edge an answer's label may sit, most natural first.
_LABEL_SPOTS = (0.33, 0.5, 0.22, 0.62, 0.42, 0.72, 0.15, 0.8)


# (route, figure size, axes box) -> the spot chosen for each label: the tree never changes, so a
# route drawn once is placed without measuring text again (the recommender redraws on every answer).
_SPOT_CACHE: dict = {}


def _place_edge_labels(ax, labels: list, boxes: list, route: tuple = ()) -> None:
    """Put each edge's answer on its edge where it covers no node box and no other answer.

    Each label tries the spots of `_LABEL_SPOTS` in turn and takes the first free one (else the
    least covered), so a label is never printed over a question, an engine or another label.
    """
    fig = ax.figure
    key = (route, tuple(fig.get_size_inches()), tuple(ax.get_position().bounds))
    if key in _SPOT_CACHE:
        for (x0, y0, x1, y1, answer, hot), f in zip(labels, _SPOT_CACHE[key]):
            ax.text(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, _wrap(answer, 16), fontsize=7.5, ha="center",
                    va="center", fontweight="bold" if hot else "normal", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        return
    chosen = []
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    taken = [b.get_window_extent(renderer).expanded(1.0, 1.0).padded(5) for b in boxes]

    def overlap(a, b) -> float:
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        return w * h if w > 0 and h > 0 else 0.0

    for x0, y0, x1, y1, answer, hot in labels:
        t = ax.text(0, 0, _wrap(answer, 16), fontsize=7.5, ha="center", va="center",
                    fontweight="bold" if hot else "normal", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        tried: list[tuple[float, int, float, Any]] = []
        for f in _LABEL_SPOTS:
            t.set_position((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f))
            ext = t.get_window_extent(renderer).padded(2)
            tried.append((sum(overlap(ext, b) for b in taken), len(tried), f, ext))
            if tried[-1][0] == 0:
                break
        _, _, f, ext = min(tried)
        t.set_position((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f))
        taken.append(ext)
        chosen.append(f)
    _SPOT_CACHE[key] = chosen


def draw_tree(path: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Draw the selection graph, optionally highlighting one walk.

    The highlighted route uses thick solid vermillion edges, yellow boxes with a
    heavy outline and numbered step badges, so it survives greyscale printing;
    the other edges are thin, grey and dashed. Works on any backend (Agg too).

    Args:
        path: Node names as returned by :func:`walk`; ``None`` for no highlight.
        ax: Axes to draw on; a new figure is created when ``None``.

    Returns:
        The figure holding the drawing.

    Raises:
        ValueError: If ``path`` contains a node or step that is not in the graph.
    """
    g = build_tree()
    path = list(path or [])
    bad = [n for n in path if n not in g]
    if bad:
        raise ValueError(f"path has unknown nodes {bad}; known: {', '.join(g.nodes)}")
    on_path = set(zip(path, path[1:]))
    missing = [e for e in on_path if not g.has_edge(*e)]
    if missing:
        raise ValueError(f"path steps {missing} are not edges of the graph")

    if ax is None:
        # Fixed axes, not a layout engine: the recommender redraws this on every answer, and the
        # constrained layout more than doubled the time to write the SVG.
        # 10 in wide: shown in a notebook column (about 850 px at 1280x800 with the file browser
        # open) its 7.5-8 pt text stays at about 9 px or more.
        fig = Figure(figsize=(10, 10))
        ax = fig.add_axes((0.005, 0.005, 0.99, 0.93))
    else:
        fig = cast(Figure, ax.figure)
    pos = _layout(g)
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.6, max(y for _, y in pos.values()) + 0.5)
    ax.set_axis_off()

    labels: list = []
    for u, v, answer in g.edges(data="answer"):
        hot = (u, v) in on_path
        (x0, y0), (x1, y1) = pos[u], pos[v]
        arrow = FancyArrowPatch(
            (x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14 if hot else 9,
            color=_OI_VERMILLION if hot else _OI_GREY, linewidth=3.5 if hot else 1.0,
            linestyle="-" if hot else (0, (4, 3)), shrinkA=16, shrinkB=16,
            zorder=3 if hot else 1,
        )
        arrow.set_gid(f"{'path-edge' if hot else 'edge'}:{u}->{v}")
        ax.add_patch(arrow)
        labels.append((x0, y0, x1, y1, answer, hot))

    steps = {n: i for i, n in enumerate(path, start=1)}
    boxes: list = []
    for node, data in g.nodes(data=True):
        hot = node in steps
        question = data["kind"] == "question"
        x, y = pos[node]
        text = ax.text(
            x, y, _wrap(data["label"], 18 if question else 16), ha="center",
            va="center", fontsize=8, fontweight="bold" if hot or not question else "normal",
            zorder=5,
            bbox={
                "boxstyle": "round,pad=0.4" if question else "square,pad=0.45",
                "fc": _OI_YELLOW if hot else ("white" if question else "#CCE6F4"),
                "ec": "black" if hot else (_OI_BLUE if question else _OI_SKY),
                "lw": 2.5 if hot else 1.0,
            },
        )
        text.set_gid(f"{'path-node' if hot else 'node'}:{node}")
        boxes.append(text)
        if hot:
            badge = ax.text(
                x - 0.045, y + 0.28, f"{steps[node]}", fontsize=8, ha="center", va="center",
                color="white", fontweight="bold", zorder=6,
                bbox={"boxstyle": "circle,pad=0.2", "fc": _OI_VERMILLION, "ec": "black"},
            )
            badge.set_gid(f"path-step:{steps[node]}")
            boxes.append(badge)

    _place_edge_labels(ax, labels, boxes, tuple(path))
    title = "Choosing a durable-execution engine (after Figure 64.4.1)"
    if path:
        title += f"\nhighlighted route ends at: {g.nodes[path[-1]]['label']}"
    ax.set_title(title, fontsize=12)
    handles = [
        Line2D([], [], color=_OI_VERMILLION, lw=3.5, label="route taken (numbered)"),
        Line2D([], [], color=_OI_GREY, lw=1.0, ls="--", label="other answers"),
        Line2D([], [], marker="s", ls="", mfc="white", mec=_OI_BLUE, ms=10, label="question"),
        Line2D([], [], marker="s", ls="", mfc="#CCE6F4", mec=_OI_SKY, ms=10, label="engine"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    return fig
