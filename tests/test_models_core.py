"""The first three engine models reproduce their documented behaviour."""

import pytest

from simlib import CodeChange, CrashAt, CrashAtTime, FaultSchedule, Outage, simulate


def crash(*specs, **kw):
    return FaultSchedule(crashes=tuple(CrashAt(s, p) for s, p in specs), **kw)


# ---------------------------------------------------------------- Self-Check Q1
def test_q1_without_durability_pays_for_all_14_completed_steps_again():
    s = simulate("q1", "none", seed=1).summary
    assert s.completed
    assert s.completed_steps_lost == 14          # the 14 finished calls are lost ...
    assert s.steps_reexecuted == 15              # ... and run again, with the interrupted 15th
    assert s.llm_calls == 20 + 15
    assert s.llm_calls_repeated == 15 and s.llm_cost_reexecuted_usd > 0.1


def test_q1_with_temporal_only_step_15_runs_again():
    r = simulate("q1", "temporal", seed=1)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 0
    assert s.steps_reexecuted == 1 and s.steps_replayed == 14 and s.llm_calls == 21
    again = [rec.step for rec in r.history if rec.kind == "invoke" and rec.attempt > 1]
    assert again == [15]


def test_temporal_notices_a_dead_activity_only_after_start_to_close():
    r = simulate("q1", "temporal", seed=1)
    crash_t = next(x.time for x in r.history if x.event == "crash")
    started = max(x.time for x in r.history if x.kind == "invoke" and x.step == 15 and x.attempt == 1)
    resumed = next(x.time for x in r.history if x.event == "resume")
    assert resumed == pytest.approx(started + 120.0 + 1.0)   # start_to_close + 1 s retry interval
    assert r.summary.time_to_recover_s == pytest.approx(resumed - crash_t)


def test_app_checkpoint_resumes_after_the_restart_delay():
    s = simulate("q1", "app-checkpoint", seed=1).summary
    assert s.completed_steps_lost == 0 and s.steps_reexecuted == 1
    assert s.time_to_recover_s == pytest.approx(5.0)


# ---------------------------------------------------------------- side effects
@pytest.mark.parametrize("model,expected", [
    ("none", [2, 2, 2, 1, 1]),
    ("app-checkpoint", [1, 1, 2, 1, 1]),
    ("temporal", [1, 1, 2, 1, 1]),
])
def test_crash_after_effect_duplicates(model, expected):
    s = simulate("five-effects", model, seed=3, faults=crash((3, "after-effect"))).summary
    assert s.completed and s.effects_per_step == expected
    assert s.duplicate_effects == sum(expected) - 5


@pytest.mark.parametrize("model", ["app-checkpoint", "temporal"])
def test_idempotency_keys_absorb_the_repeat(model):
    s = simulate("five-effects-keyed", model, seed=3, faults=crash((3, "after-effect"))).summary
    assert s.duplicate_effects == 0 and s.effects_per_step == [1] * 5


@pytest.mark.parametrize("point", ["before-step", "after-record"])
def test_durable_models_do_not_duplicate_outside_the_window(point):
    for model in ("app-checkpoint", "temporal"):
        s = simulate("five-effects", model, seed=3, faults=crash((3, point))).summary
        assert s.duplicate_effects == 0, model


def test_none_duplicates_even_after_record():
    s = simulate("five-effects", "none", seed=3, faults=crash((3, "after-record"))).summary
    assert s.effects_per_step == [2, 2, 2, 1, 1]


# ---------------------------------------------------------------- store outages
def test_temporal_server_outage_stalls_without_loss():
    f = FaultSchedule(outages=(Outage(1.5, 60.0),))
    s = simulate("five-effects", "temporal", seed=2, faults=f).summary
    assert s.completed and s.time_stalled_s > 0 and s.duplicate_effects == 0 and s.crashes == 0
    assert s.duration_s > 60.0


def test_app_checkpoint_db_outage_kills_the_job_and_repeats_the_step():
    f = FaultSchedule(outages=(Outage(1.5, 60.0),))
    s = simulate("five-effects", "app-checkpoint", seed=2, faults=f).summary
    assert s.completed and s.crashes == 1 and s.duplicate_effects == 1
    assert s.duration_s > 60.0


def test_none_ignores_store_outages():
    f = FaultSchedule(outages=(Outage(0.0, 1000.0),))
    s = simulate("five-effects", "none", seed=2, faults=f).summary
    assert s.completed and s.time_stalled_s == 0 and s.duration_s < 10


# ---------------------------------------------------------------- determinism of replay
def test_incompatible_code_change_stalls_temporal_with_nondeterminism_error():
    f = crash((15, "after-effect"), code_change=CodeChange("v2"))
    s = simulate("q1", "temporal", seed=1, faults=f).summary
    assert not s.completed and s.stalled.startswith("NondeterminismError")


def test_patched_code_change_replays_cleanly():
    f = crash((15, "after-effect"), code_change=CodeChange("v2-patched"))
    s = simulate("q1", "temporal", seed=1, faults=f).summary
    assert s.completed and s.stalled is None


def test_app_checkpoint_does_not_check_determinism():
    f = crash((15, "after-effect"), code_change=CodeChange("v2"))
    assert simulate("q1", "app-checkpoint", seed=1, faults=f).summary.completed


# ---------------------------------------------------------------- timers and signals
def test_durable_timer_and_buffered_signal_survive_a_crash():
    f = FaultSchedule(timed=(CrashAtTime(3000.0),))
    r = simulate("approval", "temporal", seed=1, faults=f)
    assert r.summary.completed and r.run.instances[0].result == "sent"
    assert r.summary.llm_calls == 1


def test_without_durability_the_approval_is_missed_after_a_crash():
    f = FaultSchedule(timed=(CrashAtTime(3000.0),))
    r = simulate("approval", "none", seed=1, faults=f)
    assert r.summary.completed and r.run.instances[0].result == "expired"
    assert r.summary.llm_calls == 2


def test_llm_branching_can_change_when_a_call_is_made_again():
    answers = set()
    for seed in range(20):
        r = simulate("agent-loop", "none", seed=seed, faults=crash((2, "after-record")))
        first = [x.detail["answer"] for x in r.history if x.event == "llm-call" and x.step == 1]
        if len(first) == 2:
            answers.add(first[0] == first[1])
    assert False in answers   # at least one re-run chose a different first tool


def test_unlimited_retries_of_a_tool_that_always_fails_end_with_the_clock():
    from simlib import Scenario

    def always_failing(ctx):
        yield ctx.tool("flaky", effect="call_api", fail_p=1.0)

    sc = Scenario("always-fails", "a tool that never succeeds", always_failing, max_steps=1, horizon_s=3600.0)
    r = simulate(sc, "temporal", seed=1)
    s = r.summary
    assert not s.completed and s.failed_attempts > 30   # 1 s, 2 s, 4 s ... capped at 100 s until the hour ends
    gaps = [x.time for x in r.history if x.kind == "invoke"]
    assert max(b - a for a, b in zip(gaps, gaps[1:])) <= 101.0
