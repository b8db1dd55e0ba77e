"""LangGraph persistence: checkpoints per super-step, durability modes, interrupt, time travel."""

import pytest
from hypothesis import given, strategies as st

from simlib import (ActivityError, ConfigError, CrashAt, CrashAtTime, FaultSchedule, Outage,
                    Scenario, get_model, simulate)
from simlib.core.checkers import INVALID, no_recorded_result_lost
from simlib.models.langgraph import begin_node
from simlib.models.timetravel import fork_from_checkpoint, state_history

from strategies import SMALL_Q1, seed_st, timed_schedule_st  # noqa: E402


def lg(**cfg):
    return get_model("langgraph", **cfg)


def crash(*specs, **kw):
    return FaultSchedule(crashes=tuple(CrashAt(s, p) for s, p in specs), **kw)


schedule_st = timed_schedule_st


# ---------------------------------------------------------------- Self-Check Q1
def test_q1_without_a_supervisor_the_thread_stays_stopped():
    s = simulate("q1", "langgraph", seed=1).summary
    assert not s.completed and s.crashes == 1
    assert "does not resume by itself" in s.stalled
    assert s.llm_calls == 15 and s.extra["checkpoints"] == 16     # input, START and 14 nodes


def test_q1_with_a_supervisor_only_the_interrupted_node_runs_again():
    s = simulate("q1", lg(supervisor_restart_s=10.0), seed=1).summary
    assert s.completed and s.steps_reexecuted == 1 and s.completed_steps_lost == 0
    assert s.steps_replayed == 14 and s.llm_calls == 21
    assert s.time_to_recover_s == pytest.approx(10.0)


def test_supervisor_cannot_beat_the_process_restart():
    s = simulate("q1", lg(supervisor_restart_s=0.0), seed=1, faults=crash((15, "after-effect"),
                                                                          restart_delay_s=7.0)).summary
    assert s.time_to_recover_s == pytest.approx(7.0)


def test_exit_durability_loses_all_progress_on_a_crash():
    """Sending the input again (the only way on after EmptyInputError) re-runs every node from START."""
    r = simulate("q1", lg(durability="exit", supervisor_restart_s=10.0, resume_with="input"), seed=1)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 14 and s.steps_reexecuted == 15
    assert s.extra["checkpoints_lost"] == 16                 # input, START and 14 nodes, none written
    assert s.extra["checkpoints"] == 1                       # one write, when the graph exits
    assert not any(x.event == "checkpoint" and x.time < 900 for x in r.history)
    assert [h["checkpoint"] for h in state_history(r)] == [20]   # numbered from -1 again: nothing was kept


def test_exit_durability_invoke_none_after_a_crash_raises_empty_input_error():
    """Real LangGraph: nothing was checkpointed, so ``invoke(None, cfg)`` raises EmptyInputError."""
    r = simulate("q1", lg(durability="exit", supervisor_restart_s=10.0), seed=1)
    s = r.summary
    assert not s.completed and s.error.startswith("EmptyInputError")
    assert s.llm_calls == 15 and s.steps_reexecuted == 0 and state_history(r) == []
    assert [x.event for x in r.history if x.kind == "fail"] == ["workflow-failed"]
    stopped = simulate("q1", lg(durability="exit"), seed=1)
    assert stopped.summary.stalled and state_history(stopped) == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_invoke_with_the_input_again_restarts_from_start(mode):
    """The common mistake: ``invoke(input, cfg)`` on the same thread runs every node again from START."""
    right = simulate("five-effects", lg(durability=mode, supervisor_restart_s=1.0), seed=1,
                     faults=crash((3, "after-effect")))
    wrong = simulate("five-effects", lg(durability=mode, supervisor_restart_s=1.0, resume_with="input"), seed=1,
                     faults=crash((3, "after-effect")))
    assert right.summary.effects_per_step == [1, 1, 2, 1, 1]
    assert wrong.summary.effects_per_step == [2, 2, 2, 1, 1]
    assert wrong.summary.steps_replayed == 0
    assert any(x.event == "restart-from-start" for x in wrong.history)
    # The thread keeps the first run's checkpoints and adds a new input, START and five nodes.
    assert [h["checkpoint"] for h in state_history(wrong)] == list(range(-1, 10))


def test_a_chain_of_n_nodes_writes_n_plus_2_checkpoints():
    for mode in ("sync", "async"):
        hist = state_history(simulate("five-effects", lg(durability=mode), seed=1))
        assert [h["nodes"][0] for h in hist[:2]] == ["__input__", "__start__"]
        assert [h["checkpoint"] for h in hist] == list(range(-1, 6))


@pytest.mark.parametrize("point", ["after-record", "before-step"])
def test_async_can_lose_the_newest_checkpoint_and_sync_cannot(point):
    step = 10 if point == "after-record" else 11
    a = simulate("q1", lg(supervisor_restart_s=1.0), seed=1, faults=crash((step, point)))
    s = simulate("q1", lg(durability="sync", supervisor_restart_s=1.0), seed=1, faults=crash((step, point)))
    assert a.summary.completed and s.summary.completed
    assert a.summary.completed_steps_lost == 1 and a.summary.extra["checkpoints_lost"] == 1
    lost = [x for x in a.history if x.event == "checkpoint-lost"]
    assert [x.step for x in lost] == [10]
    assert s.summary.completed_steps_lost == 0 and "checkpoints_lost" not in s.summary.extra


def test_async_keeps_the_checkpoint_once_its_write_window_passed():
    cfg = lg(supervisor_restart_s=1.0).config
    r = simulate("q1", lg(supervisor_restart_s=1.0), seed=1, faults=FaultSchedule())
    t10 = next(x.time for x in r.history if x.kind == "ok" and x.step == 10)
    late_s, early_s = cfg.checkpoint_write_max_s + 0.001, cfg.checkpoint_write_min_s / 2
    late = simulate("q1", lg(supervisor_restart_s=1.0), seed=1, faults=FaultSchedule(timed=(CrashAtTime(t10 + late_s),)))
    early = simulate("q1", lg(supervisor_restart_s=1.0), seed=1,
                     faults=FaultSchedule(timed=(CrashAtTime(t10 + early_s),)))
    assert late.summary.completed_steps_lost == 0
    assert early.summary.completed_steps_lost == 1


def test_async_write_times_stay_within_the_measured_range():
    """Each background write is drawn from the run's stream, inside [min, max], median at the setting."""
    cfg = lg().config
    r = simulate("q1", lg(supervisor_restart_s=1.0), seed=3, faults=FaultSchedule())
    issued = {x.step: x.time for x in r.history if x.kind == "ok" and x.step}
    # (the last one lands when the graph exits, at once here)
    waits = [x.time - issued[x.step] for x in r.history if x.event == "checkpoint" and x.step in issued
             and x.step < 20]
    assert len(waits) == 19
    assert all(cfg.checkpoint_write_min_s - 1e-9 <= w <= cfg.checkpoint_write_max_s + 1e-9 for w in waits)
    again = simulate("q1", lg(supervisor_restart_s=1.0), seed=3, faults=FaultSchedule())
    assert again.history.to_json() == r.history.to_json()


def test_write_draws_split_at_the_median():
    import random
    from simlib.models.langgraph import draw_write_s

    cfg = lg().config
    rng = random.Random(7)
    draws = sorted(draw_write_s(rng, cfg) for _ in range(2001))
    assert cfg.checkpoint_write_min_s <= draws[0] and draws[-1] <= cfg.checkpoint_write_max_s
    assert draws[1000] == pytest.approx(cfg.checkpoint_write_s, rel=0.1)


@given(schedule_st, seed_st)
def test_sync_never_loses_a_written_checkpoint(faults, seed):
    r = simulate("q1", lg(durability="sync", supervisor_restart_s=2.0), seed=seed, faults=faults, params=SMALL_Q1)
    assert r.summary.completed
    assert r.summary.completed_steps_lost == 0
    assert no_recorded_result_lost(r.history).status != INVALID


@given(schedule_st, seed_st)
def test_async_loses_at_most_the_newest_checkpoint_per_crash(faults, seed):
    # Process crashes only: during a checkpointer outage every background write fails (tested below).
    faults = FaultSchedule(crashes=faults.crashes, random=faults.random, restart_delay_s=faults.restart_delay_s)
    r = simulate("q1", lg(supervisor_restart_s=2.0), seed=seed, faults=faults, params=SMALL_Q1)
    s = r.summary
    if not s.completed:
        # Only a crash before the input's checkpoint landed leaves invoke(None) nothing to resume.
        assert s.error.startswith("EmptyInputError") and s.steps_replayed == 0
    assert s.completed_steps_lost <= s.crashes
    node_checkpoints_lost = [x for x in r.history if x.event == "checkpoint-lost" and x.step is not None]
    assert len(node_checkpoints_lost) <= s.crashes


@given(schedule_st, seed_st)
def test_without_a_supervisor_the_first_crash_stops_the_run(faults, seed):
    r = simulate("q1", "langgraph", seed=seed, faults=faults, params=SMALL_Q1)
    s = r.summary
    assert s.crashes <= 1
    if s.crashes:
        assert not s.completed and s.stalled and "does not resume" in s.stalled
        assert not any(x.event == "resume" for x in r.history)
    else:
        assert s.completed


# ---------------------------------------------------------------- checkpointer outage
def test_checkpointer_outage_fails_the_run():
    f = FaultSchedule(outages=(Outage(100.0, 200.0),))
    s = simulate("q1", "langgraph", seed=1, faults=f).summary
    assert not s.completed and "checkpointer" in s.error
    assert s.time_stalled_s == 0


def test_checkpointer_outage_is_recoverable_from_the_last_checkpoint():
    f = FaultSchedule(outages=(Outage(100.0, 200.0, "checkpointer"),))
    r = simulate("q1", lg(durability="sync", supervisor_restart_s=10.0), seed=1, faults=f)
    s = r.summary
    assert s.completed and s.completed_steps_lost == 0 and s.steps_reexecuted == 1
    crash_rec = next(x for x in r.history if x.event == "crash")
    assert crash_rec.detail["point"] == "store-unavailable"
    assert next(x.time for x in r.history if x.event == "resume") >= 200.0


def _runs_per_step(r, n):
    counts = [0] * n
    for x in r.history:
        if x.kind == "invoke" and x.step:
            counts[x.step - 1] += 1
    return counts


def test_async_outage_runs_the_later_nodes_and_raises_at_the_end():
    """As real LangGraph does with durability="async": the write fails in the background, nodes 4-5
    still run (their effects happen), invoke() raises when the graph finishes."""
    f = FaultSchedule(outages=(Outage(2.5, 10.0, "checkpointer"),))
    left = simulate("five-effects", "langgraph", seed=1, faults=f)
    assert _runs_per_step(left, 5) == [1, 1, 1, 1, 1] and left.summary.effects_per_step == [1, 1, 1, 1, 1]
    assert not left.summary.completed and "CheckpointWriteError" in left.summary.error
    assert any(x.event == "write-failed" and x.step == 3 for x in left.history)
    crash = next(x for x in left.history if x.event == "crash")
    assert crash.detail["point"] == "store-unavailable" and crash.time == pytest.approx(5.0, abs=0.1)
    # A later invoke resumes from the checkpoint after node 2: nodes 3-5 run (and charge) again.
    back = simulate("five-effects", lg(supervisor_restart_s=1.0), seed=1, faults=f)
    assert back.summary.completed and _runs_per_step(back, 5) == [1, 1, 2, 2, 2]
    assert back.summary.duplicate_effects == 3
    # In sync mode the failed write raises inside node 3: nodes 4-5 never run in that invocation.
    sync = simulate("five-effects", lg(durability="sync"), seed=1, faults=f)
    assert _runs_per_step(sync, 5) == [1, 1, 1, 0, 0]


def test_async_a_write_that_lands_after_the_outage_saves_the_whole_state():
    """A checkpoint holds the whole state: once a later write lands, a re-invoke has nothing to redo,
    though invoke() still raised for the write that failed."""
    f = FaultSchedule(outages=(Outage(100.0, 200.0, "checkpointer"),))
    r = simulate("q1", lg(supervisor_restart_s=10.0), seed=1, faults=f)
    s = r.summary
    assert s.crashes == 1 and s.completed and s.steps_reexecuted == 0 and s.steps_replayed == 20
    crash = next(x for x in r.history if x.event == "crash")
    assert crash.detail["point"] == "store-unavailable" and crash.time > 800.0


# ---------------------------------------------------------------- interrupt / Command(resume)
def review(ctx):
    begin_node(ctx, "review")
    draft = yield ctx.llm("draft", mean_latency_s=20.0)
    yield ctx.tool("charge", effect="charge_card")
    decision = yield ctx.wait_event("approval", 7200)
    begin_node(ctx, "send")
    yield ctx.tool("send", effect="send_email", payload={"draft": draft})
    return decision, draft


REVIEW = Scenario("review", "a node that drafts, charges and then interrupts", review, max_steps=4,
                  signals={"approval": (3600.0, "approve")})


def test_interrupt_reruns_the_code_before_it_in_the_same_node():
    r = simulate(REVIEW, "langgraph", seed=3)
    s = r.summary
    assert s.completed and s.crashes == 0
    assert s.extra["interrupts"] == 1 and s.extra["interrupt_reruns"] == 2
    assert s.llm_calls == 2 and s.duplicate_effects == 1       # the charge before interrupt() ran twice
    drafts = [x.detail["answer"] for x in r.history if x.event == "llm-call"]
    decision, draft = r.run.instances[0].result
    assert decision == "approve" and draft == drafts[-1]        # the re-run's draft is the one sent
    resumed = next(x for x in r.history if x.event == "command-resume")
    assert resumed.time > 3600.0


def test_interrupt_in_its_own_node_reruns_nothing():
    s = simulate("approval", "langgraph", seed=1).summary
    assert s.completed and s.extra["interrupts"] == 1 and s.extra["interrupt_reruns"] == 0
    assert s.llm_calls == 1


def test_a_crash_after_resume_keeps_the_answer():
    f = crash((4, "after-effect"))
    r = simulate(REVIEW, lg(supervisor_restart_s=5.0), seed=3, faults=f)
    assert r.summary.completed and r.run.instances[0].result[0] == "approve"
    assert r.summary.extra["interrupts"] == 1


# ---------------------------------------------------------------- parallel super-steps
def fan_out(ctx):
    yield ctx.llm("plan", mean_latency_s=5.0)
    results = yield ctx.superstep(lambda: ctx.llm("a", mean_latency_s=10.0),
                                  lambda: ctx.tool("b", effect="send_email", latency_s=2.0),
                                  lambda: ctx.llm("c", mean_latency_s=30.0))
    yield ctx.llm("join", mean_latency_s=5.0)
    return results


FAN = Scenario("fan", "three nodes in one super-step", fan_out, max_steps=5)


def test_superstep_keeps_finished_siblings_as_pending_writes():
    r = simulate(FAN, lg(supervisor_restart_s=1.0), seed=3, faults=crash((4, "after-effect")))
    s = r.summary
    assert s.completed and s.duplicate_effects == 0
    again = sorted({x.step for x in r.history if x.kind == "invoke" and x.attempt > 1})
    assert again == [4]
    replayed = sorted(x.step for x in r.history if x.event == "replay")
    assert replayed == [1, 2, 3]


def test_a_crash_kills_every_running_sibling():
    r = simulate(FAN, lg(supervisor_restart_s=1.0), seed=3, faults=FaultSchedule(timed=(CrashAtTime(6.0),)))
    s = r.summary
    assert s.completed and s.crashes == 1 and s.duplicate_effects == 0
    assert s.steps_reexecuted == 3


def test_superstep_branch_must_issue_one_step():
    def bad(ctx):
        yield ctx.superstep(lambda: ctx.compute("x", lambda: 1))

    s = simulate(Scenario("bad", "", bad, max_steps=1), "langgraph", seed=1).summary
    assert not s.completed and "exactly one step" in s.error


# ---------------------------------------------------------------- retries
def flaky(ctx):
    return (yield ctx.tool("api", fail_p=0.7))


FLAKY = Scenario("flaky", "one flaky tool", flaky, max_steps=1)


def test_no_retries_by_default_and_three_attempts_with_the_policy():
    failed = [s for s in range(30) if simulate(FLAKY, "langgraph", seed=s).summary.error]
    assert failed and all("ActivityError" in simulate(FLAKY, "langgraph", seed=s).summary.error for s in failed)
    for seed in failed:
        r = simulate(FLAKY, lg(retry_policy=True), seed=seed)
        attempts = [x for x in r.history if x.kind == "invoke"]
        assert 1 < len(attempts) <= 3
        gaps = [b.time - a.time for a, b in zip(attempts, attempts[1:])]
        assert gaps == pytest.approx([1.5, 2.0][:len(gaps)])     # 1 s call + 0.5 s, then 1 s + 1 s


# ---------------------------------------------------------------- time travel
def test_fork_from_a_checkpoint_shares_the_prefix():
    r = simulate("q1", lg(supervisor_restart_s=10.0), seed=1)
    hist = state_history(r)
    assert len(hist) == 22 and hist[0]["nodes"] == ["__input__"] and hist[1]["nodes"] == ["__start__"]
    assert hist[0]["checkpoint"] == -1 and hist[11]["checkpoint"] == 10 and hist[11]["last_step"] == 10
    fork = fork_from_checkpoint(r, 10)
    assert fork.summary.completed and fork.summary.steps_replayed == 10 and fork.summary.llm_calls == 10
    assert [x.step for x in fork.history if x.event == "replay"] == list(range(1, 11))
    assert [(h["checkpoint"], h["last_step"], h["nodes"]) for h in state_history(fork)[:12]] == \
        [(h["checkpoint"], h["last_step"], h["nodes"]) for h in hist[:12]]
    answers = {x.step: x.detail["answer"] for x in r.history if x.event == "llm-call"}
    fanswers = {x.step: x.detail["answer"] for x in fork.history if x.event == "llm-call"}
    assert set(fanswers) == set(range(11, 21))
    assert any(fanswers[k] != answers[k] for k in fanswers)     # the new branch drew new answers
    assert next(x for x in fork.history if x.event == "fork").detail["from_checkpoint"] == 10


def test_fork_of_a_stopped_run_and_update_state():
    r = simulate("q1", "langgraph", seed=1)
    assert not r.summary.completed
    fork = fork_from_checkpoint(r, 14, values={14: "edited"})
    assert fork.summary.completed and fork.summary.steps_replayed == 14
    with pytest.raises(ConfigError, match="out of range"):
        fork_from_checkpoint(r, 99)
    with pytest.raises(ConfigError, match="cannot update step 20"):
        fork_from_checkpoint(r, 3, values={20: "x"})
    with pytest.raises(ConfigError, match="langgraph"):
        state_history(simulate("q1", "temporal", seed=1))


# ---------------------------------------------------------------- config and determinism
@pytest.mark.parametrize("cfg,msg", [({"durability": "eventually"}, "sync, async, exit"),
                                     ({"supervisor_restart_s": "soon"}, "supervisor_restart_s"),
                                     ({"retry_policy": 3}, "retry_policy"),
                                     ({"checkpoint_write_s": -1}, "checkpoint_write_s"),
                                     ({"resume_with": "again"}, "allowed: none, input"),
                                     ({"checkpoint_write_s": 0.05}, "checkpoint_write_max_s"),
                                     ({"retry_max_attempts": 0}, "retry_max_attempts")])
def test_bad_settings_name_the_allowed_values(cfg, msg):
    with pytest.raises(ConfigError, match=msg):
        lg(**cfg)


@given(schedule_st, seed_st, st.sampled_from(["sync", "async", "exit"]))
def test_same_token_same_history(faults, seed, mode):
    m = lg(durability=mode, supervisor_restart_s=3.0)
    a = simulate(REVIEW, m, seed=seed, faults=FaultSchedule(timed=faults.timed, random=faults.random))
    b = simulate(REVIEW, m, seed=seed, faults=FaultSchedule(timed=faults.timed, random=faults.random))
    assert a.history.to_json() == b.history.to_json()


def test_declined_tool_is_not_saved_and_raises_in_the_graph():
    def wf(ctx):
        try:
            yield ctx.tool("refund", effect="refund_card", declines=True)
        except ActivityError:
            return "declined"

    r = simulate(Scenario("d", "", wf, max_steps=1), "langgraph", seed=1)
    assert r.run.instances[0].result == "declined" and 1 not in r.run.instances[0].state.thread.writes
