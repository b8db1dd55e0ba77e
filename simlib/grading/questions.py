"""Question kinds: what an answer must look like and how it is scored.

Each question is named after the variable that holds its answer in the
notebook (``a_engine``), so the grader finds answers by name, wherever the cell
went. Kinds:

* `SimNumber` / `SimSet`: the truth is computed by the simulator itself when
  grading (Self-Check Q1 and Q2): nothing to hide, nothing to keep in sync.
* `KeyedSet` / `KeyedChoice`: the truth exists only as salted digests in
  `simlib.grading.key`.
* `Text`: a short free-text answer scored by a `Rubric`.

``grade(value, answers)`` receives the learner's raw value (or `MISSING`) and
the other answers of the notebook (plain values), and returns a `Feedback`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from . import digest as dg
from .feedback import CORRECT, INVALID, MISSING as MISSING_STATUS, PARTIAL, WRONG, Feedback
from .normalize import AnswerError, as_choice, as_number, as_step_set, as_text
from .rubric import Concept, Rubric, as_sentence

__all__ = ["Question", "SimNumber", "SimSet", "KeyedSet", "KeyedChoice", "Text", "MISSING", "sim_value"]

MISSING = object()


def _key(question_id: str) -> dict:
    from .key import KEY

    try:
        return KEY[question_id]
    except KeyError:
        raise LookupError(f"no answer key for {question_id!r}; run `python -m simlib exercises`") from None


@dataclass(frozen=True)
class Question:
    """Base of the question kinds.

    Attributes:
        id: the answer's variable name in the notebook.
        points: what the question is worth.
        hint: shown when the answer is not right (it never holds the answer).
    """

    id: str
    points: float
    hint: str

    def grade(self, value: Any, answers: dict | None = None) -> Feedback:
        if value is MISSING:
            return self._fb(0.0, MISSING_STATUS, f"`{self.id}` is not defined: set it in its cell and run it")
        try:
            return self._grade(value, answers or {})
        except AnswerError as e:
            return self._fb(0.0, INVALID, f"cannot read the answer: {e}")

    def _grade(self, value: Any, answers: dict) -> Feedback:
        raise NotImplementedError

    def _fb(self, score: float, status: str, message: str, hint: str | None = None) -> Feedback:
        if status == CORRECT:
            hint = ""
        elif hint is None:
            hint = self.hint
        hint = as_sentence(hint) if hint else ""
        return Feedback(self.id, round(score, 2), float(self.points), status, message, hint)

    def _scaled(self, fraction: float, message_ok: str, message_part: str, message_bad: str,
                hint: str | None = None) -> Feedback:
        if fraction >= 1.0:
            return self._fb(self.points, CORRECT, message_ok)
        if fraction > 0:
            return self._fb(self.points * fraction, PARTIAL, message_part, hint)
        return self._fb(0.0, WRONG, message_bad, hint)


@functools.lru_cache(maxsize=None)
def sim_value(name: str):
    """A number or set the simulator computes for a question (cached per process)."""
    from ..core.engine import simulate
    from ..core.faults import CrashAt, FaultSchedule

    crash3 = FaultSchedule(crashes=(CrashAt(3, "after-effect"),))
    table: dict[str, Callable] = {
        "q1-none": lambda: simulate("q1", "none").summary,
        "q1-temporal": lambda: simulate("q1", "temporal").summary,
        "five-none": lambda: simulate("five-effects", "none", faults=crash3).summary,
        "five-temporal": lambda: simulate("five-effects", "temporal", faults=crash3).summary,
        "five-keyed-temporal": lambda: simulate("five-effects-keyed", "temporal", faults=crash3).summary,
    }
    return table[name]()


@dataclass(frozen=True)
class SimNumber(Question):
    """A number the learner predicts and the simulator computes.

    Attributes:
        run: `sim_value` name of the run; field: the summary field to read.
        rel_tol: accepted relative error (0 = exact).
    """

    run: str = ""
    field: str = ""
    rel_tol: float = 0.0

    def expected(self) -> float:
        return float(getattr(sim_value(self.run), self.field))

    def _grade(self, value, answers) -> Feedback:
        got = as_number(value)
        want = self.expected()
        tol = abs(want) * self.rel_tol
        if abs(got - want) <= tol + 1e-9:
            return self._fb(self.points, CORRECT, "matches the simulator")
        if self.rel_tol:
            return self._fb(0.0, WRONG, f"not within ±{self.rel_tol:.0%} of what the simulator computes")
        return self._fb(0.0, WRONG, "not what the simulator computes")


_FIVE_NAMES = {1: ("charge", "charge card"), 2: ("email", "send email"), 3: ("label", "create label"),
               4: ("reserve", "reserve inventory"), 5: ("publish", "publish event")}


@dataclass(frozen=True)
class SimSet(Question):
    """A set of step numbers the simulator computes: steps whose effect happened more than once."""

    run: str = ""
    universe: range = range(1, 6)
    names: dict = field(default_factory=lambda: dict(_FIVE_NAMES))

    def expected(self) -> frozenset:
        per_step = sim_value(self.run).effects_per_step
        return frozenset(i + 1 for i, n in enumerate(per_step) if n > 1)

    def _grade(self, value, answers) -> Feedback:
        got = as_step_set(value, self.universe, self.names)
        if got == self.expected():
            return self._fb(self.points, CORRECT, "matches the simulator")
        return self._fb(0.0, WRONG, "not the steps the simulator saw repeated")


def _set_message(extra: int, missing: int) -> str:
    """What is wrong with a set, without counting (a count would let a learner search the answer)."""
    if extra and missing:
        return "some of your steps do not belong in the set, and some that do are not in it"
    if extra:
        return "some of your steps do not belong in the set"
    if missing:
        return "the set is not complete yet"
    return "not the right set"


@dataclass(frozen=True)
class KeyedSet(Question):
    """A set graded against digests; Jaccard similarity gives partial credit."""

    universe: range = range(1, 6)
    names: dict = field(default_factory=dict)

    def _grade(self, value, answers) -> Feedback:
        got = as_step_set(value, self.universe, self.names)
        frac, extra, missing = dg.grade_set(self.id, _key(self.id), got)
        msg = _set_message(extra, missing)
        return self._scaled(frac, "the right set", f"partly right: {msg}", f"not right: {msg}")


@dataclass(frozen=True)
class KeyedChoice(Question):
    """One choice among named options, graded against digests with per-choice credit.

    Attributes:
        aliases: canonical name -> other spellings (`normalize.ENGINE_ALIASES`).
        justification: the variable holding the learner's reasons, and the concept that
            unlocks a choice's second credit (Hatchet with a task-queue-shaped system).
        sentences: accept a sentence naming one option (off for single-letter options).
        nudges: option -> a hint aimed at the reasoning that leads to it, shown when that
            option is chosen and is not the best (every option has one, so their presence
            says nothing about which is right).
    """

    aliases: dict = field(default_factory=dict)
    justification: tuple[str, Concept] | None = None
    sentences: bool = True
    nudges: dict = field(default_factory=dict)

    def _grade(self, value, answers) -> Feedback:
        got = as_choice(value, self.aliases, self.sentences)
        justified = False
        if self.justification is not None:
            var, concept = self.justification
            text = answers.get(var)
            justified = type(text) is str and concept.found(" ".join(text.lower().split()))
        frac = dg.grade_choice(self.id, _key(self.id), got, justified)
        if frac >= 1.0:
            return self._fb(self.points, CORRECT, "the best fit")
        nudge = self.nudges.get(got)
        if frac > 0:
            return self._fb(self.points * frac, PARTIAL,
                            f"partial credit for {got}: it can work, but another option fits this case better",
                            nudge)
        return self._fb(0.0, WRONG, f"{got} does not fit this case", nudge)


@dataclass(frozen=True)
class Text(Question):
    """Short free text scored by a rubric of required concepts (partial credit per concept)."""

    rubric: Rubric = Rubric(())
    min_words: int = 8
    max_words: int = 120

    def _grade(self, value, answers) -> Feedback:
        text = as_text(value, self.min_words, self.max_words)
        r = self.rubric.grade(text)
        if not r.prose:
            return self._fb(0.0, WRONG, "no full sentence found: the answer reads as a list of words",
                            as_sentence(self.hint) + " Write sentences that say how the ideas connect: what "
                            "happens, why, and what follows from it.")
        frac = r.score / r.max_score if r.max_score else 0.0
        hint = " ".join(r.hints) if r.hints else as_sentence(self.hint)
        parts = []
        if r.misconceptions:
            parts.append("misconception: " + "; ".join(r.misconceptions))
        if r.found:
            parts.append("it explains " + ", ".join(r.found))
        if r.missing:
            parts.append("it does not yet say " + " or ".join(r.missing))
        if r.score >= r.max_score and not r.misconceptions:
            return self._fb(self.points, CORRECT, "covers every idea the rubric looks for")
        return self._fb(self.points * frac, PARTIAL if r.score > 0 else WRONG, "; ".join(parts), hint)
