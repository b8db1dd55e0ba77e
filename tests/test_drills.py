"""Crash drills: crashing any component of any model gives a run and an honest one-line verdict."""

import pytest

from simlib import ConfigError, CrashAt, Outage, model_names
from simlib.course.drills import VERDICTS, components, crash_component, drill_faults
from simlib.models import get_model
from simlib.viz.statemap import is_worker

CASES = [(m, c.name) for m in model_names() for c in get_model(m).components]


@pytest.mark.parametrize(("model", "component"), CASES)
def test_every_component_of_every_model_can_be_crashed(model, component):
    drill = crash_component(model, component, seed=2)
    assert drill.outcome in VERDICTS
    assert drill.verdict.startswith(drill.outcome + ":")
    assert "\n" not in drill.verdict and len(drill.verdict) <= 240
    assert drill.result.history is not None and drill.result.token.model == model
    worker = is_worker(next(c for c in get_model(model).components if c.name == component))
    if worker:
        assert drill.faults.crashes and not drill.faults.outages
        assert drill.result.summary.crashes >= 1        # the worker really died
    else:
        (o,) = drill.faults.outages
        assert o.component == component and o.end_s > o.start_s > 0


@pytest.mark.parametrize(("model", "component", "outcome"), [
    ("none", "worker", "loses"),             # progress lived in the worker's memory
    ("app-checkpoint", "worker", "survives"),
    ("app-checkpoint", "db", "fails"),       # the save raises, the job dies, then resumes
    ("temporal", "worker", "survives"),
    ("temporal", "server", "stalls"),        # nothing moves, nothing is lost
])
def test_verdicts_match_the_documented_behaviour(model, component, outcome):
    assert crash_component(model, component).outcome == outcome


def test_a_lost_run_says_how_many_completed_steps_ran_again():
    drill = crash_component("none", "worker")
    assert "14 completed step(s) ran again" in drill.verdict


def test_a_stall_says_how_long_it_waited():
    drill = crash_component("temporal", "server", outage_s=100.0)
    assert drill.result.summary.time_stalled_s > 0
    assert "waited" in drill.verdict and "nothing lost" in drill.verdict


def test_defaults_use_the_scenarios_own_crash_and_a_mid_run_outage():
    faults, base = drill_faults("temporal", "worker", "q1")
    assert faults.crashes == (CrashAt(15, "after-effect"),)
    faults, base = drill_faults("temporal", "server", "q1")
    (o,) = faults.outages
    assert o.start_s == pytest.approx(0.35 * base) and o.end_s - o.start_s == pytest.approx(0.25 * base)
    faults, _ = drill_faults("temporal", "worker", "five-effects", point="before-step")
    assert faults.crashes == (CrashAt(3, "before-step"),)
    faults, _ = drill_faults("temporal", "server", "q1", outage_s=30)
    assert faults.outages[0].end_s - faults.outages[0].start_s == 30
    assert isinstance(faults.outages[0], Outage)


def test_drills_are_deterministic():
    a = crash_component("app-checkpoint", "db", seed=5)
    b = crash_component("app-checkpoint", "db", seed=5)
    assert a.result.history.sha256() == b.result.history.sha256() and a.verdict == b.verdict


def test_bad_input_names_the_allowed_values():
    with pytest.raises(ConfigError, match="no component 'disk'; allowed: worker, server"):
        crash_component("temporal", "disk")
    with pytest.raises(ConfigError, match="unknown crash point 'later'"):
        crash_component("temporal", "worker", point="later")
    with pytest.raises(ConfigError, match="outage_s must be a number > 0"):
        crash_component("temporal", "server", outage_s=-5)
    with pytest.raises(ConfigError, match="unknown model"):
        crash_component("nope", "worker")
    assert components("temporal") == ["worker", "server"]
