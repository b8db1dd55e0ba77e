"""Auto-grading for the course's Self-Check and Exercise 64.4.1.

In a notebook::

    from simlib.grading import check, check_workflow, assert_all_correct
    check("a_engine", a_engine, a_why=a_why)      # score, what is wrong, a hint
    check_workflow(returns_workflow)              # Part B under a practice fault campaign
    assert_all_correct("exercise-64.4.1-returns-agent", globals())   # the last cell

For instructors: ``python -m simlib grade SUBMISSIONS --out GRADES`` grades a
folder of notebooks, each in its own sandboxed process, and
``python -m simlib exercises`` regenerates ``exercises/`` from ``solutions/``.
"""

from .api import assert_all_correct, check, check_all, check_workflow, plot_replay, replay, try_returns
from .campaign import timeline_text
from .assignments import ASSIGNMENTS, get_assignment
from .feedback import Feedback, Report
from .normalize import AnswerError
from .returns import ORDERS, RETURN_WINDOW_DAYS

__all__ = [
    "check", "check_all", "check_workflow", "assert_all_correct", "try_returns", "replay", "plot_replay", "timeline_text",
    "ASSIGNMENTS", "get_assignment", "Feedback", "Report", "AnswerError",
    "ORDERS", "RETURN_WINDOW_DAYS",
]
