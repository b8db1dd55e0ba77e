"""Pictures are drawn from histories: every mark on a timeline has a record behind it.

Each drawing function runs on runs of every registered model, and the tests
count what landed on the axes (artists carry a ``gid`` naming what they show).
"""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simlib
from simlib import CRASH_POINTS, ConfigError, CrashAt, FaultSchedule, Outage, Scenario, model_names, simulate
from simlib.models import get_model
from simlib.scenarios.builtin import llm_chain
from simlib.viz import (WORLD, count_gids, draw_decision_tree, lane_data, montecarlo_data, plot_montecarlo,
                        plot_recovery, state_graph, state_map, timeline, time_unit)

MODELS = model_names()


def crash(step, point="after-effect"):
    return FaultSchedule(crashes=(CrashAt(step, point),))


def renders(fig):
    """The figure rasterises with Agg (what notebooks, GitHub and nbviewer show)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def has_title_labels_legend(ax):
    return bool(ax.get_title(loc="left") or ax.get_title()) and ax.get_xlabel() and ax.get_legend() is not None


# ---------------------------------------------------------------- timeline
@pytest.mark.parametrize("model", MODELS)
def test_one_crash_marker_per_crash_record(model):
    r = simulate("q1", model, seed=3, faults=FaultSchedule(crashes=(CrashAt(5, "after-effect"),
                                                                      CrashAt(12, "before-step"))))
    crashes = r.history.where(event="crash")
    fig = timeline(r)
    assert len(crashes) >= 1
    assert count_gids(fig, "crash") == len(crashes) == r.summary.crashes
    assert count_gids(fig, "label-crash") == len(crashes)   # each crash is also labelled in words
    ax = fig.axes[0]
    assert has_title_labels_legend(ax)
    assert ax.get_xlabel() == f"simulated time ({time_unit(lane_data(r).end_s)[0]})"


@pytest.mark.parametrize("model", MODELS)
def test_replays_are_shaded_once_per_resume_that_replayed(model):
    r = simulate("q1", model, seed=1)            # the scenario's own crash: step 15, after the effect
    resumes_with_replay = {(x.workflow, x.time) for x in r.history if x.event == "replay"}
    fig = timeline(r)
    assert count_gids(fig, "replayed") == len(resumes_with_replay)
    if r.summary.steps_replayed:
        assert count_gids(fig, "replayed") >= 1
    # Downtime between a crash and the resume (or the end) is shaded too.
    assert count_gids(fig, "recovering") == r.summary.crashes


@pytest.mark.parametrize("model", MODELS)
def test_stalls_during_a_store_outage_are_drawn(model):
    faults = FaultSchedule(outages=(Outage(200.0, 420.0),))
    r = simulate("q1", model, seed=2, faults=faults)
    stalls = r.history.where(event="stall")
    fig = timeline(r)
    assert count_gids(fig, "stalled") == len(stalls)


def test_a_stalling_store_shows_a_stall_span():
    r = simulate("q1", "temporal", seed=2, faults=FaultSchedule(outages=(Outage(200.0, 420.0),)))
    data = lane_data(r)
    spans = [s for s in data.spans if s.category == "stalled"]
    assert len(spans) == 1 and spans[0].end == pytest.approx(420.0)


@pytest.mark.parametrize("model", MODELS)
def test_duplicated_side_effects_are_highlighted(model):
    r = simulate("five-effects", model, seed=1, faults=crash(3))
    fig = timeline(r)
    assert count_gids(fig, "duplicate-effect") == r.summary.duplicate_effects
    effects = r.history.where(event="effect")
    drawn = sum(count_gids(fig, k) for k in ("effect", "duplicate-effect", "deduplicated-effect"))
    assert drawn == len(effects)


def test_no_durability_repeats_three_effects_and_the_picture_says_so():
    fig = timeline(simulate("five-effects", "none", seed=1, faults=crash(3)))
    assert count_gids(fig, "duplicate-effect") == 3
    assert count_gids(fig, "re-executed") == 3        # steps 1-3 ran again on worker-2


def test_keyed_effects_show_absorbed_repeats_not_duplicates():
    r = simulate("five-effects-keyed", "none", seed=1, faults=crash(3))
    fig = timeline(r)
    assert count_gids(fig, "duplicate-effect") == 0
    assert count_gids(fig, "deduplicated-effect") == 3


def test_all_models_side_by_side_on_one_time_axis():
    runs = {m: simulate("q1", m, seed=1) for m in MODELS}
    fig = timeline(runs)
    assert len(fig.axes) == 1                          # one shared time axis
    assert count_gids(fig, "header") == len(MODELS)    # one labelled group per model
    assert count_gids(fig, "crash") == sum(r.summary.crashes for r in runs.values())
    lanes = sum(len(lane_data(r).lanes) for r in runs.values())
    assert count_gids(fig, "lane") == lanes
    assert renders(fig)


def test_accepts_a_list_and_keeps_repeated_models_apart():
    runs = [simulate("q1", "temporal", seed=s) for s in (1, 2)]
    fig = timeline(runs)
    assert count_gids(fig, "header") == 2


def test_lanes_are_worker_processes():
    assert lane_data(simulate("q1", "none", seed=1)).lanes == ["worker-1", "worker-2"]
    assert lane_data(simulate("q1", "none", seed=1, faults=FaultSchedule())).lanes == ["worker-1"]


def test_lanes_name_the_workflow_when_several_run():
    sc = Scenario(name="viz-two-chains", description="two short chains", workflow=llm_chain, max_steps=3,
                  params={"calls": 3}, instances=2, interarrival_s=30.0)
    data = lane_data(simulate(sc, "temporal", seed=1, faults=crash(2)))
    # The crash hits the first instance to reach step 2; lanes are grouped by workflow.
    assert data.lanes == ["wf-1 worker-1", "wf-1 worker-2", "wf-2 worker-1"]
    assert lane_data(simulate(sc, "temporal", seed=1), max_workflows=1).workflows == ["wf-1"]


def test_time_unit_follows_the_run_length():
    assert time_unit(20.0) == ("s", 1.0)
    assert time_unit(900.0) == ("min", 60.0)
    assert time_unit(2 * 86400.0) == ("h", 3600.0)
    fig = timeline(simulate("five-effects", "temporal", seed=1))
    assert fig.axes[0].get_xlabel() == "simulated time (s)"
    fig = timeline(simulate("five-effects", "temporal", seed=1), unit="min")
    assert fig.axes[0].get_xlabel() == "simulated time (min)"


def test_bad_inputs_name_the_problem():
    r = simulate("q1", "temporal", seed=1)
    with pytest.raises(ConfigError, match="unknown time unit 'days'"):
        timeline(r, unit="days")
    with pytest.raises(ConfigError, match="record=False"):
        timeline(simulate("q1", "temporal", seed=1, record=False))
    with pytest.raises(ConfigError, match="at least one"):
        timeline({})
    with pytest.raises(ConfigError, match="expected a RunResult"):
        timeline(42)


@settings(max_examples=25, deadline=None)
@given(model=st.sampled_from(MODELS), step=st.integers(1, 20), point=st.sampled_from(CRASH_POINTS),
       seed=st.integers(0, 10_000))
def test_every_crash_is_marked_and_every_span_is_on_a_lane(model, step, point, seed):
    r = simulate("q1", model, seed=seed, faults=crash(step, point))
    data = lane_data(r)
    assert data.count("crash") == len(r.history.where(event="crash"))
    assert all(s.end >= s.start and s.lane in data.lanes for s in data.spans)
    assert all(m.lane in data.lanes and 0 <= m.time <= data.end_s for m in data.marks)


# ---------------------------------------------------------------- state-location diagrams
@pytest.mark.parametrize("model", MODELS)
def test_state_map_shows_every_component_and_who_holds_the_state(model):
    mdl = get_model(model)
    g = state_graph(mdl)
    assert set(g) == {c.name for c in mdl.components} | {WORLD}
    holders = [c.name for c in mdl.components if c.holds_state]
    assert sorted(n for n, d in g.nodes(data=True) if d["holds_state"]) == sorted(holders)
    assert all(g.has_edge(n, WORLD) for n, t in g.nodes(data="tier") if t == 1)
    fig = state_map(model)
    ax = fig.axes[0]
    assert count_gids(fig, "state-holder") == len(holders)
    assert count_gids(fig, "component") == len(mdl.components) - len(holders)
    assert count_gids(fig, "on-crash") == len(mdl.components)   # what each crash does, in words
    assert count_gids(fig, "world") == 1
    assert count_gids(fig, "crashed") == 0
    assert ax.get_title(loc="left") and ax.get_legend() is not None


def test_state_maps_render_as_static_images():
    assert renders(state_map("temporal", crashed="server", verdict="stalls"))


@pytest.mark.parametrize("model", MODELS)
def test_state_map_marks_the_crashed_component(model):
    name = get_model(model).components[-1].name
    fig = state_map(model, crashed=name, verdict="stalls")
    assert count_gids(fig, "crashed") == 1
    assert "stalls" in fig.axes[0].get_title(loc="left")


def test_state_map_rejects_an_unknown_component():
    with pytest.raises(ConfigError, match="no component 'disk'; allowed: worker, server"):
        state_map("temporal", crashed="disk")


def test_temporal_keeps_state_on_the_server_and_none_in_the_worker():
    assert state_graph("temporal").nodes["server"]["holds_state"]
    assert state_graph("none").nodes["worker"]["holds_state"]
    assert state_graph("none").nodes["worker"]["on_crash"] == "lose"


# ---------------------------------------------------------------- Monte Carlo
@pytest.fixture(scope="module")
def mc():
    return montecarlo_data("five-effects", MODELS, crash_rates_per_hour=(0, 240), runs=12)


def test_montecarlo_frame_has_a_row_per_model_and_rate(mc):
    assert len(mc) == 2 * len(MODELS)
    calm = mc[mc["crash_rate_per_hour"] == 0]
    assert (calm["crashes_mean"] == 0).all() and (calm["duplicate_effects_mean"] == 0).all()
    assert (calm["usd_respent_mean"] == 0).all() and (calm["usd_wasted_mean"] == 0).all()
    assert list(mc["usd_wasted_mean"]) == pytest.approx(list(mc["usd_respent_mean"] + mc["usd_lost_mean"]))
    stormy = mc[mc["crash_rate_per_hour"] == 240]
    assert (stormy["crashes_mean"] > 0).any()
    assert all(len(h) == 61 for h in mc["recovery_hist_10s"])


def test_montecarlo_plot_draws_one_line_per_model_and_metric(mc):
    fig = plot_montecarlo(mc)
    assert count_gids(fig, "mc-line") == 2 * len(MODELS)
    a, b = fig.axes
    assert "(USD)" in a.get_ylabel() and "per hour" in a.get_xlabel() and "per hour" in b.get_xlabel()
    assert a.get_title() and b.get_title() and fig.get_suptitle()
    assert b.get_legend() is not None and len(b.get_legend().get_texts()) == len(MODELS)
    assert renders(fig)


def test_recovery_plot_draws_one_histogram_per_model(mc):
    fig = plot_recovery(mc)
    ax = fig.axes[0]
    assert count_gids(fig, "recovery") == len(MODELS)
    assert "(s" in ax.get_xlabel() and "(%)" in ax.get_ylabel() and ax.get_title()
    assert ax.get_legend() is not None
    assert renders(fig)


def test_montecarlo_rejects_bad_input(mc):
    with pytest.raises(ConfigError, match="crash rate -1"):
        montecarlo_data("q1", ["none"], crash_rates_per_hour=(-1,), runs=2)
    with pytest.raises(ConfigError, match="choose at least one model"):
        montecarlo_data("q1", [], runs=2)
    with pytest.raises(ConfigError, match="crash rate 7 is not in the frame"):
        plot_recovery(mc, crash_rate=7)
    with pytest.raises(ConfigError, match="lacks column"):
        plot_montecarlo(mc.drop(columns=["usd_wasted_mean"]))


def test_montecarlo_is_reproducible():
    a = montecarlo_data("q1", ["none"], crash_rates_per_hour=(4,), runs=5, seed=9)
    b = montecarlo_data("q1", ["none"], crash_rates_per_hour=(4,), runs=5, seed=9)
    assert a.drop(columns=["recovery_hist_10s"]).equals(b.drop(columns=["recovery_hist_10s"]))


# ---------------------------------------------------------------- decision tree (re-exported)
def test_decision_tree_is_reexported_not_copied():
    import simlib.course.decision_tree
    import simlib.viz

    assert simlib.viz.decision_tree.draw_tree is simlib.course.decision_tree.draw_tree


def test_draw_decision_tree_highlights_the_learners_route():
    profile = {"moves_money": True, "cost_of_failure": "high"}
    path = simlib.course.decision_tree.walk(profile)
    fig = draw_decision_tree(profile)
    assert count_gids(fig, "path-node") == len(path)
    assert count_gids(fig, "path-edge") == len(path) - 1
    assert count_gids(draw_decision_tree(), "path-node") == 0
    assert renders(fig)
