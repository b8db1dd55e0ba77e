"""A rubric grader for short free-text answers.

A rubric is a list of concepts the answer must mention. Each concept is a set
of synonyms (regular expressions, matched on word boundaries in the lower-cased
answer) and carries its points; the score is the sum of the concepts found, so
partial answers earn partial credit. A concept's hint says what is missing in
the learner's terms, never in the model answer's words.

A misconception (``penalty > 0``) takes points away when it appears: "exactly
once means the step is never retried" should not score like a right answer.
Concepts are hints, not secrets; the rubric lives in the package in plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Concept", "Rubric", "RubricResult"]


@dataclass(frozen=True)
class Concept:
    """One idea an answer must contain.

    Attributes:
        name: a short label used in feedback ("what goes wrong").
        patterns: regular expressions; any one matching counts as the concept.
        hint: a nudge shown when the concept is missing.
        points: what the concept is worth.
        penalty: points lost when a misconception pattern matches (0 for a normal concept).
    """

    name: str
    patterns: tuple[str, ...]
    hint: str
    points: float = 1.0
    penalty: float = 0.0

    def found(self, text: str) -> bool:
        """True when any pattern matches ``text`` (already lower-cased)."""
        return any(re.search(rf"(?<![a-z0-9]){p}", text) for p in self.patterns)


@dataclass(frozen=True)
class RubricResult:
    """What a rubric made of one answer."""

    score: float
    max_score: float
    found: tuple[str, ...]
    missing: tuple[str, ...]
    misconceptions: tuple[str, ...]
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Rubric:
    """Required concepts (with points) and misconceptions (with penalties)."""

    concepts: tuple[Concept, ...]
    misconceptions: tuple[Concept, ...] = field(default=())

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.concepts)

    def grade(self, text: str) -> RubricResult:
        """Score a normalized answer (see `simlib.grading.normalize.as_text`)."""
        found, missing, hints, wrong = [], [], [], []
        score = 0.0
        for c in self.concepts:
            if c.found(text):
                found.append(c.name)
                score += c.points
            else:
                missing.append(c.name)
                hints.append(c.hint)
        for m in self.misconceptions:
            if m.found(text):
                wrong.append(m.name)
                hints.append(m.hint)
                score -= m.penalty
        return RubricResult(round(max(0.0, score), 4), self.max_score, tuple(found), tuple(missing),
                            tuple(wrong), tuple(hints))
