"""Free-text answers are graded for meaning: a bank of answers as learners write them, good and bad.

Each answer has the score it deserves and the misconceptions it states. Ideas count only when
they are stated in prose (a keyword list earns nothing) and not negated ("no key is needed"
does not say that a key prevents the repeat); a misconception costs a point and gets feedback
that says what is wrong with it.
"""

import pytest

from simlib.grading import check
from simlib.grading.rubric import clauses, is_prose

NO_KEYS = "exactly-once makes idempotency keys unnecessary"
ENGINE = "the engine alone makes every effect exactly-once"
NO_RETRY = "exactly-once means a step is never retried"
AUTO_UNDO = "the engine undoes side effects by itself"

# (question, answer, score, misconceptions it states)
BANK = [
    ("q2_why", "temporal exactly-once saga compensation idempotency order refund money retry crash twice", 0, ()),
    ("q2_why", "Crash, retry, duplicate charge, idempotency key, history, replay, exactly once.", 0, ()),
    ("q2_why", "Temporal and exactly-once and saga and compensation and idempotency and a refund and money.", 0,
     ()),
    ("q2_why", "Temporal guarantees exactly-once so you never need idempotency keys.", 0, (NO_KEYS, ENGINE)),
    ("q2_why", "If the worker crashes after the email went out, the retry sends it again and the customer gets "
               "two emails. An idempotency key lets the provider drop the second one.", 3, ()),
    ("q2_why", "Exactly-once matters because a retried charge would bill the customer twice. Temporal "
               "guarantees exactly-once execution, so the engine takes care of it.", 1, (ENGINE,)),
    ("q2_why", "When a step fails it is retried, and if it already charged the card the customer pays twice. "
               "Durable execution records each result in the history, and idempotency keys cover the gap "
               "before the record.", 3, ()),
    ("q2_why", "Emails and charges are side effects. They should happen once. Use Temporal.", 0, ()),
    ("q2_why", "Retries are dangerous: a crash after the charge but before the record makes the engine run the "
               "charge again, charging the customer twice. The provider deduplicates a repeat when the call "
               "carries the same idempotency key.", 3, ()),
    ("q2_why", "Exactly-once means the step only runs once and is never retried, so there is no duplicate "
               "email.", 0, (NO_RETRY,)),
    ("q2_why", "A crash can make the engine retry a step whose effect already happened, so the customer is "
               "charged twice; keys are not needed because Temporal replays the history.", 2, (NO_KEYS,)),
    ("q2_why", "Because of retries the card might be charged twice. The fix is to record the step in the event "
               "history and pass an idempotency key to the payment provider.", 3, ()),
    ("q2_why", "It matters since customers hate getting the same email twice after a crash and a retry. The "
               "workflow engine itself ensures exactly-once for activities, so nothing else is needed.", 1,
     (ENGINE,)),
    ("a_why", "Temporal, because money moves: the refund must happen exactly once even if a worker crashes and "
              "retries, and when the refund is declined the label has to be voided as a compensation. Its "
              "event history keeps the steps in order.", 3, ()),
    ("a_why", "temporal exactly-once saga compensation idempotency order refund money", 0, ()),
    ("a_why", "Temporal is the best because it guarantees exactly-once, so we never need idempotency keys, and "
              "it rolls back the label automatically if the refund fails.", 0, (NO_KEYS, ENGINE, AUTO_UNDO)),
    ("a_why", "We pick Temporal: the refund is a payment, so a duplicate refund would cost real money. A saga "
              "undoes the label when the refund is declined, and the history lets a crashed workflow resume in "
              "order.", 3, ()),
    ("a_why", "Restate could also work, but Temporal's durable history fits a strict sequence of steps. If the "
              "refund fails, we void the label.", 2, ()),
    ("a_why", "Temporal handles retries for us. It is popular and well documented.", 1, ()),
]


def test_the_bank_has_good_and_bad_answers():
    assert len(BANK) >= 15
    assert sum(1 for _, _, score, _ in BANK if score == 0) >= 5
    assert sum(1 for q, _, score, _ in BANK if score == 3) >= 5


@pytest.mark.parametrize("question,answer,score,wrong", BANK, ids=[f"{q}-{i}" for i, (q, *_) in enumerate(BANK)])
def test_an_answer_gets_the_score_it_deserves(question, answer, score, wrong):
    fb = check(question, answer)
    assert fb.score == score, fb.text()
    for name in wrong:
        assert name in fb.message, fb.text()
    if not wrong:
        assert "not right" not in fb.message


def test_a_keyword_salad_is_told_to_write_sentences():
    fb = check("q2_why", "temporal exactly-once saga compensation idempotency order refund money")
    assert fb.score == 0 and "list of words" in fb.message and "Write sentences" in fb.hint


def test_a_misconception_gets_targeted_feedback_in_separate_sentences():
    fb = check("q2_why", "Temporal guarantees exactly-once so you never need idempotency keys.")
    assert "at least once" in fb.hint and "idempotency key lets the provider" in fb.hint
    sentences = [s for s in fb.hint.split(". ") if s]
    assert all(s[0].isupper() for s in sentences) and fb.hint.endswith(".")


def test_prose_and_keyword_lists_are_told_apart():
    assert is_prose("the refund moves money, so it must take effect once")
    assert not is_prose("temporal exactly-once saga compensation idempotency")
    assert not is_prose("crash retry duplicate")
    assert clauses("One thing. Another; and a third: yes") == ["One thing.", "Another;", "and a third:", "yes"]


def test_a_negated_idea_does_not_count():
    stated = check("q2_why", "After a crash the step runs again and the customer is charged twice, unless an "
                             "idempotency key lets the provider drop the repeat.")
    denied = check("q2_why", "After a crash the step runs again and the customer is charged twice, and no "
                             "idempotency key is ever involved here.")
    assert stated.score == 3 and denied.score == 2
