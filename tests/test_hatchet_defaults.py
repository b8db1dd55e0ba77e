"""Hatchet's ``schedule_timeout`` (5 min): a task that waits longer than that for a worker fails.

A crashed worker's task is reassigned 30 s after its last heartbeat and then waits in the queue for a
worker; when the only worker stays away for more than five minutes the task times out. The timeout is a
failure like any other, so with ``retries`` set it is queued again.
"""

import pytest

from simlib import CrashAt, FaultSchedule, Scenario, get_model, simulate

CRASH = CrashAt(3, "after-effect")


def run(restart_s: float, **cfg):
    model = get_model("hatchet").with_config(**cfg)
    return simulate("q1", model, seed=3, faults=FaultSchedule(crashes=(CRASH,), restart_delay_s=restart_s))


def event(r, name):
    return [x for x in r.history if x.event == name]


def test_the_default_is_five_minutes():
    assert get_model("hatchet").config.schedule_timeout_s == 300.0


def test_a_worker_back_within_five_minutes_picks_the_task_up():
    r = run(100.0)
    assert r.summary.completed and not event(r, "schedule-timed-out")


def test_a_task_that_waits_longer_fails_five_minutes_after_it_was_queued_again():
    r = run(400.0)
    reassigned = event(r, "reassigned")[0].time
    failed = event(r, "schedule-timed-out")
    assert not r.summary.completed and r.summary.error.startswith("SCHEDULING_TIMED_OUT")
    assert len(failed) == 1 and failed[0].time == pytest.approx(reassigned + 300.0)
    assert r.summary.extra["schedule_timeouts"] == 1


def test_a_retry_queues_it_again_for_another_five_minutes():
    assert run(400.0, retries=1).summary.completed
    twice = run(700.0, retries=1)
    assert not twice.summary.completed and twice.summary.extra["schedule_timeouts"] == 2


def test_the_task_after_a_finished_one_waits_for_a_worker_too():
    model = get_model("hatchet")
    r = simulate("q1", model, seed=3, faults=FaultSchedule(crashes=(CrashAt(3, "after-record"),),
                                                           restart_delay_s=400.0))
    crash = event(r, "crash")[0].time
    assert "the task after step 3" in r.summary.error
    assert event(r, "schedule-timed-out")[0].time == pytest.approx(crash + 300.0)


def test_no_schedule_timeout_means_the_task_waits_as_long_as_it_takes():
    assert run(400.0, schedule_timeout_s=0.0).summary.completed


def test_the_outcome_is_deterministic_from_the_seed():
    assert run(400.0).summary.history_sha256 == run(400.0).summary.history_sha256



def two_minute_run(ctx):
    yield ctx.tool("work", effect="write_db", latency_s=120.0)
    return "ok"


def queued(instances: int, **cfg):
    sc = Scenario("slow-batch", "runs queued behind max_runs", two_minute_run, max_steps=1, instances=instances)
    return simulate(sc, get_model("hatchet").with_config(max_runs=1, execution_timeout_s=0.0, **cfg), seed=1)


def test_runs_queued_behind_max_runs_time_out_after_five_minutes():
    """Runs of two minutes behind max_runs=1: the third waits four minutes, the fourth would wait six."""
    r = queued(5)
    done = [i.id for i in r.run.instances if i.finished]
    timed_out = [i for i in r.run.instances if i.error and i.error.startswith("SCHEDULING_TIMED_OUT")]
    assert done == ["wf-1", "wf-2", "wf-3"]
    assert [i.id for i in timed_out] == ["wf-4", "wf-5"] and all(i.ended_at == 300.0 for i in timed_out)


def test_a_retry_puts_a_timed_out_run_at_the_back_of_the_queue():
    r = queued(4, retries=1)
    assert all(i.finished for i in r.run.instances)
    assert r.run.instances[3].extra["schedule_timeouts"] == 1


def test_without_a_schedule_timeout_every_queued_run_waits_its_turn():
    assert all(i.finished for i in queued(5, schedule_timeout_s=0.0).run.instances)
