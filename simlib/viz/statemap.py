"""State-location diagrams: where a model keeps the workflow's state, and what each crash does.

The diagram is built from the model's declared components (`EngineModel.components`)
plus the outside world. Three tiers, top to bottom: the services that hand out
work or keep state, the process that runs the workflow code, and the outside
world it changes. A box's colour says what its crash does (legend), and
the box that holds the state has a heavy black border. Colour is never the only
cue: the badge on each box says in words what its crash does.

Example:
    >>> from simlib.viz import state_map, state_graph
    >>> g = state_graph("temporal")
    >>> sorted(n for n, d in g.nodes(data=True) if d["holds_state"])
    ['server']
    >>> fig = state_map("temporal")              # a matplotlib Figure
    >>> fig = state_map("temporal", crashed="server", verdict="stalls for 120 s, nothing lost")
"""

from __future__ import annotations

import textwrap

import networkx as nx
from matplotlib.figure import Figure
from matplotlib.colors import to_rgb
from matplotlib.patches import FancyArrowPatch, Patch

from ..core.errors import ConfigError
from ..models import get_model
from .palette import OKABE_ITO, ON_CRASH

__all__ = ["WORLD", "state_graph", "state_map", "is_worker", "WORKER_NAMES"]

WORLD = "outside world"
# Component names models use for the process that runs the workflow code.
WORKER_NAMES = ("worker", "app", "service")
_VERB = {"nothing": "carries on", "stall": "STALLS", "fail": "run FAILS (resumable)", "lose": "LOSES state"}


def is_worker(component) -> bool:
    """True for the component that runs the workflow code (a worker, app or service process)."""
    return component.name in WORKER_NAMES or component.name.startswith("worker")


def state_graph(model) -> nx.DiGraph:
    """The model's deployment as a graph: components plus the outside world.

    Nodes carry ``label``, ``holds_state``, ``on_crash``, ``note``, ``tier``
    (0 services and stores, 1 workflow-code process, 2 outside world). Edges
    carry ``label`` (what flows along them).

    Args:
        model: a model name or `EngineModel`.
    """
    mdl = get_model(model) if isinstance(model, str) else model
    comps = list(mdl.components)
    if not comps:
        raise ConfigError(f"model {mdl.name!r} declares no components, so there is nothing to draw")
    g = nx.DiGraph(model=mdl.name, title=mdl.title, state_location=mdl.state_location)
    workers = [c for c in comps if is_worker(c)] or [comps[0]]
    for c in comps:
        g.add_node(c.name, label=c.label, holds_state=c.holds_state, on_crash=c.on_crash, note=c.note,
                   tier=1 if c in workers else 0)
    g.add_node(WORLD, label="outside world: LLM provider, payments, email, other APIs", holds_state=False,
               on_crash=None, tier=2,
               note="no engine can take back an effect here; idempotency keys and compensation can")
    runner = workers[0].name
    for c in comps:
        if c in workers:
            continue
        text = f"{c.name} {c.label}".lower()
        if c.holds_state:
            g.add_edge(runner, c.name, label="saves each step's result; reads them back to recover")
        elif "api" in text:
            g.add_edge(runner, c.name, label="calls")
        elif any(w in text for w in ("queue", "broker", "scheduler", "dispatch", "engine")):
            g.add_edge(c.name, runner, label="hands out work")
        elif any(w in text for w in ("store", "db", "database", "session", "checkpoint")):
            g.add_edge(runner, c.name, label="saves and loads state")
        else:
            g.add_edge(runner, c.name, label="talks to")
    for w in workers:
        g.add_edge(w.name, WORLD, label="LLM calls, tool calls, side effects")
    return g


# Tiers far enough apart that an edge's label fits between the boxes and their badges.
_TIER_Y = (2.5, 1.2, 0.0)


def _layout(g: nx.DiGraph) -> dict:
    pos = {}
    for tier, y in ((0, _TIER_Y[0]), (1, _TIER_Y[1]), (2, _TIER_Y[2])):
        members = [n for n, t in g.nodes(data="tier") if t == tier]
        for i, n in enumerate(members):
            pos[n] = ((i + 1) / (len(members) + 1), y)
    return pos


def _tint(color: str, keep: float = 0.3) -> tuple:
    """``color`` mixed with white (``keep`` of the colour)."""
    return tuple(keep * c + (1 - keep) for c in to_rgb(color))


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width, break_long_words=False)


def state_map(model, ax=None, crashed: str | None = None, verdict: str | None = None) -> Figure:
    """Draw where ``model`` keeps its state and what a crash of each component does.

    Args:
        model: a model name or `EngineModel`.
        ax: axes to draw on; a new figure is made when None.
        crashed: a component name to mark as crashed (the state-location explorer does this).
        verdict: a one-line outcome to show under the title with the crash mark.

    Returns:
        The figure (a plain `matplotlib.figure.Figure`; nothing to close).
    """
    mdl = get_model(model) if isinstance(model, str) else model
    g = state_graph(mdl)
    if crashed is not None and crashed not in g:
        allowed = ", ".join(n for n in g if n != WORLD)
        raise ConfigError(f"model {mdl.name!r} has no component {crashed!r}; allowed: {allowed}")
    if ax is None:
        fig = Figure(figsize=(10.5, 6.2))
        ax = fig.add_axes((0.02, 0.0, 0.72, 0.86))
    fig = ax.figure
    pos = _layout(g)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.45, 3.0)
    ax.set_axis_off()
    for u, v, label in g.edges(data="label"):
        (x0, y0), (x1, y1) = pos[u], pos[v]
        arrow = FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14, color="black",
                                linewidth=1.2, shrinkA=34, shrinkB=34, zorder=1)
        arrow.set_gid(f"edge:{mdl.name}:{u}->{v}")
        ax.add_patch(arrow)
        # Above the boxes and badges, so nothing is ever printed over an edge's label.
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, _wrap(label, 40), fontsize=7, ha="center", va="center",
                style="italic", zorder=6, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    width = 34 if sum(1 for _, t in g.nodes(data="tier") if t == 0) < 3 else 26
    for name, d in g.nodes(data=True):
        x, y = pos[name]
        if name == WORLD:
            text = f"{_wrap(d['label'], width)}\n\n{_wrap(d['note'], width)}"
            style = {"fc": "#E8E8E8", "ec": OKABE_ITO["grey"], "lw": 1.0, "boxstyle": "round,pad=0.5"}
            gid = f"world:{mdl.name}"
        else:
            oc = ON_CRASH.get(d["on_crash"], ON_CRASH["nothing"])
            text = f"{name}\n{_wrap(d['label'], width)}\n\n{_wrap(d['note'], width)}"
            # A pale tint keeps the text readable; the badge above carries the full colour.
            style = {"fc": _tint(oc.color), "ec": "black", "lw": 3.0 if d["holds_state"] else 0.8,
                     "boxstyle": "square,pad=0.5"}
            gid = f"{'state-holder' if d['holds_state'] else 'component'}:{mdl.name}:{name}"
        box = ax.text(x, y, text, fontsize=7, ha="center", va="center", zorder=3, bbox=style, linespacing=1.2)
        box.set_gid(gid)
        if name == WORLD:
            continue
        badge = f"if it crashes: {_VERB.get(d['on_crash'], d['on_crash'])}"
        if d["holds_state"]:
            badge = "HOLDS THE STATE  |  " + badge
        b = ax.annotate(badge, xy=(0.5, 1.0), xycoords=box, xytext=(0, 5), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, fontweight="bold", zorder=4,
                        bbox={"boxstyle": "round,pad=0.25", "fc": oc.color, "ec": "black", "lw": 0.6})
        b.set_gid(f"on-crash:{mdl.name}:{name}")
        if name == crashed:
            # The badge goes on the outer side, away from the neighbouring boxes.
            left = x < 0.5
            mark = ax.annotate("X CRASHED", xy=(0.0 if left else 1.0, 0.5), xycoords=box,
                               xytext=(-8 if left else 8, 0), textcoords="offset points",
                               ha="right" if left else "left", va="center", fontsize=9, fontweight="bold", color="white", zorder=5,
                               bbox={"boxstyle": "round,pad=0.3", "fc": OKABE_ITO["vermillion"], "ec": "black"})
            mark.set_gid(f"crashed:{mdl.name}:{name}")
            box.get_bbox_patch().set_edgecolor(OKABE_ITO["vermillion"])
            box.get_bbox_patch().set_linestyle("--")
    title = f"Where {mdl.title} keeps the workflow's state"
    sub = _wrap(mdl.state_location, 110)
    if crashed is not None:
        sub += f"\ncrashed: {crashed}" + (f"  ->  {verdict}" if verdict else "")
    ax.set_title(f"{title}\n{sub}".replace("$", r"\$"), fontsize=9.5, loc="left")
    present = [k for k in ON_CRASH if any(d.get("on_crash") == k for _, d in g.nodes(data=True))]
    handles = [Patch(facecolor=ON_CRASH[k].color, edgecolor="black",
                     label=ON_CRASH[k].label) for k in present]
    handles.append(Patch(facecolor="white", edgecolor="black", linewidth=3.0, label="holds the workflow's state"))
    handles.append(Patch(facecolor="#E8E8E8", edgecolor=OKABE_ITO["grey"], label="outside world (not rolled back)"))
    if crashed is not None:
        handles.append(Patch(facecolor="white", edgecolor=OKABE_ITO["vermillion"], linestyle="--", linewidth=2,
                             label="the component that was crashed"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False,
              title="box colour = what its crash does", title_fontsize=8)
    return fig
