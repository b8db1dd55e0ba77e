"""The OpenAI Agents SDK alone (sessions, per-turn saves) and inside Temporal."""

import pytest
from hypothesis import given

from simlib import (ConfigError, CrashAt, CrashAtTime, FaultSchedule, Outage, Scenario,
                    get_model, simulate)
from simlib.core.checkers import INVALID, no_recorded_result_lost

from strategies import SMALL_Q1, seed_st, timed_schedule_st  # noqa: E402


def agents(**cfg):
    return get_model("openai-agents", **cfg)


def crash(*specs, **kw):
    return FaultSchedule(crashes=tuple(CrashAt(s, p) for s, p in specs), **kw)


schedule_st = timed_schedule_st


# ---------------------------------------------------------------- Self-Check Q1
def test_q1_alone_nothing_resumes():
    s = simulate("q1", "openai-agents", seed=1).summary
    assert not s.completed and "does not resume by itself" in s.stalled and s.llm_calls == 15


def test_q1_in_memory_session_loses_everything():
    r = simulate("q1", agents(supervisor_restart_s=10.0), seed=1)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 14 and s.steps_reexecuted == 15 and s.llm_calls == 35
    assert any(x.event == "session-lost" for x in r.history)


@pytest.mark.parametrize("store", ["sqlite", "server"])
def test_q1_durable_session_repeats_only_the_in_flight_turn(store):
    s = simulate("q1", agents(supervisor_restart_s=10.0, session_store=store), seed=1).summary
    assert s.completed and s.steps_reexecuted == 1 and s.completed_steps_lost == 0 and s.steps_replayed == 14
    assert s.time_to_recover_s == pytest.approx(10.0)


def test_a_turn_is_saved_only_when_the_next_llm_call_starts():
    # The 14th call finished, but its turn was not saved yet: it runs again.
    s = simulate("q1", agents(supervisor_restart_s=1.0, session_store="sqlite"), seed=1,
                 faults=crash((14, "after-record"))).summary
    assert s.completed and s.completed_steps_lost == 1 and s.llm_calls_repeated == 1


# ---------------------------------------------------------------- the payment weakness
def pay(ctx):
    plan = yield ctx.llm("plan", choices=("charge", "refund"))
    receipt = yield ctx.tool("charge", effect="charge_card", payload={"plan": plan})
    yield ctx.llm("reply")
    return receipt


PAY = Scenario("pay", "an LLM turn that charges a card", pay, max_steps=3)


@pytest.mark.parametrize("point", ["after-effect", "after-record"])
def test_crash_in_a_payment_turn_charges_twice(point):
    s = simulate(PAY, agents(supervisor_restart_s=5.0, session_store="sqlite"), seed=1,
                 faults=crash((2, point))).summary
    assert s.completed and s.duplicate_effects == 1 and s.effects_per_step[1] == 2
    assert s.llm_calls_repeated == 1            # the turn's LLM call ran again too


@pytest.mark.parametrize("point", ["after-effect", "after-record"])
def test_the_temporal_hybrid_does_not_repeat_the_turn(point):
    s = simulate(PAY, "openai-agents+temporal", seed=1, faults=crash((2, point))).summary
    assert s.completed and s.llm_calls_repeated == 0
    assert s.duplicate_effects == (1 if point == "after-effect" else 0)


def test_the_rerun_may_choose_differently():
    changed = 0
    for seed in range(20):
        r = simulate(PAY, agents(supervisor_restart_s=5.0, session_store="sqlite"), seed=seed,
                     faults=crash((2, "after-effect")))
        plans = [x.detail["answer"] for x in r.history if x.event == "llm-call" and x.step == 1]
        assert len(plans) == 2
        changed += plans[0] != plans[1]
    assert changed > 0


# ---------------------------------------------------------------- session store outage
def test_server_session_outage_makes_the_run_error():
    f = FaultSchedule(outages=(Outage(100.0, 300.0),))
    s = simulate("q1", agents(session_store="server"), seed=1, faults=f).summary
    assert not s.completed and s.crashes == 1
    r = simulate("q1", agents(session_store="server", supervisor_restart_s=1.0), seed=1, faults=f)
    assert r.summary.completed
    assert next(x for x in r.history if x.event == "crash").detail["point"] == "store-unavailable"
    assert next(x.time for x in r.history if x.event == "resume") >= 300.0


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_local_sessions_have_no_outage(store):
    f = FaultSchedule(outages=(Outage(0.0, 5000.0),))
    s = simulate("q1", agents(session_store=store), seed=1, faults=f).summary
    assert s.completed and s.crashes == 0


# ---------------------------------------------------------------- properties
@given(schedule_st, seed_st)
def test_saved_turns_never_run_again(faults, seed):
    r = simulate("agent-loop", agents(session_store="sqlite", supervisor_restart_s=2.0), seed=seed, faults=faults)
    assert r.summary.completed
    saved_upto = {}
    for x in r.history:
        if x.event == "turn-saved":
            saved_upto[x.workflow] = max(saved_upto.get(x.workflow, 0), x.step)
        elif x.kind == "invoke":
            assert x.step > saved_upto.get(x.workflow, 0)


@given(schedule_st, seed_st)
def test_without_a_supervisor_a_crash_stops_the_run(faults, seed):
    s = simulate("q1", agents(session_store="sqlite"), seed=seed, faults=faults, params=SMALL_Q1).summary
    assert s.crashes <= 1 and s.completed == (s.crashes == 0)


@given(schedule_st, seed_st)
def test_hybrid_recovers_like_temporal(faults, seed):
    r = simulate("q1", "openai-agents+temporal", seed=seed, faults=faults, params=SMALL_Q1)
    assert r.summary.completed and r.summary.completed_steps_lost == 0
    assert no_recorded_result_lost(r.history).status != INVALID


# ---------------------------------------------------------------- the hybrid on Q1
def test_q1_hybrid_reexecutes_only_the_interrupted_model_activity():
    r = simulate("q1", "openai-agents+temporal", seed=1)
    s = r.summary
    assert s.completed and s.steps_reexecuted == 1 and s.steps_replayed == 14 and s.llm_calls == 21
    started = max(x.time for x in r.history if x.kind == "invoke" and x.step == 15 and x.attempt == 1)
    resumed = next(x.time for x in r.history if x.event == "resume")
    assert resumed == pytest.approx(started + 60.0 + 1.0)       # model activity start-to-close + retry interval


def test_bad_settings():
    with pytest.raises(ConfigError, match="memory, sqlite, server"):
        agents(session_store="redis-ish")
    with pytest.raises(ConfigError, match="supervisor_restart_s"):
        agents(supervisor_restart_s=-1)
    with pytest.raises(ConfigError, match="save_run_state"):
        agents(save_run_state="yes")


# ---------------------------------------------------------------- approvals: RunState pause and resume
PAUSED = FaultSchedule(timed=(CrashAtTime(1800.0),))     # the process is gone while the person decides


def test_a_paused_run_resumes_from_its_run_state_without_redrafting():
    """Measured on the SDK: resuming a saved RunState makes 2 model calls in all, not 3.

    The approval arrives after an hour; the handler loads the state, approves, and the run goes on
    from the interruption: the draft and the cool-off come from the state, the email is sent once.
    """
    r = simulate("approval", "openai-agents", seed=1, faults=PAUSED)
    s = r.summary
    assert s.completed and r.run.instances[0].result == "sent"
    assert s.llm_calls == 1 and s.llm_calls_repeated == 0 and s.effects == 1 and s.steps_reexecuted == 0
    resumed = next(x.time for x in r.history if x.event == "resume")
    assert resumed == pytest.approx(3600.0)                       # when the decision arrived
    assert [x.detail["name"] for x in r.history if x.event == "replay" and x.detail["from"] == "run-state"] == \
        ["draft", "cool-off", "approval"]


def test_the_run_state_is_saved_at_the_interruption_and_used_once():
    r = simulate("approval", "openai-agents", seed=1)
    saved = [x for x in r.history if x.event == "run-state-saved"]
    assert len(saved) == 1 and saved[0].step == 3 and saved[0].detail["items"] == 2
    assert r.summary.completed and r.run.instances[0].state.run_state is None


def test_a_run_state_kept_in_memory_dies_with_the_process():
    s = simulate("approval", agents(save_run_state=False), seed=1, faults=PAUSED).summary
    assert not s.completed and "does not resume by itself" in s.stalled


def test_without_a_saved_run_state_a_new_run_drafts_again():
    """The old way: a supervisor calls Runner.run on the session; the unsaved turn, draft included, repeats."""
    s = simulate("approval", agents(save_run_state=False, session_store="sqlite", supervisor_restart_s=1.0),
                 seed=1, faults=PAUSED).summary
    assert s.completed and s.llm_calls == 2 and s.llm_calls_repeated == 1


def test_a_crash_after_the_approval_does_not_reuse_the_consumed_run_state():
    faults = FaultSchedule(crashes=(CrashAt(4, "after-effect"),))
    r = simulate("approval", agents(session_store="sqlite", supervisor_restart_s=1.0), seed=1, faults=faults)
    assert not [x for x in r.history if x.event == "replay" and x.detail.get("from") == "run-state"]
    assert r.summary.llm_calls == 2
