"""The selection graph of Figure 64.4.1: structure, walks, and the drawing."""

import io

import matplotlib
import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simlib.course import matrix
from simlib.course.decision_tree import ROOT, _layout, build_tree, draw_tree, leaves, walk
from simlib.course.recommend import BOOL_FIELDS, CHOICES, Profile

matplotlib.use("Agg")

SECTION_LEAVES = {"temporal", "inngest", "langgraph", "restate", "hatchet", "dag",
                  "openai-agents", "app-checkpoint"}



def profiles():
    """Every valid profile: each categorical value, each flag, any crash rate."""
    return st.builds(Profile, **{k: st.sampled_from(v) for k, v in CHOICES.items()},
                     **{b: st.booleans() for b in BOOL_FIELDS},
                     crash_rate_per_hour=st.floats(0, 50))


@pytest.fixture(scope="module")
def tree():
    return build_tree()


def test_graph_is_a_rooted_dag(tree):
    assert nx.is_directed_acyclic_graph(tree)
    assert tree.in_degree(ROOT) == 0
    assert set(nx.descendants(tree, ROOT)) | {ROOT} == set(tree.nodes)


def test_every_leaf_is_a_matrix_engine_and_every_sink_is_a_leaf(tree):
    sinks = {n for n in tree if tree.out_degree(n) == 0}
    assert sinks == set(leaves(tree))
    assert sinks <= set(matrix.ENGINES)


def test_every_engine_of_the_section_is_reachable(tree):
    assert SECTION_LEAVES <= nx.descendants(tree, ROOT)


def test_questions_branch_and_edges_carry_answers(tree):
    for node, kind in tree.nodes(data="kind"):
        if kind == "question":
            assert tree.out_degree(node) >= 2, node
            assert tree.nodes[node]["label"].endswith("?")
    assert all(answer for _, _, answer in tree.edges(data="answer"))


def test_inngest_is_reachable_from_several_questions(tree):
    """Inngest runs across the figure as the managed, event-driven alternative."""
    assert len(list(tree.predecessors("inngest"))) >= 2


def test_every_edge_cites_the_section(tree):
    for u, v, cite in tree.edges(data="cite"):
        assert cite and any(mark in cite for mark in ("64.4", "Figure 64.4.1", "Self-Check", "Exercise")), (u, v)


def test_build_tree_returns_a_fresh_graph(tree):
    g = build_tree()
    g.remove_node("dag")
    assert "dag" in build_tree()


@pytest.mark.parametrize("fields, leaf", [
    ({"graph": "static", "trigger": "schedule"}, "dag"),
    ({"graph": "static", "trigger": "schedule", "batch_shaped": True}, "dag"),
    ({"moves_money": True, "cost_of_failure": "high"}, "temporal"),
    ({"batch_shaped": True, "trigger": "schedule"}, "hatchet"),
    ({"batch_shaped": True, "trigger": "event", "team_size": "platform-team"}, "hatchet"),
    ({"cost_of_failure": "critical", "trigger": "event", "team_size": "platform-team"}, "temporal"),
    ({"moves_money": True, "ops_appetite": "none", "trigger": "event"}, "restate"),
    ({"uses_langgraph": True, "moves_money": True, "team_size": "small", "ops_appetite": "low"}, "restate"),
    ({"graph": "static", "trigger": "schedule", "moves_money": True}, "temporal"),
    ({"uses_langgraph": True, "needs_hitl": True, "cost_of_failure": "low"}, "langgraph"),
    ({"ops_appetite": "low", "cost_of_failure": "high", "team_size": "small"}, "restate"),
    ({"ops_appetite": "none", "language": "typescript", "trigger": "event"}, "inngest"),
    ({"openai_stack": True}, "openai-agents"),
    ({"openai_stack": True, "moves_money": True}, "openai-agents+temporal"),
    ({"cost_of_failure": "low"}, "app-checkpoint"),
    ({"uses_langgraph": True, "cost_of_failure": "critical", "team_size": "platform-team"},
     "temporal"),
])
def test_walk_for_the_section_cases(fields, leaf):
    path = walk(Profile(**fields))
    assert path[0] == ROOT
    assert path[-1] == leaf


def test_walk_takes_a_mapping_and_validates_it():
    assert walk({"graph": "static", "trigger": "schedule"}) == [ROOT, "q:family", "dag"]
    with pytest.raises(ValueError, match="graph"):
        walk({"graph": "dynamic"})


@settings(max_examples=200, deadline=None)
@given(profiles())
def test_any_walk_follows_edges_and_ends_at_a_leaf(profile):
    g = build_tree()
    path = walk(profile)
    assert path[0] == ROOT and g.nodes[path[-1]]["kind"] == "engine"
    assert all(g.has_edge(u, v) for u, v in zip(path, path[1:]))
    assert len(set(path)) == len(path)


def test_layout_is_deterministic_and_layered(tree):
    pos = _layout(tree)
    assert pos == _layout(build_tree())
    assert set(pos) == set(tree.nodes)
    for u, v in tree.edges:
        assert pos[u][1] > pos[v][1]  # every edge points down
    rows = {}
    for node, (x, y) in pos.items():
        assert 0.0 <= x <= 1.0
        rows.setdefault(y, []).append(x)
    for xs in rows.values():  # no two boxes of a row on top of each other
        xs.sort()
        assert all(b - a > 0.05 for a, b in zip(xs, xs[1:]))


def _gids(ax, prefix):
    artists = list(ax.patches) + list(ax.texts)
    return [a for a in artists if (a.get_gid() or "").startswith(prefix)]


def test_draw_tree_highlights_the_path():
    path = walk(Profile(moves_money=True, cost_of_failure="high"))
    fig = draw_tree(path)
    ax = fig.axes[0]
    assert ax.get_title()
    hot = _gids(ax, "path-edge:")
    cold = _gids(ax, "edge:")
    assert len(hot) == len(path) - 1
    assert {a.get_gid() for a in hot} == {f"path-edge:{u}->{v}" for u, v in zip(path, path[1:])}
    # Highlighted by thickness and line style, not only by colour.
    assert min(a.get_linewidth() for a in hot) > 2 * max(a.get_linewidth() for a in cold)
    assert {a.get_linestyle() for a in hot} != {a.get_linestyle() for a in cold}
    assert len(_gids(ax, "path-node:")) == len(path)
    assert len(_gids(ax, "path-step:")) == len(path)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_draw_tree_without_path_and_on_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert draw_tree(ax=ax) is fig
    assert ax.get_title()
    assert not _gids(ax, "path-")
    assert len(_gids(ax, "edge:")) == build_tree().number_of_edges()


@pytest.mark.parametrize("bad", [["q:family", "nowhere"], ["q:family", "temporal"]])
def test_draw_tree_rejects_a_bad_path(bad):
    with pytest.raises(ValueError):
        draw_tree(bad)
