"""The graph a workflow really took: the union of its runs' step paths.

Workflow-as-code has no graph before it runs; each run draws one path through
the steps, chosen by the LLM's answers. Overlaying many runs shows the graph
that a DAG tool would have to declare up front: for a static pipeline a single
chain, for an agent loop a fan of branches at every planning call.

`step_graph` builds that graph (networkx) from run histories and
`draw_step_graph` draws it left to right, one column per position in the run,
edges as thick as the number of runs that took them, LLM calls and tool calls
told apart by colour and by node shape.

Example:
    >>> import simlib
    >>> from simlib import viz
    >>> runs = [simlib.simulate("agent-loop", "temporal", seed=s) for s in range(20)]
    >>> g = viz.step_graph(runs)
    >>> fig = viz.draw_step_graph(runs, title="20 runs of the agent loop")
"""

from __future__ import annotations

import networkx as nx
from matplotlib.figure import Figure

from ..core.errors import ConfigError
from .palette import OKABE_ITO
from .timeline import normalize_results, plain

__all__ = ["step_graph", "draw_step_graph", "START", "END"]

START = "start"
END = "end"

# How each kind of node is drawn: colour, marker shape, legend label.
_KINDS = {
    "llm": (OKABE_ITO["blue"], "o", "LLM call"),
    "tool": (OKABE_ITO["orange"], "s", "tool call"),
    "timer": (OKABE_ITO["sky"], "D", "timer / wait"),
    "wait": (OKABE_ITO["sky"], "D", "timer / wait"),
    "terminal": (OKABE_ITO["grey"], "h", "start / end"),
}


def _paths(results) -> list[tuple[list, list, bool]]:
    """(step names, step kinds, finished) of every workflow instance in every run, in step order."""
    out = []
    for res in normalize_results(results).values():
        if res.history is None:
            raise ConfigError("step_graph needs histories: simulate with record=True (the default)")
        per_wf: dict = {}
        finished = set()
        for rec in res.history:
            if rec.step is not None and rec.kind == "ok":
                names, kinds, seen = per_wf.setdefault(rec.workflow, ([], [], set()))
                if rec.step not in seen:            # a step replayed after a crash is still one step
                    seen.add(rec.step)
                    names.append(rec.detail.get("name", f"step {rec.step}"))
                    kinds.append(rec.event)
            elif rec.step is None and rec.event == "complete":
                finished.add(rec.workflow)
        for wf, (names, kinds, _) in per_wf.items():
            out.append((names, kinds, wf in finished))
    return out


def step_graph(results) -> nx.DiGraph:
    """The union of the step paths of ``results`` as a directed graph.

    Args:
        results: a `RunResult`, a list of them, or a dict label -> RunResult (with histories).

    Returns:
        A `networkx.DiGraph`: one node per step name, plus ``"start"`` and (for runs
        that completed) ``"end"``; node attributes ``kind`` (llm, tool, timer, wait,
        terminal), ``runs`` (how many paths pass through it) and ``layer`` (its
        earliest position in a path); edge attribute ``runs`` (how many paths took it).
    """
    g = nx.DiGraph()
    g.add_node(START, kind="terminal", runs=0, layer=0)
    for names, kinds, finished in _paths(results):
        path = [START, *names] + ([END] if finished else [])
        path_kinds = ["terminal", *kinds] + (["terminal"] if finished else [])
        for pos, (node, kind) in enumerate(zip(path, path_kinds)):
            if node in g:
                g.nodes[node]["runs"] += 1
                g.nodes[node]["layer"] = min(g.nodes[node]["layer"], pos)
            else:
                g.add_node(node, kind=kind, runs=1, layer=pos)
        for a, b in zip(path, path[1:]):
            if g.has_edge(a, b):
                g.edges[a, b]["runs"] += 1
            else:
                g.add_edge(a, b, runs=1)
    if g.number_of_nodes() == 1:
        raise ConfigError("nothing to draw: no run finished a single step")
    if END in g:
        # The end goes one column past the deepest step, so every path reads left to right.
        g.nodes[END]["layer"] = max(d["layer"] for n, d in g.nodes(data=True) if n != END) + 1
    return g


def draw_step_graph(results, *, ax=None, title: str | None = None) -> Figure:
    """Draw `step_graph` of ``results``: columns by position, edge width by how many runs took it.

    Args:
        results: a `RunResult`, a list of them, or a dict label -> RunResult.
        ax: a matplotlib Axes to draw into (a new figure when None).
        title: the figure's title (default: how many paths it overlays).

    Returns:
        The matplotlib Figure.
    """
    g = step_graph(results)
    paths = g.nodes[START]["runs"]
    layers: dict = {}
    for node, d in g.nodes(data=True):
        layers.setdefault(d["layer"], []).append(node)
    depth = max(layers) + 1
    tallest = max(len(v) for v in layers.values())
    pos = {}
    for layer, nodes in layers.items():
        nodes.sort()
        for i, node in enumerate(nodes):
            pos[node] = (layer, (len(nodes) - 1) / 2 - i)
    if ax is None:
        # At most 10.5 in wide: a notebook column (about 850 px at 1280x800 with the file browser open)
        # then shows the 8 pt labels at 9 px or more; deeper graphs get closer columns, not a wider figure.
        fig = Figure(figsize=(min(10.5, 1.2 + 0.7 * depth), min(12.0, 2.6 + 1.0 * tallest)))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    top = max(d["runs"] for _, _, d in g.edges(data=True))
    for a, b, d in g.edges(data=True):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        # A loop back to an earlier step name, or a jump over columns (an early end), is drawn as an
        # arc so that it does not run through the nodes in between.
        bend = 0.35 if x1 <= x0 else (-0.18 if x1 - x0 > 1 else 0.0)
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": OKABE_ITO["black"], "alpha": 0.55,
                                "lw": 0.6 + 3.4 * d["runs"] / top, "shrinkA": 11, "shrinkB": 11,
                                "connectionstyle": f"arc3,rad={bend}"})
    drawn = set()
    for node, d in g.nodes(data=True):
        color, marker, label = _KINDS.get(d["kind"], _KINDS["tool"])
        ax.scatter([pos[node][0]], [pos[node][1]], s=260, c=color, marker=marker, edgecolors="black",
                   linewidths=0.8, zorder=3, label=None if label in drawn else label)
        drawn.add(label)
        ax.annotate(plain(f"{node}\n{d['runs']}x"), pos[node], xytext=(0, -17), textcoords="offset points",
                    ha="center", va="top", fontsize=8, zorder=4,
                    bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_xlim(-0.6, depth - 0.4)
    ax.set_ylim(-tallest / 2 - 0.6, tallest / 2 + 0.3 + 0.35 * (depth > 3))
    ax.set_xlabel("position in the run (step number)")
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    # Under the plot, in one row: beside it, the legend would take width the columns need.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False, fontsize=8, ncol=3,
              title="edge width = runs that took it", title_fontsize=8)
    ax.set_title(title or f"{paths} run path(s) overlaid: {g.number_of_nodes() - 2 + (END not in g)} step names, "
                          f"{g.number_of_edges()} transitions", fontsize=10)
    fig.tight_layout()
    return fig
