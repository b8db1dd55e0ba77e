"""DBOS Transact: checkpoints in your own database, steps at-least-once, transactions exactly-once."""

import pytest
from hypothesis import given, strategies as st

from simlib import (CRASH_POINTS, ActivityError, CodeChange, CrashAt, CrashAtTime, FaultSchedule, Outage,
                    Scenario, get_model, simulate)

from strategies import SMALL_Q1, outage_st, seed_st


def _order(ctx):
    """Charge the card (a step), save the order (a transaction), email the customer (a step)."""
    yield ctx.tool("charge", effect="charge_card")
    yield ctx.tool("save-order", effect="write_db")
    yield ctx.tool("save-invoice", effect="write_db")
    yield ctx.tool("email", effect="send_email")
    return "done"


ORDER = Scenario(name="order-with-transactions", description="steps and database transactions mixed",
                 workflow=_order, max_steps=4)


# ---------------------------------------------------------------- guarantees under random faults
# (keeps-finished-steps and duplicates-only-after-effect: tests/test_guarantees.py)
@given(st.builds(FaultSchedule,
                 crashes=st.lists(st.builds(CrashAt, step=st.integers(1, 4), point=st.sampled_from(CRASH_POINTS),
                                            attempt=st.integers(1, 3)), max_size=6).map(tuple),
                 timed=st.lists(st.builds(CrashAtTime, st.floats(0.0, 10.0)), max_size=3).map(tuple),
                 outages=st.lists(outage_st, max_size=2).map(tuple),
                 restart_delay_s=st.floats(0.0, 30.0)),
       seed_st)
def test_transactions_commit_exactly_once_under_any_crash(faults, seed):
    r = simulate(ORDER, "dbos", seed=seed, faults=faults)
    assert r.summary.completed
    assert r.ledger.count("write_db") == 2
    assert r.summary.effects_per_step[1:3] == [1, 1]


# ---------------------------------------------------------------- Self-Check Q1
def test_q1_only_step_15_runs_again():
    r = simulate("q1", "dbos", seed=1)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 0
    assert s.steps_reexecuted == 1 and s.steps_replayed == 14 and s.llm_calls == 21
    assert [x.step for x in r.history if x.kind == "invoke" and x.attempt > 1] == [15]


def test_recovery_waits_for_the_process_restart_and_the_recovery_poller():
    assert simulate("q1", "dbos", seed=1).summary.time_to_recover_s == pytest.approx(5.0 + 1.0)


def test_a_second_process_does_not_take_over_the_crashed_ones_workflows():
    s = simulate("q1", get_model("dbos", workers=2), seed=1).summary
    assert s.time_to_recover_s == pytest.approx(6.0)


def test_one_database_write_at_start_per_step_and_at_the_end():
    for calls in (1, 5, 12):
        s = simulate("q1", "dbos", seed=3, faults=FaultSchedule(), params={"calls": calls}).summary
        assert s.extra["db_writes"] == calls + 2


# ---------------------------------------------------------------- transactions vs steps
def test_a_crash_after_a_transaction_rolls_it_back_so_it_is_not_duplicated():
    r = simulate(ORDER, "dbos", seed=1, faults=FaultSchedule(crashes=(CrashAt(2, "after-effect"),)))
    s = r.summary
    assert s.completed and s.effects_per_step == [1, 1, 1, 1] and s.duplicate_effects == 0
    assert s.steps_reexecuted == 1 and s.extra["rolled_back"] == 1
    assert [x.detail["name"] for x in r.history if x.event == "rollback"] == ["save-order"]


def test_a_crash_after_a_step_repeats_the_charge():
    s = simulate(ORDER, "dbos", seed=1, faults=FaultSchedule(crashes=(CrashAt(1, "after-effect"),))).summary
    assert s.completed and s.effects_per_step == [2, 1, 1, 1] and s.duplicate_effects == 1


def test_other_engines_duplicate_the_same_database_write():
    s = simulate(ORDER, "temporal", seed=1, faults=FaultSchedule(crashes=(CrashAt(2, "after-effect"),))).summary
    assert s.effects_per_step[1] == 2


# ---------------------------------------------------------------- retries, determinism, recovery limit
def _flaky(ctx):
    yield ctx.llm("plan", mean_latency_s=5.0)
    try:
        yield ctx.tool("fetch", latency_s=2.0, fail_p=1.0)
    except ActivityError as e:
        return f"gave up: {e}"
    return "ok"


FLAKY = Scenario(name="flaky-fetch", description="a step that always fails", workflow=_flaky, max_steps=2)


def test_steps_are_not_retried_by_default():
    r = simulate(FLAKY, "dbos", seed=1)
    assert r.summary.failed_attempts == 1 and r.run.instances[0].result.startswith("gave up")


def test_opt_in_step_retries_back_off_from_one_second():
    r = simulate(FLAKY, get_model("dbos", retries_allowed=True), seed=1)
    invokes = [x for x in r.history if x.kind == "invoke" and x.step == 2]
    fails = [x for x in r.history if x.kind == "fail" and x.step == 2]
    assert len(invokes) == 3
    assert [b.time - a.time for a, b in zip(fails, invokes[1:])] == pytest.approx([1.0, 2.0])


def test_the_step_error_is_checkpointed_and_not_retried_on_recovery():
    f = FaultSchedule(timed=(CrashAtTime(100.0),))

    def wf(ctx):
        try:
            yield ctx.tool("fetch", latency_s=2.0, fail_p=1.0)
        except ActivityError:
            pass
        yield ctx.sleep("pause", 200.0)

    r = simulate(Scenario(name="err-then-sleep", description="", workflow=wf, max_steps=2), "dbos", seed=1,
                 faults=f)
    assert r.summary.completed and r.summary.failed_attempts == 1 and r.summary.crashes == 1


def test_a_different_step_on_replay_raises_dbos_unexpected_step_error():
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), code_change=CodeChange("v2"))
    s = simulate("q1", get_model("dbos", application_version_pinned=True), seed=1, faults=f).summary
    assert not s.completed and s.stalled is None and s.error.startswith("DBOSUnexpectedStepError")


def test_changed_code_with_the_default_version_leaves_the_workflow_pending():
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), code_change=CodeChange("v2"))
    s = simulate("q1", "dbos", seed=1, faults=f).summary
    assert not s.completed and s.error is None and s.stalled.startswith("PENDING")
    assert s.steps_reexecuted == 0


def test_too_many_recoveries_dead_letter_the_workflow():
    f = FaultSchedule(crashes=(CrashAt(2, "before-step", attempt=None),), restart_delay_s=0.0)
    r = simulate("q1", get_model("dbos", max_recovery_attempts=3), seed=1, faults=f, params=SMALL_Q1)
    assert r.summary.crashes == 4 and "MAX_RECOVERY_ATTEMPTS_EXCEEDED" in r.summary.stalled
    assert sum(1 for x in r.history if x.event == "resume") == 3


# ---------------------------------------------------------------- outages and durable waits
def test_a_database_outage_pauses_all_work_without_loss():
    f = FaultSchedule(outages=(Outage(1.5, 60.0, "db"),))
    s = simulate("five-effects", "dbos", seed=2, faults=f).summary
    assert s.completed and s.time_stalled_s > 0 and s.crashes == 0 and s.duplicate_effects == 0
    assert s.duration_s > 60.0


def test_a_workflow_cannot_start_while_the_database_is_down():
    """It starts at DBOS's first reconnect attempt after the outage (waits of 1, 2, 4 ... s, jittered x0.5-1.5)."""
    r = simulate("five-effects", "dbos", seed=2, faults=FaultSchedule(outages=(Outage(0.0, 30.0),)))
    first = min(x.time for x in r.history if x.kind == "invoke")
    assert 30.0 <= first < 30.0 + 1.5 * 32 and r.summary.time_stalled_s >= first


def test_recovery_waits_for_the_database():
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), outages=(Outage(660.0, 900.0, "db"),))
    r = simulate("q1", "dbos", seed=1, faults=f)
    # After a 4-minute outage DBOS's reconnect waits have reached their 60 s cap (x0.5-1.5 jitter).
    assert 900.0 <= next(x.time for x in r.history if x.event == "resume") < 900.0 + 1.5 * 60


def test_durable_sleep_and_recv_survive_a_crash():
    r = simulate("approval", "dbos", seed=1, faults=FaultSchedule(timed=(CrashAtTime(3000.0),)))
    assert r.summary.completed and r.run.instances[0].result == "sent" and r.summary.llm_calls == 1
