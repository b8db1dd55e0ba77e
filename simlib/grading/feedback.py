"""What a grader says about one answer, and about a whole notebook.

`Feedback` is plain data (numbers and strings) so that the notebook, the batch
grader's CSV and the Gradescope-style JSON all show the same thing. Its
message says what is wrong and gives a hint; it never holds the reference
answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Feedback", "Report", "CORRECT", "PARTIAL", "WRONG", "INVALID", "MISSING", "ERROR"]

CORRECT, PARTIAL, WRONG, INVALID, MISSING, ERROR = "correct", "partial", "wrong", "invalid", "missing", "error"
_MARK = {CORRECT: "✓", PARTIAL: "~", WRONG: "✗", INVALID: "✗", MISSING: "✗", ERROR: "✗"}


@dataclass(frozen=True)
class Feedback:
    """The grade of one question.

    Attributes:
        question: the question id (the answer's variable name, or ``b_...`` for Part B checks).
        score: points earned.
        max_score: points available.
        status: correct, partial, wrong, invalid (could not be read), missing, error.
        message: one line: what is right or wrong.
        hint: one line that helps, or "".
        detail: longer text (Part B's counterexample: schedule, timeline, replay token), or "".
    """

    question: str
    score: float
    max_score: float
    status: str
    message: str
    hint: str = ""
    detail: str = ""

    @property
    def passed(self) -> bool:
        """Full marks (the only state in which the notebook's final cell passes)."""
        return self.status == CORRECT and self.score >= self.max_score

    def line(self) -> str:
        """One line for tables and CSV: mark, id, score and message."""
        return f"{_MARK.get(self.status, '?')} {self.question}: {_fmt(self.score)}/{_fmt(self.max_score)} {self.message}"

    def text(self) -> str:
        """The full feedback a learner reads."""
        out = [self.line()]
        if self.hint:
            out.append(f"  hint: {self.hint}")
        if self.detail:
            out.extend("  " + ln for ln in self.detail.splitlines())
        return "\n".join(out)

    def to_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Report:
    """The feedback of several questions (a notebook, or Part B's invariants)."""

    title: str
    items: tuple[Feedback, ...]

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.items), 4)

    @property
    def max_score(self) -> float:
        return round(sum(f.max_score for f in self.items), 4)

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(f.passed for f in self.items)

    def failing(self) -> list[Feedback]:
        return [f for f in self.items if not f.passed]

    def text(self) -> str:
        head = f"{self.title}: {_fmt(self.score)}/{_fmt(self.max_score)}"
        bad = self.failing()
        head += " (all correct)" if not bad else f" ({len(bad)} of {len(self.items)} not yet right)"
        return "\n".join([head, *(f.text() for f in self.items)])

    def __repr__(self) -> str:
        return self.text()


def _fmt(x: float) -> str:
    return f"{x:g}" if x == int(x) else f"{x:.2f}"
