"""A crash on every attempt of a step: engines that give up still do; the others stop with a reason.

A crash rule with ``attempt=None`` fires on every attempt. Some engines count attempts and give up
(Restate pauses after 70, DBOS dead-letters after 100 recoveries, Inngest and Hatchet run out of
retries); the others would retry forever, in zero simulated time when the restart delay is 0. The
run loop stops such a workflow after `CRASH_LOOP_LIMIT` firings in a row with no step completing
for the first time, and the summary says why.
"""

from __future__ import annotations

import time

import pytest

from simlib import get_model, model_names, simulate
from simlib.core.faults import CRASH_LOOP_LIMIT, CrashAt, FaultPlan, FaultSchedule
from simlib.core.rng import RunRandom

LOOP_REASON = "crashes on every attempt: the run cannot make progress"
# Engines that end a crash loop by their own rules, and a word of the reason each gives.
GIVES_UP = {"restate": "paused", "dbos": "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "inngest": "failed after 5 attempts",
            "hatchet": "internal retries (10) exhausted", "dag": "zombie", "langgraph": "does not resume",
            "openai-agents": "does not resume"}


@pytest.mark.parametrize("delay", [0.0, 5.0])
@pytest.mark.parametrize("model", model_names())
def test_every_model_ends_a_crash_loop_quickly_and_says_why(model, delay):
    faults = FaultSchedule(crashes=(CrashAt(1, "before-step", attempt=None),), restart_delay_s=delay)
    t0 = time.perf_counter()
    s = simulate("q1", model, seed=1, faults=faults, record=False).summary
    assert time.perf_counter() - t0 < 5.0
    assert not s.completed
    why = s.stalled or s.error
    if model in GIVES_UP:
        assert GIVES_UP[model] in why and s.crashes < CRASH_LOOP_LIMIT
    else:
        assert s.stalled.startswith("step 1 " + LOOP_REASON) and s.crashes == CRASH_LOOP_LIMIT


def test_the_history_records_the_stop():
    faults = FaultSchedule(crashes=(CrashAt(2, "after-record", attempt=None),), restart_delay_s=0.0)
    r = simulate("five-effects", "none", seed=3, faults=faults)
    stops = [x for x in r.history if x.event == "stopped"]
    assert len(stops) == 1 and LOOP_REASON in stops[0].detail["reason"]
    assert r.summary.stalled == stops[0].detail["reason"] and r.summary.crashes == CRASH_LOOP_LIMIT


def test_a_model_that_gives_up_later_than_the_limit_is_cut_short():
    faults = FaultSchedule(crashes=(CrashAt(1, "before-step", attempt=None),), restart_delay_s=0.0)
    dbos = get_model("dbos", max_recovery_attempts=5000)
    s = simulate("q1", dbos, seed=1, faults=faults, record=False).summary
    assert LOOP_REASON in s.stalled and s.crashes == CRASH_LOOP_LIMIT


def test_progress_between_firings_resets_the_count():
    plan = FaultPlan(FaultSchedule(crashes=(CrashAt(3, "before-step", attempt=None),)), RunRandom(1))
    for progress in range(3 * CRASH_LOOP_LIMIT):
        assert plan.step_crash("wf-1", 3, progress + 1, "before-step")
        assert plan.crash_loop("wf-1", 3, progress) is None     # a new step completed each time
    for _ in range(CRASH_LOOP_LIMIT - 1):
        plan.step_crash("wf-1", 3, 1, "before-step")
        assert plan.crash_loop("wf-1", 3, 7) is None
    plan.step_crash("wf-1", 3, 1, "before-step")
    assert plan.crash_loop("wf-1", 3, 7).startswith("step 3 " + LOOP_REASON)


def test_crashes_from_other_faults_do_not_count():
    plan = FaultPlan(FaultSchedule(crashes=(CrashAt(3, "before-step", attempt=None),)), RunRandom(1))
    for _ in range(2 * CRASH_LOOP_LIMIT):
        assert plan.crash_loop("wf-1", 3, 0) is None       # the rule did not fire for these crashes
