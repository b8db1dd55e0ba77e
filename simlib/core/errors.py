"""Exceptions shared by the simulator, the models and the command line.

`WorkerCrash` derives from `BaseException` on purpose: workflow code written by a
learner often says ``except Exception``, and a simulated crash must not be
swallowed by it, just as a real ``SIGKILL`` cannot be caught.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad value given by a user: the message names it and the allowed values."""


class WorkerCrash(BaseException):
    """The process running the workflow died (thrown into the workflow at a yield)."""

    def __str__(self) -> str:
        where = f" at step {self.step} ({self.point})" if self.step is not None else ""
        return f"{self.reason}{where}"

    def __init__(self, reason: str = "crash", step: int | None = None, point: str | None = None):
        # SimPy rebuilds a thrown exception from its args, so all three go there.
        super().__init__(reason, step, point)
        self.reason = reason
        self.step = step
        self.point = point


class ActivityError(Exception):
    """A step failed for good (a business error or retries exhausted).

    Raised inside the workflow so that it can compensate, as
    ``temporalio.exceptions.ActivityError`` is.
    """

    def __init__(self, step_name: str, message: str):
        super().__init__(step_name, message)
        self.step_name = step_name
        self.message = message

    def __str__(self) -> str:
        return f"{self.step_name}: {self.message}"


class NondeterminismError(Exception):
    """Replayed workflow code issued a different command than the recorded one."""


class WorkflowFailure(Exception):
    """Base of the errors a model raises into workflow code on purpose: the engine itself fails the workflow.

    (DBOS's unexpected-step error, Hatchet's task cancellation.) The step pipeline lets these through to the
    workflow; any other exception it meets is a `SimulatorError`.
    """


class BudgetExceeded(Exception):
    """The run processed more simulated events than its budget allows."""


class SimulatorError(BaseException):
    """A bug inside the simulator or a model (not in workflow code); the original error is its cause.

    Raised out of the run the same way whether the failing code ran inline, inside the workflow's
    call to ``ctx.llm``/``ctx.tool``/..., or later from SimPy's event queue. It derives from
    `BaseException` so that workflow code catching ``Exception`` cannot mistake it for its own failure.
    """
