"""A rubric grader for short free-text answers: ideas stated in sentences, not keywords.

A rubric lists the ideas an answer must contain. Each idea is a set of
synonyms (regular expressions matched at word starts), and it counts only when
it appears

* in a *clause*, a stretch of text between sentence marks that reads as prose:
  at least four words, one of them a verb or an auxiliary, and a fair share of
  the small words (articles, prepositions, conjunctions, pronouns) that join
  ideas into a claim. A list of keywords ("temporal exactly-once saga
  compensation idempotency") has none of them and earns nothing;
* and not negated there: "no idempotency key is needed" does not state that a
  key prevents the repeat.

A misconception is a pattern of claims (its ``patterns`` and every one of its
``with_`` patterns in the same clause, and none of its ``unless`` patterns
stated anywhere in the answer) that takes points away and gives targeted
feedback. Rubrics are hints, not secrets: they live in the package in plain
text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Concept", "Misconception", "Rubric", "RubricResult", "clauses", "is_prose", "as_sentence"]

_FUNCTION_WORDS = frozenset("""
a an the this that these those it its they them their there here we our you your he she his her i me my
of to in on at by for with from into onto over under after before until since during about through
between against without within than as so because if when whenever while although though unless
whether then once and or but nor not no never also even only just still yet again each every any all
both either neither some more most less such what which who whom whose how why where is are was were be
been being am has have had do does did can could will would shall should may might must need needs
""".split())

_VERB_HINTS = frozenset("""
is are was were be been being am has have had do does did can could will would shall should may might
must need needs needed let lets make makes made run runs ran get gets got keep keeps kept send sends
sent charge charges charged record records recorded replay replays replayed retry retries retried
crash crashes crashed repeat repeats repeated happen happens happened stop stops stopped prevent
prevents prevented undo undoes undid void voids voided move moves moved take takes took give gives gave
fit fits suit suits call calls called wait waits waited decide decides decided change changes changed
pay pays paid cost costs lose loses lost skip skips skipped handle handles handled drop drops dropped
fail fails failed mean means meant know knows knew remember remembers guarantee guarantees ensure
ensures lets use uses used work works worked restart restarts restarted resume resumes resumed
""".split())

_NEGATOR = re.compile(r"\b(not|no|never|without|cannot|neither|nor|none)\b|n't\b")
_WORD = re.compile(r"[a-z][a-z0-9'-]*")
_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\n+|\s+[-–—]\s+")


def clauses(text: str) -> list[str]:
    """The answer cut at sentence marks (``. ! ? ; :``, line breaks and dashes)."""
    return [c.strip() for c in _SPLIT.split(text) if c.strip()]


def is_prose(clause: str) -> bool:
    """True when ``clause`` reads as a claim rather than a list of keywords."""
    words = _WORD.findall(clause.lower())
    if len(words) < 4:
        return False
    small = sum(1 for w in words if w in _FUNCTION_WORDS)
    verb = any(w in _VERB_HINTS or w.endswith("n't") or (len(w) > 4 and w.endswith("ed")) for w in words)
    return verb and small / len(words) >= 0.2


def _negated(clause: str, start: int) -> bool:
    """A negation among the three words before ``start``."""
    before = _WORD.findall(clause[:start])[-3:]
    return bool(_NEGATOR.search(" ".join(before)))


def _match(pattern: str, text: str):
    return re.finditer(rf"(?<![a-z0-9]){pattern}", text)


def _stated(patterns, clause: str) -> bool:
    """A pattern matches ``clause`` with no negation just before it."""
    return any(not _negated(clause, m.start()) for p in patterns for m in _match(p, clause))


def as_sentence(text: str) -> str:
    """``text`` as one sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


@dataclass(frozen=True)
class Concept:
    """One idea an answer must contain.

    Attributes:
        name: what the idea is, in the learner's terms ("what prevents the repeat").
        patterns: regular expressions; any one matching, unnegated, in a prose clause counts.
        hint: a nudge shown when the idea is missing.
        points: what the idea is worth.
    """

    name: str
    patterns: tuple[str, ...]
    hint: str
    points: float = 1.0

    def found_in(self, clause: str) -> bool:
        """True when a pattern matches ``clause`` (lower-cased) without a negation just before it."""
        return _stated(self.patterns, clause)

    def found(self, text: str) -> bool:
        """True when the idea is stated in a prose clause of ``text`` (lower-cased)."""
        return any(is_prose(c) and self.found_in(c) for c in clauses(text))


@dataclass(frozen=True)
class Misconception:
    """A wrong claim, its targeted feedback and what it costs.

    Attributes:
        name: the wrong claim in a few words.
        patterns: any one of them starts the claim in a clause.
        feedback: what is wrong, in one or two sentences.
        with_: every one of these must also appear in the same clause.
        unless: the claim is forgiven when any of these is stated (unnegated) anywhere.
        penalty: points taken away.
    """

    name: str
    patterns: tuple[str, ...]
    feedback: str
    with_: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    penalty: float = 1.0

    def found(self, text: str) -> bool:
        parts = clauses(text)
        if self.unless and any(_stated(self.unless, c) for c in parts):
            return False
        for c in parts:
            if _stated(self.patterns, c) and all(_stated((w,), c) for w in self.with_):
                return True
        return False


@dataclass(frozen=True)
class RubricResult:
    """What a rubric made of one answer."""

    score: float
    max_score: float
    found: tuple[str, ...]
    missing: tuple[str, ...]
    misconceptions: tuple[str, ...]
    hints: tuple[str, ...]
    prose: bool = True


@dataclass(frozen=True)
class Rubric:
    """Required ideas (with points) and misconceptions (with penalties and feedback)."""

    concepts: tuple[Concept, ...]
    misconceptions: tuple[Misconception, ...] = field(default=())

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.concepts)

    def grade(self, text: str) -> RubricResult:
        """Score a normalized answer (see `simlib.grading.normalize.as_text`)."""
        prose = [c for c in clauses(text) if is_prose(c)]
        found, missing, hints, wrong = [], [], [], []
        score = 0.0
        for c in self.concepts:
            if any(c.found_in(cl) for cl in prose):
                found.append(c.name)
                score += c.points
            else:
                missing.append(c.name)
                hints.append(as_sentence(c.hint))
        for m in self.misconceptions:
            if m.found(text):
                wrong.append(m.name)
                hints.insert(len(wrong) - 1, as_sentence(m.feedback))
                score -= m.penalty
        return RubricResult(round(max(0.0, score), 4), self.max_score, tuple(found), tuple(missing),
                            tuple(wrong), tuple(hints), bool(prose))
