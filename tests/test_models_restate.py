"""Restate: a journal per invocation, replay after a crash, pause after 70 attempts, virtual objects."""

import pytest
from hypothesis import given, strategies as st

from simlib import (CRASH_POINTS, CodeChange, ConfigError, CrashAt, CrashAtTime, FaultSchedule, Outage,
                    RandomCrashes, Scenario, get_model, simulate)

from strategies import SMALL_Q1, outage_st, seed_st  # noqa: E402

vo_schedule_st = st.builds(
    FaultSchedule,
    crashes=st.lists(st.builds(CrashAt, step=st.integers(1, 2), point=st.sampled_from(CRASH_POINTS),
                               attempt=st.integers(1, 2), workflow=st.sampled_from([None, "wf-1", "wf-2"])),
                     max_size=4).map(tuple),
    outages=st.lists(outage_st, max_size=2).map(tuple),
    random=st.none() | st.builds(RandomCrashes, st.floats(30.0, 300.0)),
    restart_delay_s=st.floats(0.0, 30.0),
)


# ---------------------------------------------------------------- guarantees under random faults
# (keeps-finished-steps and duplicates-only-after-effect: tests/test_guarantees.py)
@given(vo_schedule_st, seed_st)
def test_same_token_same_history(faults, seed):
    a = simulate("virtual-object", "restate", seed=seed, faults=faults)
    b = simulate("virtual-object", "restate", seed=seed, faults=faults)
    assert a.history.to_json() == b.history.to_json()


@given(vo_schedule_st, seed_st)
def test_handlers_of_one_key_never_overlap(faults, seed):
    r = simulate("virtual-object", "restate", seed=seed, faults=faults)
    spans = {}
    for x in r.history:
        if x.kind == "invoke" or x.event in ("complete", "start"):
            lo, hi = spans.get(x.workflow, (x.time, x.time))
            spans[x.workflow] = (min(lo, x.time), max(hi, x.time))
    ordered = sorted(spans.values())
    assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:]))


# ---------------------------------------------------------------- Self-Check Q1
def test_q1_only_step_15_runs_again():
    r = simulate("q1", "restate", seed=1)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 0
    assert s.steps_reexecuted == 1 and s.steps_replayed == 14 and s.llm_calls == 21
    assert [x.step for x in r.history if x.kind == "invoke" and x.attempt > 1] == [15]


NO_JITTER = get_model("restate", jitter_multiplier=0)


def test_recovery_follows_the_retry_schedule_until_the_deployment_is_back():
    # Retries at 0.5, 1.5 and 3.5 s find the deployment restarting (5 s); the one at 7.5 s gets through.
    r = simulate("q1", NO_JITTER, seed=1)
    assert r.summary.time_to_recover_s == pytest.approx(7.5)
    assert len([x for x in r.history if x.event == "attempt-failed"]) == 3
    assert r.run.instances[0].state.attempt == 5


def test_with_jitter_each_wait_is_up_to_30_percent_longer():
    """The server adds 3 ms up to 0.3 x the interval to each wait: the 7.5 s retry lands in [7.512, 9.75] s."""
    r = simulate("q1", "restate", seed=1)
    assert len([x for x in r.history if x.event == "attempt-failed"]) == 3
    assert 7.5 + 4 * 0.003 <= r.summary.time_to_recover_s <= 7.5 * 1.3
    assert r.summary.time_to_recover_s != pytest.approx(7.5)


def test_jitter_comes_from_the_run_s_seed():
    a, b, c = (simulate("q1", "restate", seed=s).summary.time_to_recover_s for s in (1, 1, 2))
    assert a == b and a != c


@given(st.integers(1, 80), seed_st)
def test_a_jittered_wait_stays_within_the_server_s_bounds(attempt, seed):
    from simlib.core.rng import RunRandom

    model = get_model("restate")
    base = model.config.policy().delay(attempt)
    wait = model.backoff(type("Run", (), {"rng": RunRandom(seed)})()).delay(attempt)
    if base is None:
        assert wait is None
    else:
        assert base + 0.003 <= wait <= base * 1.3 + 1e-9


def test_with_a_second_replica_recovery_is_the_first_backoff():
    s = simulate("q1", NO_JITTER.with_config(workers=2), seed=1).summary
    assert s.time_to_recover_s == pytest.approx(0.5)


def test_a_journal_entry_per_context_operation():
    r = simulate("approval", "restate", seed=1)
    assert [k for k, _, _ in r.run.instances[0].journal] == ["llm", "timer", "wait", "tool"]


# ---------------------------------------------------------------- retries and pause
def test_a_crash_loop_pauses_the_invocation_after_70_attempts():
    faults = FaultSchedule(crashes=(CrashAt(3, "before-step", attempt=None),), restart_delay_s=0.0)
    r = simulate("q1", NO_JITTER, seed=1, faults=faults, params=SMALL_Q1)
    s = r.summary
    assert not s.completed and s.stalled.startswith("paused") and s.crashes == 70
    assert r.run.instances[0].attempts[3] == 70
    resumes = [x.time for x in r.history if x.event == "resume"]
    crashes = [x.time for x in r.history if x.event == "crash"]
    waits = [b - a for a, b in zip(crashes, resumes)]
    assert waits[:4] == pytest.approx([0.5, 1.0, 2.0, 4.0]) and max(waits) == pytest.approx(60.0)
    paused = [x for x in r.history if x.event == "paused"]
    assert len(paused) == 1 and paused[0].detail["attempts"] == 70


def test_failed_connection_attempts_count_toward_the_70():
    faults = FaultSchedule(crashes=(CrashAt(3, "before-step", attempt=None),), restart_delay_s=5.0)
    r = simulate("q1", "restate", seed=1, faults=faults, params=SMALL_Q1)
    assert r.summary.stalled.startswith("paused") and r.summary.crashes < 70
    assert r.run.instances[0].state.attempt == 70


def _flaky(ctx):
    yield ctx.llm("plan", mean_latency_s=5.0)
    yield ctx.tool("fetch", latency_s=2.0, fail_p=1.0)
    return "ok"


FLAKY = Scenario(name="flaky-fetch", description="a ctx.run that always fails", workflow=_flaky, max_steps=2)


def test_a_failing_ctx_run_retries_with_backoff_then_pauses():
    r = simulate(FLAKY, NO_JITTER, seed=1)
    invokes = [x for x in r.history if x.kind == "invoke" and x.step == 2]
    fails = [x for x in r.history if x.kind == "fail" and x.step == 2]
    waits = [b.time - a.time for a, b in zip(fails, invokes[1:])]
    assert waits[:5] == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0]) and max(waits) == pytest.approx(60.0)
    assert len(invokes) == 70 and r.summary.stalled.startswith("paused")


def test_max_attempts_zero_retries_forever():
    faults = FaultSchedule(crashes=(CrashAt(3, "before-step", attempt=None),), restart_delay_s=0.0)
    r = simulate("q1", get_model("restate", max_attempts=0), seed=1, faults=faults, params=SMALL_Q1,
                 until=4 * 3600.0)
    assert r.summary.stalled is None and r.summary.crashes > 200


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="jitter_multiplier"):
        get_model("restate", jitter_multiplier=1.5)
    with pytest.raises(ConfigError, match="key_param"):
        get_model("restate", key_param="")
    with pytest.raises(ConfigError, match="max_attempts"):
        get_model("restate", max_attempts=2.5)


def test_a_changed_journal_raises_rt0016():
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), code_change=CodeChange("v2"))
    s = simulate("q1", "restate", seed=1, faults=f).summary
    assert not s.completed and s.stalled.startswith("NondeterminismError") and "RT0016" in s.stalled


# ---------------------------------------------------------------- virtual objects
def test_virtual_object_invocations_queue_per_key():
    r = simulate("virtual-object", "restate", seed=1)
    queued = [x for x in r.history if x.event == "queued"]
    done = {x.workflow: x.time for x in r.history if x.event == "complete"}
    assert [(x.workflow, x.detail["behind"]) for x in queued] == [("wf-2", "wf-1"), ("wf-3", "wf-2")]
    assert all(x.detail["key"] == "customer-42" for x in queued)
    # wf-2 arrived at 1 s and waited until wf-1 finished; wf-3 arrived at 2 s and waited for wf-2.
    assert queued[0].detail["waited_s"] == pytest.approx(done["wf-1"] - 1.0, abs=1e-5)
    assert queued[1].detail["waited_s"] == pytest.approx(done["wf-2"] - 2.0, abs=1e-5)
    assert r.summary.extra["queued_s"] == pytest.approx(done["wf-1"] + done["wf-2"] - 3.0, abs=1e-4)


def test_without_virtual_objects_the_same_requests_overlap():
    r = simulate("virtual-object", "temporal", seed=1)
    starts = sorted(x.time for x in r.history if x.event == "start")
    first_done = min(x.time for x in r.history if x.event == "complete")
    assert starts[-1] < first_done and not any(x.event == "queued" for x in r.history)


def test_different_keys_do_not_queue():
    r = simulate("virtual-object", "restate", seed=1, params={"object_key": None})
    assert not any(x.event == "queued" for x in r.history) and r.summary.completed


def test_the_key_stays_locked_while_its_invocation_recovers():
    f = FaultSchedule(crashes=(CrashAt(2, "after-effect", workflow="wf-1"),))
    r = simulate("virtual-object", "restate", seed=1, faults=f)
    wf1_done = next(x.time for x in r.history if x.event == "complete" and x.workflow == "wf-1")
    wf2_start = next(x.time for x in r.history if x.event == "start" and x.workflow == "wf-2")
    assert wf2_start == pytest.approx(wf1_done) and r.summary.completed
    # The cart update is a keyed call, so its repeat is absorbed.
    assert r.summary.duplicate_effects == 0


def test_a_paused_invocation_keeps_its_key():
    f = FaultSchedule(crashes=(CrashAt(1, "before-step", attempt=None, workflow="wf-1"),), restart_delay_s=0.0)
    r = simulate("virtual-object", "restate", seed=1, faults=f)
    assert r.run.instances[0].stalled.startswith("paused")
    assert not any(x.event == "start" and x.workflow != "wf-1" for x in r.history)


# ---------------------------------------------------------------- durable sleep, awakeables, outages
@pytest.mark.parametrize("crash_at", [300.0, 3000.0])
def test_durable_sleep_and_awakeable_survive_a_crash(crash_at):
    r = simulate("approval", "restate", seed=1, faults=FaultSchedule(timed=(CrashAtTime(crash_at),)))
    assert r.summary.completed and r.run.instances[0].result == "sent" and r.summary.llm_calls == 1
    # The invocation was suspended, so the crash used no retry attempt.
    assert r.run.instances[0].state.attempt == 1


def test_a_server_outage_stalls_work_without_loss():
    f = FaultSchedule(outages=(Outage(1.5, 60.0, "server"),))
    s = simulate("five-effects", "restate", seed=2, faults=f).summary
    assert s.completed and s.time_stalled_s > 0 and s.crashes == 0 and s.duplicate_effects == 0
    assert s.duration_s > 60.0


def test_no_retry_is_attempted_while_the_server_is_down():
    """The restarted server invokes again 0.6 s after it is back, its retry count at 1."""
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), outages=(Outage(660.0, 900.0, "server"),),
                      restart_delay_s=0.0)
    r = simulate("q1", "restate", seed=1, faults=f)
    resumed = next(x.time for x in r.history if x.event == "resume")
    assert resumed == pytest.approx(900.6) and r.run.instances[0].state.attempt == 1


def test_a_server_restart_between_retries_resets_the_retry_count():
    """Measured on Restate 1.7: retry_count 3 before the server is killed, 1 right after it restarts.

    The retry timer dies with the server, so the restarted server's first attempt comes when it is
    back (plus `server_resume_s`), not at the old schedule's next retry, and the waits start at 0.5 s again.
    """
    plain = FaultSchedule(crashes=(CrashAt(3, "after-effect"),), restart_delay_s=6.0)
    crash = next(x.time for x in simulate("q1", NO_JITTER, seed=1, faults=plain, params=SMALL_Q1).history
                 if x.event == "crash")
    f = FaultSchedule(crashes=plain.crashes, outages=(Outage(crash + 2.0, crash + 2.1, "server"),),
                      restart_delay_s=6.0)
    r = simulate("q1", NO_JITTER, seed=1, faults=f, params=SMALL_Q1)
    seen = [(round(x.time - crash, 6), x.event, x.attempt) for x in r.history
            if x.event in ("attempt-failed", "retries-reset", "resume")]
    assert seen == [(0.5, "attempt-failed", 2), (1.5, "attempt-failed", 3),
                    (2.7, "retries-reset", 1), (2.7, "attempt-failed", 1), (3.2, "attempt-failed", 2),
                    (4.2, "attempt-failed", 3), (6.2, "resume", 2)]
    assert r.summary.completed and r.run.instances[0].state.attempt == 4


def test_without_the_reset_the_same_outage_would_have_waited_for_the_old_schedule():
    """Compare: with the server up the whole time the retry after 3.5 s of backoff comes at 7.5 s."""
    f = FaultSchedule(crashes=(CrashAt(3, "after-effect"),), restart_delay_s=6.0)
    r = simulate("q1", NO_JITTER, seed=1, faults=f, params=SMALL_Q1)
    assert r.summary.time_to_recover_s == pytest.approx(7.5)


def test_a_failing_ctx_run_waits_are_jittered_too():
    r = simulate(FLAKY, "restate", seed=1)
    invokes = [x for x in r.history if x.kind == "invoke" and x.step == 2]
    fails = [x for x in r.history if x.kind == "fail" and x.step == 2]
    waits = [b.time - a.time for a, b in zip(fails, invokes[1:])]
    bases = [min(0.5 * 2 ** i, 60.0) for i in range(len(waits))]
    assert all(b + 0.003 <= w <= b * 1.3 + 1e-9 for b, w in zip(bases, waits))
    assert len(set(round(w / b, 6) for b, w in zip(bases, waits))) > 10     # a fresh draw for each wait
