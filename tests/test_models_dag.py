"""The DAG-as-config model: a graph declared up front, zombie detection, Airflow's retry defaults."""

import pytest
from hypothesis import given, strategies as st

from simlib import (ConfigError, CrashAt, FaultSchedule, Outage, Scenario,
                    get_model, get_scenario, simulate)
from simlib.core.checkers import INVALID, no_recorded_result_lost
from simlib.models.dag import DagDeclarationError, declare_dag
from simlib.scenarios.dag import NIGHT_S


def crash(*specs, **kw):
    return FaultSchedule(crashes=tuple(CrashAt(s, p) for s, p in specs), **kw)


def dag(**cfg):
    return get_model("dag", **cfg)


def first(history, event, **match):
    return next(x for x in history if x.event == event and all(getattr(x, k) == v for k, v in match.items()))


# ---------------------------------------------------------------- zombies and retries
def test_with_airflows_default_of_0_retries_a_dead_worker_fails_the_dag_run():
    r = simulate("q1", "dag", seed=1)
    s = r.summary
    assert not s.completed and "zombie" in s.error and "retries=0" in s.error
    assert s.steps_reexecuted == 0 and s.completed_steps_lost == 0 and s.llm_calls == 15
    assert not any(x.event == "resume" for x in r.history)       # nothing runs again by itself
    assert get_model("dag").crash_fails_run and not dag(retries=1).crash_fails_run


def test_the_scheduler_notices_the_dead_worker_about_300_s_later():
    r = simulate("q1", "dag", seed=1)
    crash_t = first(r.history, "crash").time
    failed = first(r.history, "zombie")
    assert failed.kind == "fail" and failed.step == 15 and failed.detail["state"] == "failed"
    last_hb = failed.time - 300.0
    assert last_hb % 5 == pytest.approx(0.0, abs=1e-9) and crash_t - 5 < last_hb <= crash_t
    assert r.summary.duration_s == pytest.approx(failed.time)


def test_one_retry_recovers_after_the_zombie_threshold_plus_the_retry_delay():
    r = simulate("q1", dag(retries=1), seed=1)
    s = r.summary
    assert s.completed and s.steps_reexecuted == 1 and s.completed_steps_lost == 0 and s.steps_replayed == 14
    crash_t = first(r.history, "crash").time
    note = first(r.history, "zombie")
    assert note.detail["state"] == "up_for_retry" and note.time - crash_t <= 300.0
    resumed = first(r.history, "resume").time
    assert resumed == pytest.approx(note.time + 300.0)
    assert 595.0 < s.time_to_recover_s <= 600.0


def test_exponential_backoff_doubles_the_retry_delay():
    faults = FaultSchedule(crashes=(CrashAt(3, "after-effect", attempt=1), CrashAt(3, "after-effect", attempt=2)))
    r = simulate("five-effects", dag(retries=2, retry_exponential_backoff=True), seed=1, faults=faults)
    waits = [x.detail["retry_in_s"] for x in r.history if x.event == "zombie"]
    assert r.summary.completed and waits == [300.0, 600.0]


def test_a_zombie_try_and_a_failed_try_share_the_retries():
    def flaky(ctx):
        yield ctx.tool("flaky", effect=None, latency_s=5.0, fail_p=1.0)

    sc = Scenario("flaky", "always fails", flaky, max_steps=1)
    r = simulate(sc, dag(retries=2), seed=1, faults=crash((1, "after-effect")))
    assert r.run.instances[0].attempts[1] == 3          # one zombie try + two failed tries
    assert not r.summary.completed and "failed after 3 attempts" in r.summary.error


def test_a_crash_after_the_task_finished_needs_no_zombie_detection():
    r = simulate("five-effects", "dag", seed=3, faults=crash((3, "after-record")))
    assert r.summary.completed and r.summary.duplicate_effects == 0
    assert r.summary.time_to_recover_s == pytest.approx(5.0)
    assert not any(x.event == "zombie" for x in r.history)


def test_a_retried_task_runs_again_from_its_start_with_its_effect():
    s = simulate("five-effects", dag(retries=1), seed=3, faults=crash((3, "after-effect"))).summary
    assert s.completed and s.effects_per_step == [1, 1, 2, 1, 1]


def test_a_crash_during_a_sensor_wait_is_not_a_zombie():
    from simlib import CrashAtTime

    r = simulate("approval", "dag", seed=1, faults=FaultSchedule(timed=(CrashAtTime(3000.0),)))
    assert r.summary.completed and r.run.instances[0].result == "sent"
    assert not any(x.event == "zombie" for x in r.history)


# ---------------------------------------------------------------- metadata-db outage
def test_a_metadata_db_outage_stalls_scheduling_without_loss():
    for component in ("metadata-db", "store", "scheduler"):
        f = FaultSchedule(outages=(Outage(1.5, 60.0, component),))
        s = simulate("five-effects", "dag", seed=2, faults=f).summary
        assert s.completed and s.time_stalled_s > 50 and s.duration_s > 60.0
        assert s.crashes == 0 and s.duplicate_effects == 0 and s.steps_reexecuted == 0


def test_zombie_detection_waits_for_the_metadata_db():
    f = crash((15, "after-effect"), outages=(Outage(700.0, 2000.0, "metadata-db"),))
    r = simulate("q1", dag(retries=1), seed=1, faults=f)
    note = first(r.history, "zombie")
    assert note.time == pytest.approx(2000.0) and r.summary.completed


# ---------------------------------------------------------------- the graph is declared up front
def test_a_workflow_steered_by_the_llm_cannot_be_declared():
    r = simulate("agent-loop", "dag", seed=1)
    s = r.summary
    assert not s.completed and s.error.startswith("DagDeclarationError")
    for words in ("depends on an LLM answer", "generated at run time", "declared before the run",
                  "delegate the dynamic part to an agent service"):
        assert words in s.error
    assert s.steps_executed == 0 and s.llm_calls == 0       # rejected before anything ran
    assert [x.event for x in r.history] == ["dag-import-error"]


def test_the_declaration_pass_tells_static_from_dynamic():
    agent = declare_dag(get_scenario("agent-loop"))
    assert agent.dynamic and "plan-1" in agent.reason
    for name, n in (("q1", 20), ("nightly-etl", 6), ("agent-loop-delegated", 4), ("approval", 4),
                    ("doc-batch", 3), ("five-effects", 5)):
        d = declare_dag(get_scenario(name))
        assert not d.dynamic and d.verified and len(d.tasks) == n, name
    # An LLM answer used as data (a summary, a label) keeps the graph static; used as a choice it does not.
    assert declare_dag(get_scenario("q1")).tasks[0] == ("llm", "llm-01")


def test_a_branch_the_parser_could_not_see_is_stopped_at_run_time():
    def sneaky(ctx):
        yield ctx.tool("check", effect=None, latency_s=1.0)
        if ctx.now() > 0.5:          # the parser's clock says 0, so it declared only "usual-path"
            yield ctx.tool("late-path", effect="send_email")
        else:
            yield ctx.tool("usual-path", effect=None)

    sc = Scenario("sneaky", "branches on the clock", sneaky, max_steps=2)
    assert [n for _, n in declare_dag(sc).tasks] == ["check", "usual-path"]
    s = simulate(sc, "dag", seed=1).summary
    assert not s.completed and "'late-path' is not in the declared DAG" in s.error and s.effects == 0
    assert isinstance(DagDeclarationError("x"), ConfigError)


def test_the_delegated_agent_runs_under_a_static_dag():
    r = simulate("agent-loop-delegated", "dag", seed=1)
    assert r.summary.completed and r.run.instances[0].result == "resolved"
    assert r.summary.effects_per_key == {"wf-1:run-agent": 1, "wf-1:record-outcome": 1}


def test_a_retried_start_attaches_to_the_same_agent_run():
    r = simulate("agent-loop-delegated", dag(retries=1), seed=1, faults=crash((2, "after-effect")))
    s = r.summary
    assert s.completed and s.duplicate_effects == 0
    starts = [x for x in r.history if x.event == "effect" and x.detail["name"] == "run-agent"]
    assert [x.detail["deduplicated"] for x in starts] == [False, True]


def test_the_nightly_dag_runs_every_night_on_schedule():
    r = simulate("nightly-etl", "dag", seed=1)
    s = r.summary
    assert s.completed and s.duplicate_effects == 0 and len(r.run.instances) == 3
    starts = [x.time for x in r.history if x.event == "start"]
    assert starts == [0.0, NIGHT_S, 2 * NIGHT_S]
    nights = [i.ended_at - i.started_at for i in r.run.instances]
    assert all(3600.0 < d < 4500.0 for d in nights)


def test_nightly_dag_with_a_retry_survives_a_dead_worker():
    faults = FaultSchedule(crashes=(CrashAt(3, "after-effect", workflow="wf-2"),))
    bare = simulate("nightly-etl", "dag", seed=1, faults=faults)
    assert [i.finished for i in bare.run.instances] == [True, False, True]   # one failed night
    s = simulate("nightly-etl", dag(retries=1), seed=1, faults=faults).summary
    assert s.completed and s.steps_reexecuted == 1


def test_bad_settings_name_the_field():
    with pytest.raises(ConfigError, match="retries"):
        dag(retries=-1)
    with pytest.raises(ConfigError, match="retries"):
        dag(retries=0.5)
    with pytest.raises(ConfigError, match="allowed"):
        dag(zombie_timeout=3)


# ---------------------------------------------------------------- guarantees under any schedule
from strategies import long_schedule_st as schedule_st, seed_st  # noqa: E402


@given(schedule_st, seed_st)
def test_with_retries_completed_tasks_never_run_again(faults, seed):
    r = simulate("q1", dag(retries=50), seed=seed, faults=faults, params={"calls": 5})
    assert r.summary.completed, r.summary.error
    assert r.summary.completed_steps_lost == 0
    assert no_recorded_result_lost(r.history).status != INVALID


@given(schedule_st, seed_st)
def test_without_retries_a_run_completes_or_fails_on_a_zombie_and_loses_nothing(faults, seed):
    r = simulate("q1", "dag", seed=seed, faults=faults, params={"calls": 5})
    s = r.summary
    assert s.completed_steps_lost == 0 and s.steps_reexecuted == 0
    if not s.completed:
        assert "zombie" in s.error and s.crashes >= 1 and s.stalled is None


@given(schedule_st, seed_st)
def test_same_token_same_history(faults, seed):
    a = simulate("five-effects", dag(retries=3), seed=seed, faults=faults)
    b = simulate("five-effects", dag(retries=3), seed=seed, faults=faults)
    assert a.history.sha256() == b.history.sha256()
    assert a.summary.to_dict() == b.summary.to_dict()


@given(st.lists(st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 30), st.floats(0.5, 300)),
                min_size=1, max_size=3).map(tuple), seed_st)
def test_outages_stall_without_loss(outages, seed):
    s = simulate("five-effects", "dag", seed=seed, faults=FaultSchedule(outages=outages)).summary
    assert s.completed and s.crashes == 0 and s.duplicate_effects == 0 and s.steps_reexecuted == 0
