"""The per-notebook questions: each has exactly one right letter, and `check` reaches them."""

import pytest

from simlib.grading import check
from simlib.grading.quizzes import QUIZZES, quiz_for
from simlib.errors import ConfigError


@pytest.mark.parametrize("quiz", QUIZZES, ids=lambda a: a.id)
def test_every_question_has_one_right_letter_and_feedback_for_the_others(quiz):
    assert 3 <= len(quiz.questions) <= 5
    for q in quiz.questions:
        results = {letter: check(q.id, letter) for letter in q.options}
        right = [letter for letter, fb in results.items() if fb.passed]
        assert len(right) == 1, q.id
        for letter, fb in results.items():
            if letter not in right:
                assert fb.status == "wrong" and fb.hint, (q.id, letter)


def test_unanswered_and_bad_answers_say_what_is_allowed():
    assert check("n02_q1", None).status == "missing"
    bad = check("n02_q1", "z")
    assert bad.status == "invalid" and "a, b, c, d" in bad.message


def test_quiz_for_names_the_allowed_notebooks():
    assert quiz_for("02").id == "quiz-02"
    with pytest.raises(ConfigError, match="allowed"):
        quiz_for("99")
