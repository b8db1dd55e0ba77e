"""Per-question grading: exact answers against digests or the simulator, rubrics, partial credit, no leaks."""

import json
import re
from pathlib import Path

import pytest

import simlib.grading as grading
from simlib.core.errors import ConfigError
from simlib.grading import check, check_all
from simlib.grading.assignments import ASSIGNMENTS, EXERCISE, SELF_CHECK
from simlib.grading.digest import canonical, digest, grade_set
from simlib.grading.key import KEY
from simlib.grading.rubric import Concept, Rubric

ROOT = Path(__file__).resolve().parents[1]
TEMPORAL_WHY = ("The refund moves money, so it must happen exactly once even when the worker crashes; the "
                "engine records each step in its history, and a declined refund is compensated by voiding "
                "the label in a saga.")


# ---------------------------------------------------------------- exact answers
def test_right_answers_score_full_marks_in_any_format():
    assert check("a_idempotency_steps", [5, 4, 3]).passed
    assert check("a_idempotency_steps", "label, refund, email").passed
    assert check("a_compensation_steps", "3-4").passed
    assert check("q2_definition", "B").passed
    assert check("q4_nightly_batch", "Airflow").passed
    assert check("q4_on_demand_agents", "Workflow-as-Code").passed


def test_sets_get_jaccard_partial_credit_without_the_answer():
    fb = check("a_idempotency_steps", {4, 5})
    assert fb.status == "partial" and fb.score == pytest.approx(2 * 2 / 3, abs=0.01)
    assert fb.message == "partly right: the set is not complete yet" and fb.hint
    fb = check("a_idempotency_steps", {1, 2, 3, 4, 5})
    assert fb.score == pytest.approx(2 * 3 / 5, abs=0.01)
    assert fb.message == "partly right: some of your steps do not belong in the set"
    fb13 = check("a_idempotency_steps", {1, 3})
    assert not any(ch.isdigit() for ch in fb13.message + fb13.hint)
    assert check("a_idempotency_steps", set()).score == 0


def test_engine_credit_follows_the_section():
    assert check("a_engine", "Temporal").score == 2
    restate = check("a_engine", "restate")
    assert restate.status == "partial" and restate.score == pytest.approx(1.2)
    assert check("a_engine", "Inngest").score == pytest.approx(0.4)
    assert check("a_engine", "LangGraph").score == pytest.approx(0.4)


def test_hatchet_needs_a_task_queue_justification():
    bare = check("a_engine", "Hatchet", a_why=TEMPORAL_WHY)
    justified = check("a_engine", "Hatchet", a_why=TEMPORAL_WHY + " The rest of our system is a Python task queue.")
    assert bare.score == pytest.approx(0.4) and justified.score == pytest.approx(1.0)
    assert not justified.passed


def test_structured_parts_get_a_nudge_aimed_at_the_chosen_reasoning():
    assert check("q2_failure_mode", "B").passed and check("a_engine_property", "b").passed
    fb = check("a_engine_property", "a")
    assert fb.score == 0 and fb.hint == "Think of a crash after the provider refunded but before the engine recorded it."
    assert check("a_engine_property", "c").hint.startswith("Which line of your workflow")
    hints = {check("q2_failure_mode", x).hint for x in "acd"}
    assert len(hints) == 3 and not any("recorded" in h for h in hints)


def test_feedback_never_names_the_reference():
    for value in ("restate", "hatchet", "inngest", "langgraph"):
        fb = check("a_engine", value)
        assert "temporal" not in fb.text().lower()
    fb = check("q4_nightly_batch", "temporal")
    assert "dag" not in fb.text().lower()
    fb = check("q2_definition", "a")
    assert '"b"' not in fb.text() and "option b" not in fb.text()


def test_bad_input_is_invalid_not_a_crash():
    fb = check("a_engine", 42)
    assert fb.status == "invalid" and fb.score == 0 and "string" in fb.message
    with pytest.raises(ConfigError, match="unknown question 'nope'"):
        check("nope", 1)


# ---------------------------------------------------------------- simulator-computed answers
def test_q1_numbers_come_from_the_simulator():
    assert check("q1_none_steps_lost", 14).passed and check("q1_temporal_steps_lost", 0).passed
    assert check("q1_none_calls_repeated", 15).passed and check("q1_temporal_calls_repeated", 1).passed
    assert not check("q1_none_calls_repeated", 14).passed


def test_dollars_have_a_twenty_percent_tolerance():
    import simlib

    truth = simlib.simulate("q1", "none").summary.llm_cost_reexecuted_usd
    assert check("q1_none_usd_respent", truth * 1.19).passed
    assert check("q1_none_usd_respent", f"${truth * 0.81:.4f}").passed
    wrong = check("q1_none_usd_respent", truth * 1.3)
    assert not wrong.passed and f"{truth:.2f}" not in wrong.text()


def test_q2_sets_come_from_the_simulator():
    assert check("q2_repeated_none", {1, 2, 3}).passed
    assert check("q2_repeated_temporal", "label").passed
    assert check("q2_repeated_temporal_keyed", set()).passed
    assert not check("q2_repeated_temporal", {1, 2, 3}).passed


# ---------------------------------------------------------------- rubrics
def test_rubric_gives_partial_credit_per_concept():
    fb = check("q2_why", "A crash makes the engine retry the step that already ran.")
    assert fb.status == "partial" and fb.score == 1 and "does not yet say" in fb.message
    fb = check("q2_why", "A crash makes the engine retry the step, so the customer is charged twice.")
    assert fb.score == 2
    fb = check("q2_why", "A crash makes the engine retry the step, so the customer is charged twice, "
                         "unless an idempotency key lets the provider drop the repeat.")
    assert fb.passed


def test_a_misconception_costs_a_point():
    fb = check("q2_why", "Exactly-once means a step is never retried, so a crash cannot charge twice; the "
                         "history keeps the result.")
    # the crash and the history count; "cannot charge twice" denies the harm; the claim costs a point
    assert fb.status == "partial" and fb.score == 1 and "misconception: exactly-once means a step is never retried" \
        in fb.message


def test_rubric_concepts_match_on_word_starts():
    c = Concept("x", (r"retr\w*",), "hint")
    assert c.found("the engine retries the step") and c.found("a crash makes it retry.")
    assert not c.found("the engine metretry is on") and not c.found("the step is not retried at all")
    r = Rubric((c, Concept("y", (r"twice",), "h2", points=2)))
    res = r.grade("the engine retried the step, so it ran twice")
    assert res.score == 3 and res.max_score == 3 and not res.missing


# ---------------------------------------------------------------- the key holds no plain answers
def test_the_key_holds_only_digests():
    text = (ROOT / "simlib" / "grading" / "key.py").read_text()
    body = json.loads(text[text.index("{"):])
    strings = re.findall(r'"([^"]*)"', json.dumps(body))
    allowed = {"kind", "set", "choice", "exact", "members", "credits"} | set(KEY)
    assert all(s in allowed or re.fullmatch(r"[0-9a-f]{64}", s) for s in strings)
    assert set(KEY) == {q.id for a in ASSIGNMENTS.values() for q in a.questions
                        if type(q).__name__ in ("KeyedSet", "KeyedChoice")}


def test_no_question_object_carries_an_answer():
    for a in ASSIGNMENTS.values():
        for q in a.questions:
            fields = set(vars(q))
            assert not fields & {"answer", "expected_value", "reference", "solution"}


def test_digests_depend_on_the_question():
    assert digest("a", canonical(frozenset({3}))) != digest("b", canonical(frozenset({3})))
    entry = KEY["a_compensation_steps"]
    assert grade_set("a_compensation_steps", entry, frozenset({3, 4}))[0] == 1.0
    assert grade_set("a_idempotency_steps", entry, frozenset({3, 4}))[0] < 1.0


# ---------------------------------------------------------------- notebook-level
def test_check_all_and_assert_all_correct_grade_from_the_namespace():
    ns = {"a_idempotency_steps": {3, 4, 5}, "a_compensation_steps": {3, 4}, "a_engine_property": "b",
          "a_engine": "temporal",
          "a_why": TEMPORAL_WHY}
    part_a = check_all(EXERCISE.id, ns)
    assert [f.question for f in part_a.failing()] == [inv for inv in
                                                      [f.question for f in part_a.items] if inv.startswith("b_")]
    assert check_all(EXERCISE.id, ns, only="a_").passed
    with pytest.raises(AssertionError, match=r"^12 answer\(s\) not right yet: b_happy_path"):
        grading.assert_all_correct(EXERCISE.id, ns)
    with pytest.raises(ConfigError, match="no question"):
        check_all(SELF_CHECK.id, {}, only="zz")


def test_the_public_names_are_pinned():
    assert sorted(grading.__all__) == sorted([
        "check", "check_all", "check_workflow", "assert_all_correct", "try_returns", "replay", "plot_replay",
        "timeline_text", "ASSIGNMENTS", "get_assignment", "Feedback", "Report", "AnswerError", "ORDERS",
        "RETURN_WINDOW_DAYS"])
    assert set(ASSIGNMENTS) == {"self-check-64.4", "exercise-64.4.1-returns-agent"}
    assert sum(q.points for q in SELF_CHECK.questions) == 21
    assert sum(q.points for q in EXERCISE.questions) == 10
