"""The functions a learner calls in a graded notebook.

``check`` grades one answer, ``check_workflow`` runs Part B's practice
campaign, ``assert_all_correct`` grades the whole notebook from its variables
and raises while anything is not right (the notebook's last cell, so that
``pytest --nbval-lax`` passes only on a solved notebook), and ``replay`` runs a
failing case again from its token.

Nothing here keeps state between calls: ``assert_all_correct`` grades the
answers afresh, so deleting or reordering the ``check`` cells changes nothing.
"""

from __future__ import annotations

import os

from ..core.errors import ConfigError
from .assignments import get_assignment
from .quizzes import find_question
from .campaign import DEFAULT_EVENT_BUDGET, PRACTICE_SEED, campaign_cases, grade_workflow
from .feedback import INVALID, MISSING as MISSING_STATUS, Feedback, Report
from .normalize import AnswerError, to_plain
from .questions import MISSING
from .returns import MODEL, local_factory, make_scenario

__all__ = ["check", "check_all", "check_workflow", "assert_all_correct", "try_returns", "replay", "plot_replay",
           "IN_SANDBOX_ENV"]

# Set by the batch grader's sandbox: the notebook's own feedback cells then skip the
# expensive work, which the grader does itself, outside the learner's process.
IN_SANDBOX_ENV = "SIMLIB_GRADING_SANDBOX"


def _in_sandbox() -> bool:
    return os.environ.get(IN_SANDBOX_ENV) == "1"


def _plain_answers(answers: dict) -> dict:
    out = {}
    for k, v in answers.items():
        try:
            out[k] = to_plain(v)
        except AnswerError:
            continue
    return out


def check(question_id: str, answer=MISSING, **other_answers) -> Feedback:
    """Grade one answer and say what is wrong, with a hint (never the reference answer).

    Args:
        question_id: the answer's variable name (``"a_engine"``).
        answer: the value to grade.
        **other_answers: answers this one depends on (``a_why=a_why`` for ``a_engine``).
    """
    _, q = find_question(question_id)
    return q.grade(answer, _plain_answers(other_answers))


def check_workflow(workflow, seed: int = PRACTICE_SEED, random_runs: int = 2,
                   event_budget: int = DEFAULT_EVENT_BUDGET) -> Report:
    """Run Part B's practice campaign on ``workflow`` and report each invariant.

    The orders are drawn from ``seed``; every worker start runs a fresh copy of the workflow
    and the module-level state it uses, as a new process would. The batch grader runs the
    same invariants on a seed of its own (other orders) and more random crashes.
    """
    title = "Exercise 64.4.1 Part B (practice campaign)"
    if _in_sandbox():
        return Report(title + ": graded by the batch grader", ())
    if not callable(workflow):
        from .invariants import INVARIANTS

        return Report(title, tuple(Feedback(i, 0.0, 1.0, INVALID, "returns_workflow is not a function")
                                   for i, _, _ in INVARIANTS))
    factory = local_factory(workflow)
    items = grade_workflow(factory, campaign_cases(seed, random_runs), event_budget,
                           broken=lambda: factory.broken)
    return Report(title, tuple(items))


def check_all(assignment_id: str, namespace: dict, only: str = "") -> Report:
    """Grade every answer of an assignment found in ``namespace`` (pass ``globals()``).

    Args:
        only: grade just the questions whose id starts with this (``"q1_"``); the
            workflow is graded only when ``only`` is empty.
    """
    a = get_assignment(assignment_id)
    if not isinstance(namespace, dict):
        raise ConfigError(f"namespace must be a dict such as globals(), got {type(namespace).__name__}")
    answers = _plain_answers({q.id: namespace[q.id] for q in a.questions if q.id in namespace})
    questions = [q for q in a.questions if q.id.startswith(only)]
    if not questions and only:
        raise ConfigError(f"no question of {assignment_id} starts with {only!r}")
    items = [q.grade(namespace.get(q.id, MISSING), answers) for q in questions]
    if a.workflow and not only:
        fn = namespace.get(a.workflow)
        if fn is None:
            from .invariants import INVARIANTS

            items += [Feedback(i, 0.0, 1.0, MISSING_STATUS, f"`{a.workflow}` is not defined")
                      for i, _, _ in INVARIANTS]
        else:
            items += list(check_workflow(fn).items)
    return Report(a.title, tuple(items))


def assert_all_correct(assignment_id: str, namespace: dict) -> Report:
    """Grade the notebook and raise `AssertionError` while any answer is not fully right."""
    if _in_sandbox():
        return Report("graded by the batch grader", ())
    report = check_all(assignment_id, namespace)
    print(report.text())
    bad = report.failing()
    if bad:
        names = ", ".join(f.question for f in bad[:8]) + (" ..." if len(bad) > 8 else "")
        raise AssertionError(f"{len(bad)} answer(s) not right yet: {names}")
    return report


def try_returns(workflow, kind: str = "valid", faults=None, seed: int = PRACTICE_SEED,
                event_budget: int | None = DEFAULT_EVENT_BUDGET, order: dict | None = None):
    """Run ``workflow`` once on one of Part B's orders; returns a `simlib.RunResult`.

    Every worker start runs a fresh copy of the workflow, as a new process would: state kept
    in module-level variables does not survive a crash.

    Args:
        kind: ``"valid"``, ``"declined"`` (the refund provider declines) or ``"invalid"``.
        faults: a `simlib.FaultSchedule` (None: no faults).
        order: the order to send (default: ``ORDERS[kind]``).
    """
    from ..core.engine import simulate
    from ..core.faults import FaultSchedule

    scenario = make_scenario(kind, local_factory(workflow), order)
    return simulate(scenario, MODEL, seed=seed, faults=faults or FaultSchedule(), event_budget=event_budget)


def replay(token: str, workflow, event_budget: int | None = DEFAULT_EVENT_BUDGET):
    """Run a case of Part B again from its replay token; returns a `simlib.RunResult`.

    The token holds the case's kind, order, run seed and faults; the history is the same,
    record for record, as the run the grader showed.
    """
    from ..core.engine import simulate
    from .campaign import case_from_token

    case = case_from_token(token)
    scenario = make_scenario(case.kind, local_factory(workflow), case.order_data())
    return simulate(scenario, MODEL, seed=case.seed, faults=case.faults, event_budget=event_budget)


def plot_replay(token: str, workflow, **kwargs):
    """Replay a case and draw its timeline with `simlib.viz` (a matplotlib Figure).

    The drawing is optional: without `simlib.viz`, ``print(timeline_text(replay(...).history))``
    shows the same run as text.
    """
    try:
        from ..viz.timeline import timeline
    except ImportError:
        raise ConfigError("simlib.viz is not available here; use timeline_text(replay(token, wf).history)") from None
    return timeline(replay(token, workflow), **kwargs)
