"""Inngest: one request per step, results memoized by step id, platform-driven retries."""

import pytest

from simlib import (ActivityError, CodeChange, ConfigError, CrashAt, CrashAtTime, FaultSchedule, Outage,
                    Scenario, get_model, simulate)
from simlib.models.inngest import BACKOFF_TABLE_S, step_id_hash



def steps_of(history, event="invoke"):
    return [x for x in history if x.kind == event]


# Guarantees under random faults: tests/test_guarantees.py (declared in Inngest.guarantees).


# ---------------------------------------------------------------- Self-Check Q1
def test_q1_only_step_15_runs_again_after_the_first_retry_wait():
    r = simulate("q1", "inngest", seed=1)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 0
    assert s.steps_reexecuted == 1 and s.steps_replayed == 14 and s.llm_calls == 21
    assert [x.step for x in steps_of(r.history) if x.attempt > 1] == [15]
    # The connection reset is seen at once; the retry waits the table's first entry (15 s),
    # which is longer than the app's 5 s restart.
    assert s.time_to_recover_s == pytest.approx(BACKOFF_TABLE_S[0])


def test_a_quick_restart_does_not_shorten_the_retry_wait():
    s = simulate("q1", "inngest", seed=1, faults=FaultSchedule(crashes=(CrashAt(15, "after-effect"),),
                                                                restart_delay_s=0.0)).summary
    assert s.time_to_recover_s == pytest.approx(15.0)


def test_a_slow_restart_delays_the_retry():
    s = simulate("q1", "inngest", seed=1, faults=FaultSchedule(crashes=(CrashAt(15, "after-effect"),),
                                                                restart_delay_s=40.0)).summary
    assert s.time_to_recover_s == pytest.approx(40.0)


# ---------------------------------------------------------------- code outside step.run
@pytest.mark.parametrize("calls", [1, 5, 20])
def test_code_outside_steps_runs_once_per_request(calls):
    """One request per step plus the final one; every request after the first re-runs the body."""
    extra = simulate("q1", "inngest", seed=4, faults=FaultSchedule(), params={"calls": calls}).summary.extra
    assert extra["requests"] == calls + 1
    assert extra["outside_step_reruns"] == calls
    # Request k passes through the k - 1 memoized steps before it; the last passes all of them.
    assert extra["memoized_reads"] == calls * (calls - 1) // 2 + calls


def test_outside_step_reruns_grow_with_the_number_of_steps():
    reruns = [simulate("q1", "inngest", seed=4, faults=FaultSchedule(), params={"calls": n}).summary
              .extra["outside_step_reruns"] for n in (2, 4, 8, 16)]
    assert reruns == sorted(reruns) and len(set(reruns)) == 4


def test_a_crash_costs_one_more_request():
    extra = simulate("q1", "inngest", seed=1).summary.extra
    assert extra["requests"] == 22 and extra["outside_step_reruns"] == 21
    assert extra["memoized_reads"] == 210 + 14   # the retry of step 15 passed 14 memoized steps


# ---------------------------------------------------------------- retries
def _flaky(ctx, catch: bool = True):
    yield ctx.llm("plan", mean_latency_s=5.0)
    try:
        yield ctx.tool("fetch", latency_s=2.0, fail_p=1.0)
    except ActivityError as e:
        if not catch:
            raise
        return f"gave up: {e}"
    return "ok"


FLAKY = Scenario(name="flaky-fetch", description="a tool that always fails", workflow=_flaky, max_steps=2)


def test_a_failing_step_gets_five_attempts_on_the_backoff_table():
    r = simulate(FLAKY, "inngest", seed=1)
    invokes = [x for x in steps_of(r.history) if x.step == 2]
    fails = [x for x in r.history if x.kind == "fail" and x.step == 2]
    assert [x.attempt for x in invokes] == [1, 2, 3, 4, 5]
    waits = [b.time - a.time for a, b in zip(fails, invokes[1:])]
    assert waits == pytest.approx([15.0, 30.0, 60.0, 120.0])
    assert r.summary.completed and r.run.instances[0].result.startswith("gave up: fetch: failed after 5")


def test_an_uncaught_step_failure_fails_the_function():
    r = simulate(FLAKY, "inngest", seed=1, params={"catch": False})
    assert not r.summary.completed and "failed after 5 attempts" in r.summary.error


def test_retries_setting():
    r = simulate(FLAKY, get_model("inngest", retries=0), seed=1)
    assert r.summary.failed_attempts == 1
    with pytest.raises(ConfigError, match="retries"):
        get_model("inngest", retries=21)


def test_a_crash_loop_uses_up_the_attempts_and_fails_the_step():
    faults = FaultSchedule(crashes=(CrashAt(2, "after-effect", attempt=None),), restart_delay_s=0.0)
    r = simulate("five-effects", "inngest", seed=1, faults=faults)
    crashes = [x for x in r.history if x.event == "crash"]
    resumes = [x for x in r.history if x.event == "resume"]
    assert len(crashes) == 5
    waits = [b.time - a.time for a, b in zip(crashes, resumes)]
    assert waits[:4] == pytest.approx([15.0, 30.0, 60.0, 120.0])
    assert not r.summary.completed and "failed after 5 attempts" in r.summary.error
    assert r.summary.effects_per_step[:2] == [1, 5]   # at-least-once: each attempt charged again


# ---------------------------------------------------------------- step ids and versioning
def test_a_reordered_deploy_only_warns_and_reuses_memoized_steps():
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), code_change=CodeChange("v2"))
    r = simulate("q1", "inngest", seed=1, faults=f)
    s = r.summary
    assert s.completed and s.stalled is None
    assert s.llm_calls == 21 and s.completed_steps_lost == 0 and s.steps_replayed == 14
    assert s.extra["order_warnings"] == 1
    crashed = next(x.time for x in r.history if x.event == "crash")
    assert [x.detail["name"] for x in steps_of(r.history) if x.time > crashed][:2] == ["moderate", "llm-15"]


def _three(ctx):
    for i in range(3):
        yield ctx.llm("ask", mean_latency_s=5.0)
    yield ctx.tool("save", effect="write_db")


def _three_renamed(ctx):
    yield ctx.llm("ask-v2", mean_latency_s=5.0)
    for i in range(2):
        yield ctx.llm("ask", mean_latency_s=5.0)
    yield ctx.tool("save", effect="write_db")


THREE = Scenario(name="three-asks", description="one step name used three times", workflow=_three,
                 max_steps=4, variants={"renamed": _three_renamed})


def test_repeated_names_get_a_counter_in_their_step_id():
    r = simulate(THREE, "inngest", seed=2, faults=FaultSchedule(crashes=(CrashAt(4, "before-step"),)))
    ids = [x.detail["step_id"] for x in r.history if x.event == "replay"]
    assert ids == ["ask", "ask:1", "ask:2"]
    assert step_id_hash("ask:1") != step_id_hash("ask")


def test_a_changed_step_id_runs_as_a_new_step():
    f = FaultSchedule(crashes=(CrashAt(4, "before-step"),), code_change=CodeChange("renamed"))
    r = simulate(THREE, "inngest", seed=2, faults=f)
    s = r.summary
    # "ask-v2" is new and runs; "ask" and "ask:1" are memoized; "ask:2" no longer exists.
    assert s.completed and s.llm_calls == 4 and s.steps_replayed == 2
    assert s.completed_steps_lost == 0


# ---------------------------------------------------------------- sleep, waitForEvent, outages
@pytest.mark.parametrize("crash_at", [300.0, 3000.0])
def test_sleep_and_wait_for_event_are_durable(crash_at):
    r = simulate("approval", "inngest", seed=1, faults=FaultSchedule(timed=(CrashAtTime(crash_at),)))
    assert r.summary.completed and r.run.instances[0].result == "sent" and r.summary.llm_calls == 1


def test_wait_for_event_returns_null_on_timeout_even_across_a_crash():
    r = simulate("approval", "inngest", seed=1, faults=FaultSchedule(timed=(CrashAtTime(1000.0),)),
                 params={"timeout_s": 1000.0})
    assert r.run.instances[0].result == "expired"
    # The wait kept its original deadline (it started after the 600 s cool-off, ~620 s in).
    assert r.summary.duration_s == pytest.approx(1620.0, abs=5.0)


def test_a_platform_outage_stalls_runs_without_loss():
    f = FaultSchedule(outages=(Outage(1.5, 60.0, "platform"),))
    s = simulate("five-effects", "inngest", seed=2, faults=f).summary
    assert s.completed and s.time_stalled_s > 0 and s.crashes == 0 and s.duplicate_effects == 0
    assert s.duration_s > 60.0


def test_a_retry_waits_for_the_platform():
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), outages=(Outage(660.0, 900.0, "platform"),))
    r = simulate("q1", "inngest", seed=1, faults=f)
    resumed = next(x.time for x in r.history if x.event == "resume")
    assert resumed == pytest.approx(900.0) and r.summary.completed
