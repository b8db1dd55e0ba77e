"""Hypothesis properties over random fault schedules."""

from hypothesis import given, strategies as st

from simlib import CRASH_POINTS, CrashAt, FaultSchedule, Outage, RandomCrashes, simulate
from simlib.checkers import INVALID, no_recorded_result_lost

crash_st = st.builds(CrashAt, step=st.integers(1, 5), point=st.sampled_from(CRASH_POINTS),
                     attempt=st.integers(1, 2))
outage_st = st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 20), st.floats(0.5, 60))
schedule_st = st.builds(
    FaultSchedule,
    crashes=st.lists(crash_st, max_size=4).map(tuple),
    outages=st.lists(outage_st, max_size=2).map(tuple),
    random=st.none() | st.builds(RandomCrashes, st.floats(300.0, 3000.0)),
    restart_delay_s=st.floats(0.0, 30.0),
)
seed_st = st.integers(0, 10_000)
SMALL_Q1 = {"calls": 5}


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
