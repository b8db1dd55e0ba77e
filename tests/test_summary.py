"""What the run summary counts: calls paid for, dollars re-spent or lost, and recovery times.

Three definitions are easy to blur, so each test pins one of them on a run small enough to reason about:

* a call is *made and paid for* when the provider billed a whole request: a reply, or an attempt the
  worker gave up on at its time limit;
* dollars are *re-spent* only when a step pays again for a call it had paid for before;
* dollars are *lost* when they bought nothing and are not a repeat: a call a crash cut short (billed
  for the tokens so far, not a call), or a step's first call that timed out;
* first useful calls, re-spent dollars and lost dollars add up to the whole LLM bill;
* a run that never resumed after a crash has no recovery time (None), not a recovery time of 0 s.
"""

from __future__ import annotations

import math

import pytest

from simlib import CrashAtTime, FaultSchedule, RandomCrashes, get_model, simulate
from simlib.core.compare import compare_runs, compare_table
from simlib.core.sweep import sweep

MID_CALL = FaultSchedule(timed=(CrashAtTime(100.0),))   # q1, seed 1: every model is inside an LLM call then


@pytest.fixture(scope="module")
def timed_out():
    """Temporal with a start-to-close timeout shorter than q1's first LLM call: every attempt times out."""
    return simulate("q1", get_model("temporal", start_to_close_s=5, max_cached_workflows=0), seed=1)


def test_a_timed_out_attempt_is_a_call_paid_for(timed_out):
    s, hist = timed_out.summary, list(timed_out.history)
    attempts = sum(1 for r in hist if r.kind == "fail" and r.event == "llm")
    assert not s.completed and attempts > 1000
    assert not any(r.event == "llm-call" for r in hist)      # no attempt ever got its reply
    assert s.llm_calls == attempts
    assert s.llm_calls_repeated == attempts - 1 == s.steps_reexecuted


def test_a_timed_out_attempts_repeats_are_dollars_re_spent(timed_out):
    s = timed_out.summary
    assert s.llm_cost_lost_usd == pytest.approx(s.llm_cost_usd / s.llm_calls)     # the first attempt
    # Every attempt bills the same amount, so all but the first are dollars re-spent.
    assert s.llm_cost_reexecuted_usd == pytest.approx(s.llm_cost_usd * (s.llm_calls - 1) / s.llm_calls)


def test_a_run_that_stopped_re_spends_nothing_but_loses_the_cut_call():
    s = simulate("q1", "langgraph", seed=1, faults=MID_CALL).summary
    assert s.crashes == 1 and not s.completed
    assert s.llm_calls_repeated == 0 and s.steps_reexecuted == 0
    assert s.llm_cost_reexecuted_usd == 0.0
    assert 0 < s.llm_cost_lost_usd <= s.llm_cost_usd


def test_a_call_cut_by_a_crash_is_lost_and_its_rerun_is_no_repeat():
    calm = simulate("q1", "temporal", seed=1, faults=FaultSchedule()).summary
    cut = simulate("q1", "temporal", seed=1, faults=MID_CALL).summary
    assert cut.completed and cut.steps_reexecuted == 1 and cut.llm_cost_lost_usd > 0
    # The cut call was never a whole call, so the rerun is the step's first one: nothing is re-spent,
    # and what the crash cost is the lost fragment on top of the crash-free bill.
    assert cut.llm_calls == calm.llm_calls and cut.llm_calls_repeated == 0 and cut.llm_cost_reexecuted_usd == 0
    useful = cut.llm_cost_usd - cut.llm_cost_reexecuted_usd - cut.llm_cost_lost_usd
    assert useful == pytest.approx(calm.llm_cost_usd, rel=0.1)


def test_a_run_that_never_recovered_has_no_recovery_time():
    stopped = simulate("q1", "langgraph", seed=1, faults=MID_CALL).summary
    resumed = simulate("q1", "temporal", seed=1, faults=MID_CALL).summary
    calm = simulate("q1", "langgraph", seed=1, faults=FaultSchedule()).summary
    assert stopped.time_to_recover_s is None and stopped.to_dict()["time_to_recover_s"] is None
    assert resumed.time_to_recover_s > 0
    assert calm.crashes == 0 and calm.time_to_recover_s == 0.0


def test_tables_show_no_recovery_and_when_a_stopped_run_ended():
    stopped = simulate("q1", "langgraph", seed=1, faults=MID_CALL).summary
    lines = dict(ln.split(None, 1) for ln in stopped.table().splitlines())
    assert lines["time_to_recover_s"].strip() == "-"
    assert lines["duration_s"].strip() == f"{stopped.duration_s} (stopped)"
    rows = {r["model"]: r for r in compare_runs("q1", seed=1, faults=MID_CALL, models=["langgraph", "temporal"])}
    table = {ln.split()[0]: ln for ln in compare_table(list(rows.values())).splitlines()[2:]}
    assert "ended at s" in compare_table(list(rows.values())).splitlines()[0]
    assert " - " in table["langgraph"] and f"{rows['langgraph']['duration_s']:.1f} (stopped)" in table["langgraph"]
    assert "(stopped)" not in table["temporal"] and f"{rows['temporal']['time_to_recover_s']:.1f}" in table["temporal"]


def test_sweep_recovery_statistics_cover_only_the_runs_that_recovered():
    stopped = sweep("q1", "langgraph", runs=20, mtbf_s=1800, seed=5)
    assert stopped.mean("crashes") > 0 and stopped.recovered == 0
    assert math.isnan(stopped.mean("time_to_recover_s")) and math.isnan(stopped.recovery_per_crash_s())
    assert sum(stopped.recovery_hist) == 0 and stopped.to_dict()["recovered_runs"] == 0
    resumed = sweep("q1", "temporal", runs=20, mtbf_s=1800, seed=5)
    crashed = sum(1 for seed in range(5, 25)
                  if simulate("q1", "temporal", seed=seed, record=False,
                              faults=FaultSchedule(random=RandomCrashes(1800))).summary.crashes)
    assert resumed.recovered == crashed == sum(resumed.recovery_hist)
    assert resumed.recovery_per_crash_s() > 0 and resumed.mean("time_to_recover_s") >= resumed.recovery_per_crash_s()
