"""The Hatchet model: Postgres-held task outputs, heartbeat-driven reassignment, timeouts, concurrency."""

import pytest
from hypothesis import given, strategies as st

from simlib import (ConfigError, CrashAt, FaultSchedule, Outage, Scenario,
                    get_model, simulate)
from simlib.scenarios.batch import batch_progress, batch_throughput, doc_batch


def crash(*specs, **kw):
    return FaultSchedule(crashes=tuple(CrashAt(s, p) for s, p in specs), **kw)


def hatchet(**cfg):
    return get_model("hatchet", **cfg)


def first(history, event, **match):
    return next(x for x in history if x.event == event and all(getattr(x, k) == v for k, v in match.items()))


def two_tools(ctx, first_s: float = 10.0):
    """A small workflow for the concurrency tests: a read, then a write."""
    yield ctx.tool("read", effect=None, latency_s=first_s)
    yield ctx.tool("write", effect="write_db", latency_s=10.0)
    return "ok"


def batch(instances, interarrival_s=0.0, **params):
    return Scenario("tiny-batch", "concurrency test", two_tools, max_steps=2, instances=instances,
                    interarrival_s=interarrival_s, params=params)


def in_flight_peak(history) -> int:
    """The most runs that had started and not yet ended at any moment, from the history alone."""
    changes = []
    for x in history:
        if x.event == "start":
            changes.append((x.time, 1))
        elif x.event in ("complete", "workflow-failed"):
            changes.append((x.time, -1))
    peak = level = 0
    for _, d in sorted(changes, key=lambda c: (c[0], c[1])):
        level += d
        peak = max(peak, level)
    return peak


# ---------------------------------------------------------------- Self-Check Q1 and reassignment
def test_q1_only_the_interrupted_task_runs_again():
    s = simulate("q1", "hatchet", seed=1).summary
    assert s.completed and s.completed_steps_lost == 0
    assert s.steps_reexecuted == 1 and s.steps_replayed == 14 and s.llm_calls == 21
    assert s.extra["reassigned"] == 1


def test_a_dead_workers_task_is_reassigned_30_s_after_its_last_heartbeat():
    r = simulate("q1", "hatchet", seed=1)
    crash_t = first(r.history, "crash").time
    moved = first(r.history, "reassigned")
    resumed = first(r.history, "resume").time
    last_hb = moved.detail["last_heartbeat"]
    assert last_hb % 4 == 0 and crash_t - 4 < last_hb <= crash_t     # heartbeats every 4 s
    assert moved.time == pytest.approx(last_hb + 30.0) == pytest.approx(resumed)
    assert 26.0 < r.summary.time_to_recover_s <= 30.0


def test_recovery_also_waits_for_a_worker():
    s = simulate("q1", "hatchet", seed=1, faults=crash((15, "after-effect"), restart_delay_s=90.0)).summary
    assert s.completed and s.time_to_recover_s == pytest.approx(90.0)


def test_a_crash_after_the_task_completed_needs_no_heartbeat_timeout():
    r = simulate("five-effects", "hatchet", seed=3, faults=crash((3, "after-record")))
    assert r.summary.completed and r.summary.duplicate_effects == 0
    assert r.summary.time_to_recover_s == pytest.approx(5.0)    # just the worker restart
    assert not any(x.event == "reassigned" for x in r.history)


def test_the_reassigned_task_repeats_its_effect_like_any_at_least_once_engine():
    s = simulate("five-effects", "hatchet", seed=3, faults=crash((3, "after-effect"))).summary
    assert s.completed and s.effects_per_step == [1, 1, 2, 1, 1]


def test_a_whole_task_reruns_with_every_effect_inside_it():
    """Five calls in one task: a crash at the third repeats the first two, already done."""
    one_task = hatchet(steps_per_task=5)
    s = simulate("five-effects", one_task, seed=3, faults=crash((3, "after-effect"))).summary
    assert s.completed and s.effects_per_step == [2, 2, 2, 1, 1]
    assert s.completed_steps_lost == 2 and s.duplicate_effects == 3
    temporal = simulate("five-effects", "temporal", seed=3, faults=crash((3, "after-effect"))).summary
    assert temporal.duplicate_effects == 1 < s.duplicate_effects


def test_internal_retries_are_separate_and_run_out_after_ten():
    loop = FaultSchedule(crashes=(CrashAt(3, "after-effect", attempt=None),))
    r = simulate("five-effects-keyed", "hatchet", seed=1, faults=loop)
    s = r.summary
    assert not s.completed and "internal retries (10) exhausted" in s.error
    assert s.extra["reassigned"] == 11 and s.crashes == 11
    assert r.run.instances[0].attempts[3] == 11
    assert first(r.history, "internal-retries-exhausted").time == pytest.approx(s.duration_s)


def test_a_reassignment_does_not_use_up_the_users_retries():
    def flaky(ctx):
        yield ctx.tool("flaky", effect=None, latency_s=5.0, fail_p=1.0)

    sc = Scenario("flaky", "always fails", flaky, max_steps=1)
    r = simulate(sc, hatchet(retries=1), seed=1, faults=crash((1, "before-step")))
    # One attempt lost to the crash (internal), then the user's first try and one retry.
    assert r.run.instances[0].attempts[1] == 3 and r.summary.failed_attempts == 2
    assert not r.summary.completed and "failed after 3 attempts" in r.summary.error


# ---------------------------------------------------------------- execution timeout and retries
def slow(ctx, seconds: float = 90.0):
    yield ctx.tool("slow-task", effect="write_db", latency_s=seconds)
    return "done"


SLOW = Scenario("slow-task", "one long task", slow, max_steps=1, params={"seconds": 90.0})


def test_a_90_s_task_fails_at_the_60_s_execution_timeout():
    r = simulate(SLOW, "hatchet", seed=1)
    s = r.summary
    assert not s.completed and "execution_timeout=60s" in s.error
    fails = [x for x in r.history if x.kind == "fail" and x.step == 1]
    assert [x.time for x in fails] == [60.0] and "TIMED_OUT" in fails[0].detail["error"]
    assert s.effects == 0 and s.extra["timed_out"] == 1


def test_a_timeout_uses_the_users_retries_with_backoff():
    r = simulate(SLOW, hatchet(retries=2, backoff_factor=2.0), seed=1)
    fails = [x.time for x in r.history if x.kind == "fail" and x.step == 1]
    assert fails == pytest.approx([60.0, 60.0 + 2 + 60.0, 60.0 + 2 + 60.0 + 4 + 60.0])
    assert not r.summary.completed and r.summary.extra["timed_out"] == 3


def test_a_task_under_the_timeout_or_with_a_longer_one_succeeds():
    assert simulate(SLOW, "hatchet", seed=1, params={"seconds": 50.0}).summary.completed
    assert simulate(SLOW, hatchet(execution_timeout_s=120.0), seed=1).summary.completed
    assert simulate(SLOW, hatchet(execution_timeout_s=0), seed=1).summary.completed


def test_the_timeout_bounds_a_whole_multi_call_task():
    """Twenty LLM calls in one task take about 15 minutes: far past the 60 s default."""
    s = simulate("q1", hatchet(steps_per_task=20), seed=1).summary
    assert not s.completed and "steps 1-20 ran past execution_timeout=60s" in s.error
    assert s.duration_s == pytest.approx(60.0)
    roomy = simulate("q1", hatchet(steps_per_task=20, execution_timeout_s=3600.0), seed=1).summary
    assert roomy.completed and roomy.completed_steps_lost == 14 and roomy.steps_reexecuted == 15


def test_durable_sleeps_and_waits_are_not_tasks_and_do_not_time_out():
    r = simulate("approval", "hatchet", seed=1)
    assert r.summary.completed and r.run.instances[0].result == "sent"


# ---------------------------------------------------------------- concurrency strategies
def test_group_round_robin_queues_the_excess_and_the_queue_is_visible():
    r = simulate(batch(6), hatchet(max_runs=2), seed=1)
    s = r.summary
    assert s.completed and s.extra["queued"] == 4 and s.extra["queue_wait_s"] > 0
    assert len(r.history.where(event="queued")) == 4 == len(r.history.where(event="dequeued"))
    assert in_flight_peak(r.history) == 2


def test_group_round_robin_serves_the_keys_in_turn():
    """Tenant A queued five runs before B and C queued theirs; the slots still alternate."""
    r = simulate(batch(15), hatchet(max_runs=5, concurrency_groups=3, slots=1), seed=1)
    model = r.run.model
    by_id = {i.id: i for i in r.run.instances}
    order = [model.key_of(r.run, by_id[x.workflow]) for x in r.history if x.event == "start"]
    assert order == ["group-0", "group-1", "group-2"] * 5
    fifo = simulate(batch(15), hatchet(slots=1), seed=1)
    assert [x.workflow for x in fifo.history if x.event == "start"] == [f"wf-{i}" for i in range(1, 16)]


def test_cancel_in_progress_keeps_only_the_newest_run():
    r = simulate(batch(4, interarrival_s=5.0), hatchet(max_runs=1, concurrency_strategy="CANCEL_IN_PROGRESS"),
                 seed=1)
    insts = r.run.instances
    assert [i.finished for i in insts] == [False, False, False, True]
    assert all("CANCEL_IN_PROGRESS" in i.error for i in insts[:3])
    assert r.summary.extra["cancelled"] == 3 and len(r.history.where(event="cancelled")) == 3
    # A cancelled run's call in flight is aborted: only the survivor wrote anything.
    assert r.summary.effects == 1 and r.ledger.effects[0].workflow == "wf-4"


def test_cancel_in_progress_aborts_an_llm_call_in_flight():
    from simlib import get_scenario
    from dataclasses import replace

    q1s = replace(get_scenario("q1"), instances=2, interarrival_s=100.0, params={"calls": 5})
    r = simulate(q1s, hatchet(max_runs=1, concurrency_strategy="CANCEL_IN_PROGRESS"), seed=1)
    old, new = r.run.instances
    assert not old.finished and "CANCEL_IN_PROGRESS" in old.error and new.finished
    assert old.ended_at == pytest.approx(100.0)
    # wf-1 was in the middle of an LLM call at t=100; that call never completed.
    assert not any(x.kind == "ok" and x.workflow == "wf-1" and x.time > 100.0 for x in r.history)


def test_cancel_newest_rejects_newcomers_while_the_key_is_full():
    r = simulate(batch(4, interarrival_s=5.0), hatchet(max_runs=1, concurrency_strategy="CANCEL_NEWEST"), seed=1)
    insts = r.run.instances
    assert [i.finished for i in insts] == [True, False, False, False]
    assert r.summary.extra["cancelled"] == 3
    started = {x.workflow for x in r.history if x.event == "start"}
    assert started == {"wf-1"}            # the cancelled runs never started
    late = simulate(batch(3, interarrival_s=30.0), hatchet(max_runs=1, concurrency_strategy="CANCEL_NEWEST"),
                    seed=1).summary
    assert late.completed and "cancelled" not in late.extra      # a free key takes newcomers again


def test_a_crashed_run_keeps_its_concurrency_slot_until_it_finishes():
    faults = FaultSchedule(crashes=(CrashAt(1, "after-effect", workflow="wf-1"),))
    r = simulate(batch(3), hatchet(max_runs=1), seed=1, faults=faults)
    assert r.summary.completed and in_flight_peak(r.history) == 1
    wf2_start = first(r.history, "start", workflow="wf-2").time
    assert wf2_start == pytest.approx(first(r.history, "complete", workflow="wf-1").time)


def test_bad_settings_name_the_allowed_values():
    with pytest.raises(ConfigError, match="GROUP_ROUND_ROBIN"):
        hatchet(concurrency_strategy="FIFO")
    with pytest.raises(ConfigError, match="steps_per_task"):
        hatchet(steps_per_task=0)
    with pytest.raises(ConfigError, match="retries"):
        hatchet(retries=1.5)


# ---------------------------------------------------------------- Postgres outage
def test_a_postgres_outage_stalls_the_engine_without_loss():
    for component in ("postgres", "store", "engine"):
        f = FaultSchedule(outages=(Outage(1.5, 60.0, component),))
        s = simulate("five-effects", "hatchet", seed=2, faults=f).summary
        assert s.completed and s.time_stalled_s > 50 and s.duration_s > 60.0
        assert s.crashes == 0 and s.duplicate_effects == 0 and s.steps_reexecuted == 0


def test_a_worker_outage_is_not_a_store_outage():
    f = FaultSchedule(outages=(Outage(1.5, 60.0, "worker"),))
    assert simulate("five-effects", "hatchet", seed=2, faults=f).summary.time_stalled_s == 0


# ---------------------------------------------------------------- guarantees under any schedule
# (keeps-finished-steps and duplicates-only-after-effect: tests/test_guarantees.py)
from strategies import long_schedule_st as schedule_st, seed_st  # noqa: E402


@given(schedule_st, seed_st)
def test_same_token_same_history(faults, seed):
    a = simulate("five-effects", hatchet(max_runs=1), seed=seed, faults=faults)
    b = simulate("five-effects", hatchet(max_runs=1), seed=seed, faults=faults)
    assert a.history.sha256() == b.history.sha256()
    assert a.summary.to_dict() == b.summary.to_dict()


@given(st.lists(st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 30), st.floats(0.5, 300)),
                min_size=1, max_size=3).map(tuple), seed_st)
def test_outages_stall_without_loss(outages, seed):
    s = simulate("five-effects", "hatchet", seed=seed, faults=FaultSchedule(outages=outages)).summary
    assert s.completed and s.crashes == 0 and s.duplicate_effects == 0 and s.steps_reexecuted == 0


# ---------------------------------------------------------------- the document batch
def test_doc_batch_progress_is_monotone_and_reaches_100_percent():
    r = simulate("doc-batch", hatchet(max_runs=10), seed=1)
    points = batch_progress(r.history)
    times = [p[0] for p in points]
    done = [p[1] for p in points]
    assert times == sorted(times) and done == sorted(done) and points[0] == (0.0, 0, 0.0)
    assert points[-1][1] == 200 and points[-1][2] == 1.0
    assert in_flight_peak(r.history) == 10 and r.summary.extra["queued"] == 190


def test_doc_batch_progress_needs_no_history():
    recorded = simulate("doc-batch", hatchet(max_runs=10), seed=2)
    bare = simulate("doc-batch", hatchet(max_runs=10), seed=2, record=False)
    # Same seed, same run: the two sources must give the very same points, not just close ones.
    assert batch_progress(bare) == batch_progress(recorded.history)
    assert bare.summary.completed and bare.summary.extra == recorded.summary.extra


@given(st.integers(1, 25), st.integers(5, 60))
def test_more_slots_finish_the_batch_no_later(max_runs, documents):
    # Without schedule_timeout: a long queue behind max_runs=1 would otherwise time out (tests/test_hatchet_defaults.py).
    sc = doc_batch(documents)
    narrow = batch_throughput(simulate(sc, hatchet(max_runs=max_runs, schedule_timeout_s=0.0), seed=4, record=False))
    wide = batch_throughput(simulate(sc, hatchet(max_runs=max_runs + 5, schedule_timeout_s=0.0), seed=4,
                                     record=False))
    assert narrow["done"] == wide["done"] == documents
    assert wide["duration_s"] <= narrow["duration_s"] + 1e-9


def test_doc_batch_throughput_at_max_runs_10():
    t = batch_throughput(simulate("doc-batch", hatchet(max_runs=10), seed=1, record=False))
    # About 5.5 s per document, ten at a time: roughly 6,500 documents an hour.
    assert t["done"] == 200 and 5000 < t["docs_per_hour"] < 8000


def test_doc_batch_plain_inserts_duplicate_under_a_crash_but_upserts_do_not():
    faults = FaultSchedule(crashes=(CrashAt(3, "after-effect", workflow="wf-7"),))
    plain = simulate(doc_batch(20, upsert=False), hatchet(max_runs=5), seed=1, faults=faults).summary
    keyed = simulate(doc_batch(20), hatchet(max_runs=5), seed=1, faults=faults).summary
    assert plain.completed and plain.duplicate_effects == 1
    assert keyed.completed and keyed.duplicate_effects == 0


def test_doc_batch_rejects_a_bad_size():
    with pytest.raises(ConfigError, match="documents"):
        doc_batch(0)
