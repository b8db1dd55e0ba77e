"""Temporal's recovery is a chain of timeouts, and its history holds the command in flight.

The numbers come from a dev-server run (temporalio 1.35, dev server 1.32; see
`simlib.conformance.temporal`): start-to-close 5 s and a 1 s retry interval, worker killed during
activity 3 and restarted at once. Attempt 2 of activity 3 started 6.0 s after the kill; its completion
went to the dead worker's sticky queue and waited out the SDK's 10 s
``sticky_queue_schedule_to_start_timeout``; the workflow completed 15.1 s after the restart.
"""

import pytest

from simlib import CodeChange, CrashAt, FaultSchedule, simulate
from simlib.conformance.sim import chain_scenario, crash_run
from simlib.conformance.temporal import RECORDED_NO_CACHE_S, RECORDED_RECOVERY_S, RECORDED_RETRY_S
from simlib.core.errors import ConfigError
from simlib.models import get_model
from simlib.models.params import parameters
from simlib.models.temporal import TemporalConfig

WORK_S = 0.2          # each activity of the conformance chain works 0.2 s, then has its effect
RECORD_S = TemporalConfig().record_s
FAST = {"start_to_close_s": 5.0, "tool_start_to_close_s": 5.0}


def events(run, name: str) -> list:
    return [r for r in run.history if r.event == name]


def test_recovery_is_start_to_close_then_backoff_then_the_sticky_timeout():
    """Kill after activity 3's effect (0.2 s into the attempt): each timeout adds up, as on the dev server."""
    sim = crash_run("temporal", 5, WORK_S, 3, **FAST)
    timeout = events(sim, "activity-timeout")
    assert [r.detail["type"] for r in timeout] == ["START_TO_CLOSE"]
    assert timeout[0].time - sim.crash_at == pytest.approx(5.0 - WORK_S)
    retry = sim.rerun_start(3) - sim.crash_at
    assert retry == pytest.approx(5.0 - WORK_S + 1.0)
    assert abs(retry - RECORDED_RETRY_S) <= 0.5
    sticky = events(sim, "workflow-task-timeout")
    assert len(sticky) == 1 and sticky[0].detail["type"] == "SCHEDULE_TO_START"
    retry_done = retry + WORK_S + RECORD_S
    assert sticky[0].time - sim.crash_at == pytest.approx(retry_done + 10.0)
    done = sim.completed_at() - sim.crash_at
    assert done == pytest.approx(retry_done + 10.0 + 2 * (WORK_S + RECORD_S))
    # The real time counts from the new worker's start (about a second after the kill); the model's from
    # the kill. Tolerance: ±1 s + 10 % of the real 15.1 s.
    assert abs(done - RECORDED_RECOVERY_S) <= 1.0 + 0.1 * RECORDED_RECOVERY_S
    assert sim.effects(5) == [1, 1, 2, 1, 1]
    assert sim.summary.extra == {"activity_timeouts": 1, "workflow_task_timeouts": 1}


def test_the_sticky_queue_is_skipped_once_the_dead_worker_has_been_silent_for_10_s():
    """Default tool start-to-close 30 s: the retry ends 31 s after the kill, past the server's poller window."""
    sim = crash_run("temporal", 5, WORK_S, 3)
    assert events(sim, "workflow-task-timeout") == []
    assert sim.completed_at() - sim.crash_at == pytest.approx(30.0 - WORK_S + 1.0 + 3 * (WORK_S + RECORD_S))


def test_no_workflow_cache_means_no_sticky_wait_and_a_full_replay_per_workflow_task():
    sim = crash_run("temporal", 5, WORK_S, 3, start_to_close_s=2.0, tool_start_to_close_s=2.0,
                    max_cached_workflows=0)
    assert events(sim, "workflow-task-timeout") == []
    done = sim.completed_at() - sim.crash_at
    assert done == pytest.approx(2.0 - WORK_S + 1.0 + 3 * (WORK_S + RECORD_S))
    assert abs(done - RECORDED_NO_CACHE_S) <= 1.0 + 0.1 * RECORDED_NO_CACHE_S
    assert sim.summary.extra["full_replays"] == 5, "one per recorded result; the lost attempt recorded none"


def test_a_heartbeat_timeout_notices_the_dead_worker_long_before_start_to_close():
    sim = crash_run("temporal", 5, WORK_S, 3, heartbeat_timeout_s=2.0)
    timeout = events(sim, "activity-timeout")
    assert [r.detail["type"] for r in timeout] == ["HEARTBEAT"]
    assert timeout[0].time - sim.crash_at == pytest.approx(2.0)
    assert sim.rerun_start(3) - sim.crash_at == pytest.approx(3.0)
    # The retry finishes 3.2 s after the kill, inside the poller window: the sticky wait follows.
    assert len(events(sim, "workflow-task-timeout")) == 1


def test_a_worker_lost_inside_a_workflow_task_costs_the_workflow_task_timeout():
    faults = FaultSchedule(crashes=(CrashAt(3, "before-step"),), restart_delay_s=0.0)
    for timeout in (10.0, 4.0):
        run = simulate(chain_scenario(5, WORK_S), get_model("temporal", workflow_task_timeout_s=timeout), seed=1,
                       faults=faults)
        crash = events(run, "crash")[0].time
        assert events(run, "resume")[0].time - crash == pytest.approx(timeout)
        assert run.summary.effects_per_step == [1, 1, 1, 1, 1]


def test_start_to_close_bounds_healthy_llm_calls_and_unlimited_retries_never_finish():
    """q1's LLM calls take 36.8-52.2 s: with start-to-close 30 s every attempt times out, forever."""
    run = simulate("q1", get_model("temporal", start_to_close_s=30.0), seed=1, until=3600.0,
                   faults=FaultSchedule())
    s = run.summary
    assert not s.completed and s.duration_s == 3600.0
    assert "start-to-close" in s.stalled and s.crashes == 0
    fails = [r for r in run.history if r.kind == "fail"]
    assert len(fails) == s.extra["activity_timeouts"] >= 20
    assert all("START_TO_CLOSE" in r.detail["error"] and r.step == 1 for r in fails)
    assert not any(r.event == "llm-call" for r in run.history), "no attempt lived long enough to get an answer"
    # ... yet the provider billed every attempt: each is a call paid for, each retry a repeat.
    assert s.llm_calls == len(fails) and s.llm_calls_repeated == len(fails) - 1
    assert s.llm_cost_reexecuted_usd == pytest.approx(s.llm_cost_usd * (len(fails) - 1) / len(fails))
    assert s.llm_cost_lost_usd == pytest.approx(s.llm_cost_usd / len(fails))   # the first attempt


def test_a_finite_retry_policy_turns_the_timeouts_into_an_activity_error():
    run = simulate("q1", get_model("temporal", start_to_close_s=30.0, retry_maximum_attempts=3), seed=1,
                   faults=FaultSchedule())
    s = run.summary
    assert not s.completed and "ActivityTaskTimedOut" in s.error and s.extra["activity_timeouts"] == 3


def test_the_default_timeouts_fit_the_course_s_llm_calls():
    s = simulate("q1", "temporal", seed=1, faults=FaultSchedule()).summary
    assert s.completed and "activity_timeouts" not in s.extra
    s = simulate("q1", "openai-agents+temporal", seed=1, faults=FaultSchedule()).summary
    assert s.completed and "activity_timeouts" not in s.extra


def test_code_inserted_before_the_activity_in_flight_raises_nondeterminism_error():
    """The history holds ActivityTaskScheduled for activity 2; the new code's timer does not match it."""
    timer = crash_run("temporal", 3, WORK_S, 2, code_change="timer")
    assert timer.summary.stalled.startswith("NondeterminismError")
    assert "scheduled" in timer.summary.stalled
    assert timer.effects(3) == [1, 1, 0], "nothing runs after the failed replay, so no duplicate effect"
    same = crash_run("temporal", 3, WORK_S, 2)
    assert same.summary.completed and same.effects(3) == [1, 2, 1]


def test_every_timing_setting_says_where_it_comes_from():
    for cls in (TemporalConfig, get_model("openai-agents+temporal").config_class):
        kinds = {p.name: p.kind for p in parameters(cls)}
        assert "unsourced" not in kinds.values(), kinds
    assert TemporalConfig().sticky_timeout_s == 10.0 and TemporalConfig().max_cached_workflows == 1000


@pytest.mark.parametrize("bad", [{"max_cached_workflows": 1.5}, {"retry_maximum_attempts": -1},
                                 {"start_to_close_s": 0.0}, {"retry_backoff_coefficient": 0.5}])
def test_bad_settings_fail_early_naming_the_field(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        get_model("temporal", **bad)


def test_a_patch_stays_off_while_replaying_the_workflow_task_that_scheduled_the_activity_in_flight():
    """``workflow.patched()`` is False during replay, including the task whose command is still in flight."""

    def chain_v2(ctx, steps: int = 3, work_s: float = WORK_S):
        out = []
        for i in range(1, steps + 1):
            if i == 2 and ctx.patched("pause-before-2"):
                yield ctx.sleep("pause", 1.0)
            out.append((yield ctx.tool(f"s{i}", effect="send_email", latency_s=work_s)))
        return out

    scenario = chain_scenario(3, WORK_S)
    scenario.variants["patched"] = chain_v2
    faults = FaultSchedule(crashes=(CrashAt(2, "after-effect"),), restart_delay_s=0.0,
                           code_change=CodeChange("patched"))
    s = simulate(scenario, "temporal", seed=1, faults=faults).summary
    assert s.completed and s.effects_per_step == [1, 2, 1]
