"""The graph a workflow really took: `simlib.viz.step_graph` and `draw_step_graph`."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simlib
from simlib import ConfigError, CrashAt, FaultSchedule, simulate
from simlib.models import get_model
from simlib.viz import draw_step_graph, step_graph
from simlib.viz.stepgraph import END, START


def _walks(runs):
    """Each completed instance's path of step names, from the histories directly."""
    out = []
    for r in runs:
        for inst in r.run.instances:
            names, seen = [], set()
            for rec in r.history:
                if rec.workflow == inst.id and rec.kind == "ok" and rec.step is not None and rec.step not in seen:
                    seen.add(rec.step)
                    names.append(rec.detail["name"])
            out.append([START, *names] + ([END] if inst.finished else []))
    return out


def test_agent_loop_runs_fan_out_at_every_planning_call():
    runs = [simulate("agent-loop", "temporal", seed=s) for s in range(20)]
    g = step_graph(runs)
    assert g.nodes[START]["runs"] == 20 and g.edges[START, "plan-1"]["runs"] == 20
    # The LLM chooses: the first planning call leads to more than one tool.
    assert len(list(g.successors("plan-1"))) > 1
    assert {g.nodes[n]["kind"] for n in g.successors("plan-1")} <= {"tool", "terminal"}
    for walk in _walks(runs):
        assert all(g.has_edge(a, b) for a, b in zip(walk, walk[1:]))
    # Flow is conserved: every path that enters a step leaves it (all 20 runs completed).
    for node in g.nodes:
        if node not in (START, END):
            assert sum(d["runs"] for _, _, d in g.in_edges(node, data=True)) == g.nodes[node]["runs"]
            assert sum(d["runs"] for _, _, d in g.out_edges(node, data=True)) == g.nodes[node]["runs"]
    assert g.nodes[END]["layer"] == max(d["layer"] for n, d in g.nodes(data=True) if n != END) + 1


def test_a_static_pipeline_is_one_chain():
    nights = simulate("nightly-etl", "dag", seed=3)
    g = step_graph(nights)
    chain = [START, "extract", "transform", "train", "evaluate", "summarize-metrics", "publish-report", END]
    assert list(g.edges) == list(zip(chain, chain[1:]))
    assert {d["runs"] for _, _, d in g.edges(data=True)} == {len(nights.run.instances)}


def test_a_step_replayed_after_a_crash_counts_once_and_a_stopped_run_has_no_end():
    crashed = simulate("q1", "temporal", seed=1)               # the default crash in step 15
    g = step_graph(crashed)
    assert g.number_of_nodes() == 22 and g.edges["llm-20", END]["runs"] == 1
    stopped = simulate("q1", "langgraph", seed=1)              # nobody re-invokes the thread
    assert END not in step_graph(stopped)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 5000), step=st.integers(1, 12))
def test_every_run_is_a_walk_through_the_graph(seed, step):
    runs = {f"{m}": simulate("agent-loop", m, seed=seed, faults=FaultSchedule(crashes=(CrashAt(step, "after-effect"),)))
            for m in ("none", "temporal", "restate")}
    g = step_graph(runs)
    for walk in _walks(runs.values()):
        assert all(g.has_edge(a, b) for a, b in zip(walk, walk[1:]))
    assert g.nodes[START]["runs"] == 3


def test_the_drawing_is_a_figure_with_a_node_per_step():
    runs = [simulate("agent-loop", "temporal", seed=s) for s in range(5)]
    fig = draw_step_graph(runs, title="five runs")
    ax = fig.axes[0]
    assert ax.get_title() == "five runs"
    assert len(ax.collections) == step_graph(runs).number_of_nodes()
    fig.savefig(io.BytesIO(), format="png")
    assert "step names" in draw_step_graph(runs[0]).axes[0].get_title()


def test_bad_inputs_name_the_problem():
    with pytest.raises(ConfigError, match="record=True"):
        step_graph(simulate("q1", "temporal", seed=1, record=False))
    with pytest.raises(ConfigError, match="RunResult"):
        step_graph(42)
    empty = simlib.Scenario("nothing", "no steps", lambda ctx: (yield from ()), max_steps=1)
    with pytest.raises(ConfigError, match="no run finished a single step"):
        step_graph(simulate(empty, get_model("temporal"), seed=1))
