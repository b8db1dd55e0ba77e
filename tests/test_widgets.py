"""Widgets are thin layers over plain functions; the functions answer to their inputs, headlessly.

Panels fill their output area by setting ``Output.outputs``, so these tests
read what a learner would see without a browser or a kernel.
"""

import base64
import re

import ipywidgets as widgets
import pandas as pd
import pytest

from simlib import ConfigError, CrashAt, FaultSchedule, model_names
from simlib.scenarios import get_scenario, scenario_names
from simlib.models import get_model
from simlib.viz import count_gids
from simlib.widgets import (CrashLab, Recommender, StateExplorer, SweepControl, crash_lab_faults, crash_lab_view,
                            parse_rates, recommender_view, state_explorer_view, sweep_view)
from simlib.widgets import crash_lab as crash_lab_module
from simlib.widgets.base import REOPEN_NOTE, SEED_BOX_MAX, figure_output, figure_svg, frame_output
from simlib.widgets.crash_lab import TABLE_COLUMNS, TABLE_HEADERS

THREE = ("none", "app-checkpoint", "temporal")


def kinds(panel):
    """The MIME types shown in a panel's output area, in order."""
    return [sorted(o["data"]) for o in panel.out.outputs]


def shown_text(panel):
    return "\n".join(o["data"].get("text/plain", "") for o in panel.out.outputs)


def sliders(panel):
    out, todo = [], [panel]
    while todo:
        w = todo.pop()
        if isinstance(w, (widgets.IntSlider, widgets.FloatSlider)):
            out.append(w)
        todo.extend(getattr(w, "children", ()))
    return out


# ---------------------------------------------------------------- crash lab
def test_crash_lab_view_follows_its_inputs():
    fig, table = crash_lab_view(THREE, "q1", "15:after-effect", seed=1)
    assert list(table["model"]) == list(THREE)
    assert count_gids(fig, "crash") == 3
    fig0, calm = crash_lab_view(THREE, "q1", None, seed=1)
    assert count_gids(fig0, "crash") == 0 and calm["crashes"].sum() == 0
    _, other_seed = crash_lab_view(THREE, "q1", "15:after-effect", seed=2)
    assert list(other_seed["ended_at_s"]) != list(table["ended_at_s"])
    _, early = crash_lab_view(THREE, "q1", "3:after-effect", seed=1)
    assert early.set_index("model").loc["none", "steps_reexecuted"] == 3


@pytest.mark.parametrize("model", model_names())
def test_crash_lab_view_runs_for_every_model(model):
    fig, table = crash_lab_view([model], "five-effects", "3:after-effect", seed=1)
    assert table.loc[0, "model"] == model
    assert count_gids(fig, "header") == 1


def test_crash_choices_become_fault_schedules():
    assert crash_lab_faults(None) == FaultSchedule()
    assert crash_lab_faults("no crash") == FaultSchedule()
    assert crash_lab_faults("4:before-step").crashes == (CrashAt(4, "before-step"),)
    assert crash_lab_faults((4, "after-record")).crashes == (CrashAt(4, "after-record"),)
    with pytest.raises(ConfigError, match="malformed crash"):
        crash_lab_faults("soon")
    with pytest.raises(ConfigError, match="choose at least one model"):
        crash_lab_view([], "q1")
    with pytest.raises(ConfigError, match="seed must be"):
        crash_lab_view(THREE, "q1", seed=-1)


def test_crash_lab_widget_redraws_on_change_and_shows_errors_in_words():
    lab = CrashLab(models=THREE, scenario="q1", step=15, point="after-effect", seed=1)
    assert lab.last_error is None
    assert kinds(lab) == [["text/html", "text/plain"], ["text/html", "text/plain"]]
    svg = figure_svg(lab.out.outputs[0])
    lab.step.value = 5
    assert figure_svg(lab.out.outputs[0]) != svg
    assert lab.last_result[1].set_index("model").loc["none", "steps_reexecuted"] == 5
    # A bad input through the callback: the message appears in the output area, no traceback.
    lab.models.value = ()
    assert isinstance(lab.last_error, ConfigError)
    text = shown_text(lab)
    assert text.startswith("Error: Cannot draw this: choose at least one model")
    assert "Traceback" not in text and len(lab.out.outputs) == 1
    # The panel recovers once the input is fixed.
    lab.models.value = ("temporal",)
    assert lab.last_error is None and kinds(lab)[0] == ["text/html", "text/plain"]


def test_an_unexpected_error_is_shown_not_swallowed(monkeypatch):
    lab = CrashLab(models=THREE)

    def boom(*a, **k):
        raise RuntimeError("the simulator broke")

    monkeypatch.setattr(crash_lab_module, "crash_lab_view", boom)
    lab.seed.value = 7
    assert isinstance(lab.last_error, RuntimeError)
    assert "Something went wrong (RuntimeError: the simulator broke)" in shown_text(lab)


def test_changing_the_scenario_fits_the_step_slider_and_redraws_once():
    lab = CrashLab(models=("temporal",), scenario="q1", step=15)
    calls = []
    real = lab.compute
    lab.compute = lambda: calls.append(1) or real()
    lab.scenario.value = "five-effects"
    assert lab.step.max == 5 and lab.step.value == 5
    assert len(calls) == 1 and lab.last_error is None


def test_sliders_act_on_release_only():
    for panel in (CrashLab(models=("temporal",)), Recommender(), SweepControl()):
        found = sliders(panel)
        assert found and all(s.continuous_update is False for s in found)


# ---------------------------------------------------------------- state-location explorer
@pytest.mark.parametrize("model", model_names())
def test_state_explorer_view_for_every_model(model):
    comp = get_model(model).components[0].name
    fig, drill = state_explorer_view(model, comp, "q1", seed=1)
    assert drill.component == comp and drill.outcome in ("survives", "stalls", "fails", "loses")
    assert count_gids(fig, "crashed") == 1
    assert count_gids(fig, "header") == 1          # the drill's timeline sits under the diagram


def test_state_explorer_follows_model_and_component():
    w = StateExplorer(model="temporal", component="server")
    assert w.last_result[1].outcome == "stalls"
    w.component.value = "worker"
    assert w.last_result[1].outcome == "survives"
    w.model.value = "none"
    assert w.component.options == ("worker", "broker")
    assert w.last_result[1].outcome == "loses"
    assert shown_text(w).startswith("none, worker crashed -> loses")


def test_state_explorer_view_rejects_an_unknown_component():
    with pytest.raises(ConfigError, match="allowed: worker, server"):
        state_explorer_view("temporal", "disk")


# ---------------------------------------------------------------- recommender
def test_recommender_view_follows_the_profile():
    fig, plain = recommender_view({})
    fig2, money = recommender_view({"moves_money": True, "cost_of_failure": "high"})
    assert money["engine"].iloc[0] == "temporal"
    assert list(plain["engine"]) != list(money["engine"])
    assert count_gids(fig2, "path-node") == len(money.attrs["path"])
    assert "Why temporal" in money.attrs["report"]
    assert money.attrs["answer"] == "Temporal" and money.attrs["summary"][0] == "Recommended: Temporal"
    assert money["why"].iloc[0] and "reasons" in money
    with pytest.raises(ValueError, match="invalid value 'cobol' for field 'language'"):
        recommender_view({"language": "cobol"})


def test_recommender_widget_answers_each_question():
    w = Recommender()
    before = list(w.last_result[1]["engine"])

    def answer():
        w.fields["moves_money"].value = True
        w.fields["cost_of_failure"].value = "critical"

    w.held(answer)                  # two answers, one redraw
    assert list(w.last_result[1]["engine"]) != before
    shown = shown_text(w)
    assert shown.startswith("Recommended: ")       # the answer first
    assert "Top three" in shown and "Route: q:stack" in shown
    assert len(shown.splitlines()) < 20             # the full report sits in the collapsed accordion
    assert w.details.selected_index is None and "Ranking (best first)" in w.report.value
    assert w.out.outputs[-1]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] == w.details.model_id
    assert set(w.profile) >= {"cost_of_failure", "moves_money", "crash_rate_per_hour"}


# ---------------------------------------------------------------- sweep control
def test_sweep_view_follows_its_inputs():
    fig, df = sweep_view("five-effects", ["none", "temporal"], "0, 240", runs=10, seed=1)
    assert sorted(set(df["model"])) == ["none", "temporal"] and len(df) == 4
    assert count_gids(fig, "mc-line") == 4 and count_gids(fig, "recovery") == 2
    _, more = sweep_view("five-effects", ["none"], "0, 60, 240", runs=10, seed=1)
    assert list(more["crash_rate_per_hour"]) == [0, 60, 240]


def test_sweep_control_runs_on_the_button_and_reports_bad_rates():
    w = SweepControl(scenario="five-effects", models=("none",), crash_rates="0, 120", runs=20)
    assert w.out.outputs == ()                 # nothing runs until the button is pressed
    w.button.click()
    assert w.last_error is None and kinds(w)[0] == ["text/html", "text/plain"]
    w.rates.value = "0, lots"
    w.button.click()
    assert isinstance(w.last_error, ConfigError) and "are not numbers" in shown_text(w)


def test_parse_rates():
    assert parse_rates("0, 1.5; 4") == (0.0, 1.5, 4.0)
    assert parse_rates([1, 2]) == (1, 2)
    with pytest.raises(ConfigError, match="at least one crash rate"):
        parse_rates(" , ")


def test_widgets_reject_bad_starting_values():
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        CrashLab(models=("nope",))
    with pytest.raises(ConfigError, match="unknown crash point 'later'"):
        CrashLab(point="later")
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        SweepControl(models=("nope",))
    with pytest.raises(ConfigError, match="unknown image format 'gif'"):
        SweepControl(image_format="gif")


def test_no_crash_greys_out_the_step_and_clears_the_crash_marks():
    lab = CrashLab(models=("temporal",))
    lab.point.value = "no crash"
    assert lab.step.disabled and lab.crash is None
    assert count_gids(lab.last_result[0], "crash") == 0
    lab.point.value = "before-step"
    assert not lab.step.disabled and count_gids(lab.last_result[0], "crash") == 1


def test_images_travel_as_svg_or_png():
    lab = CrashLab(models=("temporal",))
    assert figure_svg(lab.out.outputs[0]).lstrip().startswith("<?xml")
    lab = CrashLab(models=("temporal",), image_format="png")
    assert kinds(lab)[0] == ["image/png", "text/plain"]
    assert base64.b64decode(lab.out.outputs[0]["data"]["image/png"])[:4] == b"\x89PNG"


def test_svg_figures_shrink_to_the_column_and_draw_the_same_bytes_twice():
    fig, _ = crash_lab_view(THREE, "q1", "15:after-effect", seed=1)
    first, again = figure_output(fig, fmt="svg"), figure_output(fig, fmt="svg")
    page = first["data"]["text/html"]
    assert 'style="max-width:100%;height:auto"' in page and f'width="{fig.get_size_inches()[0] * 96:.0f}"' in page
    assert first == again                     # no timestamp inside: a redraw can be compared byte for byte


def test_summary_table_puts_key_columns_first_and_shows_readable_headers():
    """The plain function keeps the summary's field names; the panel shows words that wrap between them."""
    lab = CrashLab(models=THREE)
    assert list(lab.last_result[1].columns[:3]) == ["model", "completed", "stopped_because"]
    table = lab.out.outputs[1]["data"]["text/html"]
    heads = re.findall(r"<th>([^<]*)</th>", table)
    assert "simlib-table" in table and heads == [TABLE_HEADERS[c] for c in TABLE_COLUMNS]
    assert not any("_" in h for h in heads), heads


def test_seed_box_states_its_range_and_refuses_a_start_outside_it():
    lab = CrashLab(models=("temporal",), seed=5)
    assert f"0 to {SEED_BOX_MAX:,}" in lab.seed.description and lab.seed.max == SEED_BOX_MAX and lab.seed.min == 0
    with pytest.raises(ConfigError, match="seed must be a whole number from 0 to 2,147,483,647, got -5"):
        CrashLab(models=("temporal",), seed=-5)


def test_crash_step_survives_a_trip_through_a_shorter_scenario():
    lab = CrashLab(models=("temporal",), scenario="q1", step=15)
    short = min((s for s in scenario_names()), key=lambda n: get_scenario(n).max_steps)
    n = get_scenario(short).max_steps
    assert n < 15
    lab.scenario.value = short
    assert lab.step.value == n and lab.step.max == n            # clamped to fit
    lab.scenario.value = "q1"
    assert lab.step.value == 15                                  # the learner's choice is back
    lab.step.value = 2                                           # a new choice that fits everywhere
    lab.scenario.value = short
    assert lab.step.value == 2


def test_panels_explain_themselves_without_a_kernel():
    from IPython.core.formatters import format_display_data
    from IPython.display import display  # noqa: F401 - _ipython_display_ goes through it

    lab = CrashLab(models=("temporal",))
    assert REOPEN_NOTE in repr(lab) and "children=" not in repr(lab)
    bundle, _ = format_display_data(lab)
    assert "children=" not in bundle.get("text/plain", "")
    # the view's own text fallback (shown by Lab when the model is gone) must not repeat the note
    view = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in view and view["text/plain"] == ""
    hint = [w for w in lab.children[1].children[0].children if isinstance(w, widgets.HTML)]
    assert hint and "Ctrl-click" in hint[0].value and "Shift-click" in hint[0].value


def test_crash_lab_table_shows_no_recovery_for_a_run_that_stayed_stopped():
    _, table = crash_lab_view(["langgraph", "temporal"], "q1", "15:after-effect", seed=1)
    rows = table.set_index("model")
    assert not rows.loc["langgraph", "completed"] and pd.isna(rows.loc["langgraph", "time_to_recover_s"])
    assert rows.loc["temporal", "time_to_recover_s"] > 0
    shown = frame_output(table)["data"]
    assert "NaN" not in shown["text/plain"] and "nan" not in shown["text/html"]
