"""The class report reads the grader's rows: a misconception in written feedback reaches the instructor."""

from types import SimpleNamespace

from simlib.grading.api import check
from simlib.grading.report import class_summary


def test_the_most_common_misconception_is_the_one_the_rubric_flagged():
    fb = check("q2_why", "Exactly-once means a step is never retried, so a crash cannot charge twice; the "
                         "history keeps the result.")
    wrong = check("q2_why", "A crash makes the engine retry the step, so the customer may be charged twice.")
    rows = {
        "a": ["alice", "self-check-64.4", "q2_why", fb.score, 3, fb.status, "no", fb.message],
        "b": ["bob", "self-check-64.4", "q2_why", fb.score, 3, fb.status, "no", fb.message],
        "c": ["carol", "self-check-64.4", "q2_why", wrong.score, 3, wrong.status, "no", wrong.message],
    }
    manifest = SimpleNamespace(entries={
        k: {"submission": row[0], "summary": {"graded": True, "score": row[3], "max_score": 3}, "rows": [row]}
        for k, row in rows.items()})
    summary = class_summary(manifest, [])
    (question, message), count = summary["misconception"]
    assert question == "q2_why" and count == 2 and "never retried" in message
    assert summary["submissions"] == 3 and summary["ungraded"] == []
