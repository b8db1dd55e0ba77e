"""Answers are normalized into plain values before any comparison, and hostile objects are refused."""

import pytest
from hypothesis import given, strategies as st

from simlib.grading.normalize import (ENGINE_ALIASES, FAMILY_ALIASES, AnswerError, as_choice, as_number,
                                      as_step_set, as_text, to_plain)
from simlib.grading.returns import STEP_NAMES

STEPS = range(1, 6)


@pytest.mark.parametrize("value", [
    {3, 4, 5}, [5, 3, 4], (4, 5, 3), frozenset({3, 4, 5}), "3,4,5", "{5, 4, 3}", "3-5", "steps 3 to 5",
    "3 4 5", ["3", "4", "5"], "label, refund, email", {"Shipping label", "REFUND", "confirmation email"},
    [3.0, 4, 5], "step 3, step 4 and step 5",
])
def test_the_same_set_in_any_format(value):
    assert as_step_set(value, STEPS, STEP_NAMES) == frozenset({3, 4, 5})


@pytest.mark.parametrize("value", [set(), [], (), "", "none", "{}", {}])
def test_the_empty_set_in_any_format(value):
    assert as_step_set(value, STEPS) == frozenset()


@pytest.mark.parametrize("value,why", [
    ({0, 1}, "not a step"), ({6}, "not a step"), ({True}, "True/False"), ("three", "no step numbers"),
    ({"a": 1}, "dict"), (3, "set of step numbers"), ([[3]], "not a step number"),
])
def test_bad_sets_say_what_is_wrong(value, why):
    with pytest.raises(AnswerError, match=why):
        as_step_set(value, STEPS)


@given(st.sets(st.integers(1, 5)), st.randoms())
def test_order_and_container_never_change_a_set(steps, rnd):
    items = list(steps)
    rnd.shuffle(items)
    forms = [set(items), items, tuple(items), ", ".join(map(str, items)), [str(i) for i in items]]
    assert {as_step_set(f, STEPS) for f in forms} == {frozenset(steps)}


@pytest.mark.parametrize("value,canon", [
    ("Temporal", "temporal"), (" TEMPORAL ", "temporal"), ("temporal.io", "temporal"), ("LangGraph", "langgraph"),
    ("lang graph", "langgraph"), ("Restate", "restate"), ("Temporal, because money moves", "temporal"),
])
def test_engine_names_in_any_case(value, canon):
    assert as_choice(value, ENGINE_ALIASES) == canon


def test_engine_names_refuse_two_engines_and_unknown_names():
    with pytest.raises(AnswerError, match="just one"):
        as_choice("Temporal or Restate", ENGINE_ALIASES)
    with pytest.raises(AnswerError, match="not one of"):
        as_choice("Kafka", ENGINE_ALIASES)


@pytest.mark.parametrize("value,canon", [
    ("DAG-as-config", "dag-as-config"), ("Airflow", "dag-as-config"), ("dag as config", "dag-as-config"),
    ("workflow as code", "workflow-as-code"), ("Temporal", "workflow-as-code"),
])
def test_family_aliases(value, canon):
    assert as_choice(value, FAMILY_ALIASES) == canon


def test_letters_are_matched_exactly():
    letters = {"a": (), "b": (), "c": (), "d": ()}
    assert as_choice("B", letters, sentences=False) == "b"
    with pytest.raises(AnswerError):
        as_choice("b, because a step ...", letters, sentences=False)


@pytest.mark.parametrize("value,number", [(14, 14.0), (0.24, 0.24), ("$0.24", 0.24), ("14 steps", 14.0),
                                          ("1,500", 1500.0), ("1e-3", 0.001)])
def test_numbers_from_numbers_and_strings(value, number):
    assert as_number(value) == pytest.approx(number)


@pytest.mark.parametrize("value", [True, None, "about 14 or 15", "many", float("nan"), [14]])
def test_numbers_refuse_ambiguous_values(value):
    with pytest.raises(AnswerError):
        as_number(value)


def test_numpy_scalars_are_plain_enough():
    np = pytest.importorskip("numpy")
    assert as_number(np.int64(14)) == 14.0
    assert as_step_set({np.int64(3), np.int64(4)}, STEPS) == frozenset({3, 4})


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


class SneakyStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class SneakySet(frozenset):
    def __eq__(self, other):
        return True

    __hash__ = frozenset.__hash__


class SneakyInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("obj", [AlwaysEqual(), SneakyStr("temporal"), SneakySet({3, 4, 5}), SneakyInt(14),
                                 [AlwaysEqual()], {3, SneakyInt(4)}])
def test_objects_that_lie_about_equality_are_refused(obj):
    with pytest.raises(AnswerError, match="plain"):
        to_plain(obj)
    for parse in (lambda v: as_step_set(v, STEPS), lambda v: as_choice(v, ENGINE_ALIASES), as_number):
        with pytest.raises(AnswerError):
            parse(obj)


def test_huge_answers_are_refused_cheaply():
    with pytest.raises(AnswerError, match="items"):
        to_plain(list(range(10_000)))
    with pytest.raises(AnswerError, match="too long"):
        to_plain("x" * 100_000)


def test_text_is_lower_cased_and_bounded():
    assert as_text("  Crash   AND retry are fine here ok ", min_words=3) == "crash and retry are fine here ok"
    with pytest.raises(AnswerError, match="at least"):
        as_text("too short", min_words=5)
    with pytest.raises(AnswerError, match="under"):
        as_text("word " * 200, max_words=120)
