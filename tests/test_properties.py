"""Hypothesis properties over random fault schedules."""

from hypothesis import given, strategies as st

from simlib import FaultSchedule, simulate
from simlib.core.checkers import INVALID, no_recorded_result_lost

from strategies import SMALL_Q1, schedule_st, seed_st


@given(schedule_st, seed_st)
def test_temporal_never_reruns_a_recorded_activity_nor_loses_its_result(faults, seed):
    r = simulate("q1", "temporal", seed=seed, faults=faults, params=SMALL_Q1)
    assert no_recorded_result_lost(r.history).status != INVALID
    assert r.summary.completed_steps_lost == 0 and r.summary.completed


@given(schedule_st, seed_st)
def test_duplicates_arise_only_from_crashes_after_the_effect(faults, seed):
    safe = tuple(c for c in faults.crashes if c.point != "after-effect")
    # Temporal stalls on a server outage, so outages stay in; the app-checkpoint's save
    # raises during a DB outage, which is itself a crash after the effect, so they go.
    s = simulate("five-effects", "temporal", seed=seed, faults=FaultSchedule(
        crashes=safe, outages=faults.outages, restart_delay_s=faults.restart_delay_s)).summary
    assert s.duplicate_effects == 0
    s = simulate("five-effects", "app-checkpoint", seed=seed, faults=FaultSchedule(
        crashes=safe, restart_delay_s=faults.restart_delay_s)).summary
    assert s.duplicate_effects == 0
    r = simulate("five-effects", "temporal", seed=seed, faults=faults)
    dup_steps = {i + 1 for i, n in enumerate(r.summary.effects_per_step) if n > 1}
    crashed_after_effect = {x.step for x in r.history if x.event == "crash"
                            and x.detail["point"] in ("after-effect", "store-unavailable")}
    assert dup_steps <= crashed_after_effect


@given(schedule_st, seed_st)
def test_none_restarts_from_step_one_after_every_crash(faults, seed):
    r = simulate("five-effects", "none", seed=seed, faults=faults)
    recs = list(r.history)
    for i, x in enumerate(recs):
        if x.event == "resume":
            first = next((y for y in recs[i + 1:] if y.kind == "invoke"), None)
            if first is not None:
                assert first.step == 1
    assert r.summary.completed


@given(schedule_st, seed_st, st.sampled_from(["none", "app-checkpoint", "temporal"]))
def test_same_token_same_history(faults, seed, model):
    a = simulate("five-effects", model, seed=seed, faults=faults)
    b = simulate("five-effects", model, seed=seed, faults=faults)
    assert a.history.to_json() == b.history.to_json()
