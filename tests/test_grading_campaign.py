"""Part B: the fault campaign, its invariants, shrinking, replay, and the sandbox protocol.

The reference workflow is read from the solution notebook (it lives nowhere else).
"""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from simlib import CrashAt, FaultSchedule, RandomCrashes
from simlib.core.errors import ActivityError
from simlib.grading import check_workflow, replay, try_returns
from simlib.grading.campaign import (INVARIANTS, Case, campaign_cases, grade_workflow, judge, run_case, shrink,
                                     token_for)
from simlib.grading.returns import local_factory
from simlib.grading.runner import Limits, Sandbox

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "exercise-64.4.1-returns-agent.ipynb"
ALL = [i for i, _, _ in INVARIANTS]


def solution_cells(*ids):
    nb = json.loads(SOLUTION.read_text())
    by_id = {c.get("id"): c for c in nb["cells"]}
    return [{"index": i, "id": cid, "source": "".join(by_id[cid]["source"])} for i, cid in enumerate(ids)]


@pytest.fixture(scope="module")
def reference():
    ns = {}
    for cell in solution_cells("setup", "workflow"):
        exec(cell["source"], ns)
    return ns["returns_workflow"]


def failing(workflow, seed=1, random_runs=2):
    report = check_workflow(workflow, seed=seed, random_runs=random_runs)
    return {f.question for f in report.items if not f.passed}, report


# ---------------------------------------------------------------- verdicts
def test_the_reference_passes_every_invariant(reference):
    for seed in (1, 99):
        bad, report = failing(reference, seed=seed, random_runs=4)
        assert bad == set(), report.text()
    assert len(campaign_cases(1, 2)) > 40


def unkeyed(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > 30:
        return "rejected"
    yield ctx.tool("check_inventory")
    label = yield ctx.tool("create_label", effect="create_label")
    try:
        yield ctx.tool("issue_refund", effect="refund_card")
    except ActivityError:
        yield ctx.tool("void_label", effect="void_label", payload={"label": label})
        return "refund-declined"
    yield ctx.tool("send_confirmation", effect="send_email")
    return "refunded"


def test_without_idempotency_keys_exactly_the_duplicate_checks_fail():
    bad, _ = failing(unkeyed)
    assert bad == {"b_one_refund", "b_one_email", "b_one_label", "b_compensation_keyed"}


def test_a_workflow_that_does_nothing_fails_the_gate_and_everything_after_it():
    def hard_coded(ctx, order):
        return "refunded"
        yield  # noqa: unreachable - makes it a generator

    bad, report = failing(hard_coded)
    assert bad == set(ALL)
    assert "no refund was made" in report.items[0].message
    assert all("fix the run without faults first" in f.message for f in report.items[1:])


class Shared(list):
    """A list every incarnation shares (it refuses to be copied): lets a test watch all of them."""

    def __deepcopy__(self, memo):
        return self


def test_a_crash_never_runs_the_learners_cleanup_code(reference):
    ran = Shared()

    def with_finally(ctx, order):
        try:
            return (yield from reference(ctx, order))
        finally:
            ran.append(ctx.now())

    res = try_returns(with_finally, "valid", FaultSchedule(crashes=(CrashAt(4, "after-effect"),)))
    assert res.summary.completed and res.summary.crashes == 1
    assert len(ran) == 1       # the completed invocation only; the killed one never reached its finally


def test_nondeterministic_replay_is_caught_as_not_finishing(reference):
    def clock_dependent(ctx, order):
        yield ctx.tool("validate")
        if ctx.now() < 10:     # true at first, false on the replay after a crash
            yield ctx.tool("check_inventory")
        yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
        yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
        yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))

    bad, report = failing(clock_dependent)
    assert "b_finishes" in bad
    assert "Nondeterminism" in next(f.message for f in report.items if f.question == "b_finishes")


def test_bad_step_arguments_fail_with_a_clear_reason():
    def bad_effect(ctx, order):
        yield ctx.tool("create_label", effect="print_money")

    res = try_returns(bad_effect)
    assert "unknown effect 'print_money'" in res.summary.error


def test_the_saga_helper_works_but_is_not_required(reference):
    saga_mod = pytest.importorskip("simlib.course.saga")

    def with_saga(ctx, order):
        saga = saga_mod.Saga(ctx, "return")
        yield ctx.tool("validate")
        if order["days_since_delivery"] > 30:
            return "rejected"
        yield ctx.tool("check_inventory")
        try:
            yield from saga.tool("create_label", "create_label")
            yield from saga.tool("issue_refund", "refund_card", undo=None)
        except ActivityError as err:
            yield from saga.compensate(err)
            return "refund-declined"
        yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
        return "refunded"

    bad, report = failing(with_saga)
    assert bad == set(), report.text()


# ---------------------------------------------------------------- shrinking and replay
def test_shrinking_finds_the_single_crash_that_doubles_the_refund():
    factory = local_factory(unkeyed)
    big = Case("valid", 5, FaultSchedule(crashes=(CrashAt(2, "before-step"), CrashAt(5, "after-record"),
                                                  CrashAt(4, "after-effect"))))
    o = run_case(big, factory)
    assert judge("b_one_refund", o) is not None
    small = shrink("b_one_refund", o, factory)
    assert small.case.faults.crashes == (CrashAt(4, "after-effect"),)
    assert judge("b_one_refund", small) == "2 refunds were issued for one return"


def test_random_crashes_shrink_to_explicit_ones():
    factory = local_factory(unkeyed)
    # A random crash doubles the refund only inside the 0.01 s between its effect and its record
    # (simlib.models.params.ASSUMED_RECORD_S), so it takes many seeds to find one such schedule.
    for seed in range(1, 1000):
        o = run_case(Case("valid", seed, FaultSchedule(random=RandomCrashes(10.0))), factory)
        if judge("b_one_refund", o) is not None:
            break
    else:
        pytest.fail("no random schedule doubled the refund")
    small = shrink("b_one_refund", o, factory)
    f = small.case.faults
    assert f.random is None and len(f.crashes) + len(f.timed) == 1
    assert judge("b_one_refund", small) is not None


def test_a_failure_report_shows_the_schedule_timeline_and_a_token_that_replays_it():
    report = check_workflow(unkeyed)
    fb = next(f for f in report.items if f.question == "b_one_refund")
    assert "smallest failing run: valid return" in fb.detail and "CRASH (after-effect)" in fb.detail
    token = fb.detail.split("replay token: ")[1].strip()
    again = replay(token, unkeyed)
    assert again.ledger.count("refund_card") == 2
    o = run_case(Case("valid", json.loads(token)["seed"], FaultSchedule.from_dict(json.loads(token)["faults"])),
                 local_factory(unkeyed))
    assert [tuple(r) for r in again.history] == [tuple(r) for r in o.history]


def test_tokens_round_trip():
    case = Case("declined", 7, FaultSchedule(crashes=(CrashAt(5, "after-effect"),)))
    tok = json.loads(token_for(case))
    assert tok["scenario"] == "returns-declined" and tok["model"] == "temporal" and tok["seed"] == 7


# ---------------------------------------------------------------- the sandbox protocol
def test_a_workflow_in_the_sandbox_makes_the_same_history_as_in_process(reference):
    cases = [Case("valid", 3, FaultSchedule(crashes=(CrashAt(4, "after-effect"),))),
             Case("declined", 4, FaultSchedule(crashes=(CrashAt(5, "after-effect"),))),
             Case("valid", 9, FaultSchedule(random=RandomCrashes(4.0))),
             Case("invalid", 2)]
    with Sandbox(solution_cells("setup", "workflow"), Limits(wall_s=60)) as box:
        assert box.start() == []
        remote = box.factory("returns_workflow")
        for case in cases:
            a = run_case(case, remote)
            b = run_case(case, local_factory(reference))
            assert [tuple(r) for r in a.history] == [tuple(r) for r in b.history]
        report = grade_workflow(remote, campaign_cases(5, 1), broken=lambda: box.broken)
    assert all(f.passed for f in report)


def test_a_failing_case_can_be_drawn_when_simlib_viz_is_there(reference):
    pytest.importorskip("simlib.viz.timeline")
    from simlib.grading import plot_replay

    token = token_for(Case("declined", 7, FaultSchedule(crashes=(CrashAt(5, "after-effect"),))))
    fig = plot_replay(token, reference)
    assert fig.axes


def test_the_learner_ci_workflow_runs_nbval_lax():
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((ROOT / "grading" / "learner-ci.yml").read_text())
    steps = doc["jobs"]["grade"]["steps"]
    assert any("--nbval-lax" in str(s.get("run", "")) for s in steps)
    assert any("simlib grade" in str(s.get("run", "")) for s in steps)


crash_points = st.builds(CrashAt, st.integers(1, 7), st.sampled_from(["before-step", "after-effect", "after-record"]),
                         st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["valid", "declined", "invalid"]), seed=st.integers(0, 10**6),
       crashes=st.lists(crash_points, max_size=3), mtbf=st.none() | st.floats(2.0, 30.0))
def test_the_reference_keeps_every_invariant_under_any_schedule(reference, kind, seed, crashes, mtbf):
    faults = FaultSchedule(crashes=tuple(crashes), random=RandomCrashes(mtbf) if mtbf else None)
    o = run_case(Case(kind, seed, faults), local_factory(reference))
    assert o.completed
    for inv in ALL:
        assert judge(inv, o) is None, (inv, judge(inv, o))
