"""Post-mortem views: each engine's record of the same crash keeps what that engine stores, and no more."""

import pytest

import simlib
from simlib.errors import ConfigError
from simlib.models import get_model
from simlib.postmortem import blind_spots, engine_view

CRASH = simlib.FaultSchedule(crashes=(simlib.CrashAt(3, "after-effect"),))


def run(model):
    return simlib.simulate("five-effects", model, seed=644, faults=CRASH)


def test_temporal_history_keeps_only_the_final_attempt_of_the_cut_activity():
    view = engine_view(run("temporal"))
    started = view[(view.event == "ActivityTaskStarted") & (view.step == "label")]
    assert list(started.attempt) == [2]
    assert (view.event == "ActivityTaskCompleted").sum() == 5


def test_restate_shows_the_crash_as_a_backing_off_invocation_and_journals_finished_runs_only():
    view = engine_view(run("restate"))
    assert (view.event == "invocation: backing-off").any()
    assert list(view[view.event == "journal: Run"].step) == ["charge", "email", "label", "reserve", "publish"]


def test_langgraph_lists_checkpoints_newest_first():
    view = engine_view(run(get_model("langgraph", supervisor_restart_s=10.0)))
    assert view.event.iloc[0] == "checkpoint 5" and view.event.iloc[-1] == "checkpoint -1"
    assert list(view.step.iloc[-2:]) == ["__start__", "__input__"]       # N + 2 checkpoints for N nodes


def test_no_record_shows_the_lost_effect_but_the_ledger_does():
    spots = blind_spots(run("dbos"))
    assert spots["duplicate effects"] == 1 and spots["effects in world"] == 6 and spots["entries"] == 6


def test_a_model_without_a_view_is_named_with_the_allowed_ones():
    with pytest.raises(ConfigError, match="allowed: temporal, restate"):
        engine_view(run("none"))
