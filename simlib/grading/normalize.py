"""Answer normalization: turn what a learner typed into plain, canonical values.

Every grader in this package compares plain Python values (``int``, ``float``,
``str``, ``frozenset`` of ints) that this module built itself. A learner's object
is never compared directly: an object whose ``__eq__`` always returns True, or a
``str`` subclass that claims to equal anything, is rejected here before any
comparison happens. Only exact built-in types (and numpy scalars, which pandas
hands out) get through.

Normalization is forgiving about format and strict about meaning: ``{5, 3, 4}``,
``[3, 4, 5]``, ``"3, 4, 5"``, ``"3-5"`` and ``"label, refund, email"`` are the
same set of steps; ``"Temporal"``, ``"temporal.io"`` and ``" TEMPORAL "`` are the
same engine.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "AnswerError", "to_plain", "as_number", "as_step_set", "as_choice", "as_text",
    "ENGINE_ALIASES", "FAMILY_ALIASES",
]

# Caps keep a hostile answer (a 10-million-element list, a huge string) cheap to reject.
MAX_ITEMS = 200
MAX_TEXT = 20_000

_PLAIN_SCALARS = (bool, int, float, str, type(None))


class AnswerError(ValueError):
    """An answer that cannot be graded as given; the message says what to change."""


def _numpy_scalar(x):
    """The plain value of a numpy scalar, or None when ``x`` is not one."""
    t = type(x)
    if t.__module__ != "numpy" or not hasattr(x, "dtype"):
        return None
    kind = getattr(x.dtype, "kind", "")
    if kind in "iu":
        v = int(x)
    elif kind == "f":
        v = float(x)
    elif kind == "b":
        v = bool(x)
    elif kind in "US":
        v = str(x)
    else:
        return None
    # int()/float() may hand back a subclass from a hostile __int__; insist on the exact type.
    return v if type(v) in _PLAIN_SCALARS else None


def to_plain(value, depth: int = 0):
    """Copy ``value`` into exact built-in types, or raise `AnswerError`.

    Sets, frozensets, lists and tuples become lists (sets sorted), dicts keep
    string keys. Anything else (a custom class, a subclass of a built-in type)
    is refused, because its comparison methods could lie.
    """
    if depth > 4:
        raise AnswerError("the answer is nested too deeply; use a flat set, list, number or string")
    t = type(value)
    if t in _PLAIN_SCALARS:
        if t is str and len(value) > MAX_TEXT:
            raise AnswerError(f"the text is too long ({len(value)} characters; keep it under {MAX_TEXT})")
        if t is float and not math.isfinite(value):
            raise AnswerError("the number must be finite")
        return value
    np_value = _numpy_scalar(value)
    if np_value is not None:
        return np_value
    if t in (list, tuple, set, frozenset):
        if len(value) > MAX_ITEMS:
            raise AnswerError(f"the answer has {len(value)} items; at most {MAX_ITEMS} are accepted")
        items = [to_plain(v, depth + 1) for v in value]
        if t in (set, frozenset):
            items.sort(key=lambda v: (type(v).__name__, repr(v)))
        return items
    if t is dict:
        if len(value) > MAX_ITEMS:
            raise AnswerError(f"the answer has {len(value)} entries; at most {MAX_ITEMS} are accepted")
        return {str(to_plain(k, depth + 1)): to_plain(v, depth + 1) for k, v in value.items()}
    raise AnswerError(f"the answer is a {t.__name__}; use a plain number, string, list or set")


_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def as_number(value) -> float:
    """A finite number from an int, a float or a string such as ``"$0.24"`` or ``"14 steps"``."""
    v = to_plain(value)
    if type(v) is bool:
        raise AnswerError("the answer is True/False; give a number")
    if type(v) in (int, float):
        return float(v)
    if type(v) is str:
        found = _NUMBER.findall(v.replace(",", "").replace("_", ""))
        if len(found) == 1:
            return float(found[0])
        if not found:
            raise AnswerError(f"no number found in {v[:40]!r}")
        raise AnswerError(f"{v[:40]!r} holds several numbers; give just one")
    raise AnswerError(f"give one number, not a {type(v).__name__ if v is not None else 'None'}")


def _word_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def as_step_set(value, universe: range, names: dict | None = None) -> frozenset:
    """A set of step numbers from a set, list, tuple or string, in any order or format.

    Args:
        value: ``{3, 4, 5}``, ``[5, 3, 4]``, ``"3,4,5"``, ``"3-5"``, ``"steps 3 and 5"``,
            ``set()``, ``"none"`` or step names listed in ``names``.
        universe: the allowed step numbers (``range(1, 6)``).
        names: step number -> words that also name it (``{3: ("label", "shipping label")}``).
    """
    v = to_plain(value)
    if type(v) is dict:
        if v:
            raise AnswerError("the answer is a dict; use a set of step numbers such as {1, 2}")
        v = []                      # `{}` is the empty dict in Python; learners mean the empty set
    lookup = {}
    for num, words in (names or {}).items():
        for w in words:
            lookup[_word_key(w)] = num
    out: set[int] = set()
    if type(v) is str:
        text = v.strip()
        if _word_key(text) in ("", "none", "no steps", "nothing", "empty", "set"):
            return frozenset()
        items = _split_text(text, lookup)
    elif type(v) is list:
        items = v
    else:
        raise AnswerError(f"give a set of step numbers such as {{{universe.start}, {universe.start + 1}}}")
    for item in items:
        out.add(_one_step(item, universe, lookup))
    return frozenset(out)


def _split_text(text: str, lookup: dict) -> list:
    items: list = []
    # Longest names first so that "shipping label" wins over "label".
    rest = " " + _word_key(text) + " "
    for name in sorted(lookup, key=len, reverse=True):
        pat = f" {name} "
        while pat in rest:
            items.append(lookup[name])
            rest = rest.replace(pat, " ", 1)
    for a, b in re.findall(r"(\d+)\s*(?:-|to|\.\.)\s*(\d+)", text):
        lo, hi = int(a), int(b)
        if hi < lo or hi - lo > MAX_ITEMS:
            raise AnswerError(f"the range {a}-{b} is not valid")
        items.extend(range(lo, hi + 1))
    stripped = re.sub(r"(\d+)\s*(?:-|to|\.\.)\s*(\d+)", " ", text)
    items.extend(int(n) for n in re.findall(r"\d+", stripped))
    if not items:
        raise AnswerError(f"no step numbers found in {text[:40]!r}")
    return items


def _one_step(item, universe: range, lookup: dict) -> int:
    if type(item) is bool:
        raise AnswerError("True/False is not a step number")
    if type(item) is float and item.is_integer():
        item = int(item)
    if type(item) is str:
        key = _word_key(item)
        if key in lookup:
            return lookup[key]
        digits = re.fullmatch(r"(?:step )?(\d+)", key)
        if not digits:
            raise AnswerError(f"{item[:30]!r} is not a step number")
        item = int(digits.group(1))
    if type(item) is not int:
        raise AnswerError(f"{item!r} is not a step number")
    if item not in universe:
        raise AnswerError(f"{item} is not a step here; steps are numbered "
                          f"{universe.start} to {universe.stop - 1}")
    return item


ENGINE_ALIASES = {
    "temporal": ("temporal", "temporal io", "temporalio", "temporal cloud"),
    "restate": ("restate", "restate dev"),
    "hatchet": ("hatchet", "hatchet dev", "hatchet run"),
    "inngest": ("inngest",),
    "langgraph": ("langgraph", "lang graph", "langchain langgraph", "langgraph platform"),
}

FAMILY_ALIASES = {
    "dag-as-config": ("dag as config", "dag", "dags", "static dag", "dag based", "dag orchestrator",
                      "airflow", "prefect", "dagster", "step functions", "aws step functions"),
    "workflow-as-code": ("workflow as code", "workflows as code", "code first", "durable execution",
                         "temporal", "inngest", "restate", "hatchet", "langgraph"),
    "agent-runtime": ("agent runtime", "agent framework", "agents sdk", "openai agents sdk"),
    "homegrown": ("homegrown", "home grown", "cron", "cron job", "celery", "no framework"),
}


def as_choice(value, aliases: dict, sentences: bool = True) -> str:
    """The canonical name of one choice, in any case, with or without punctuation.

    With ``sentences``, a sentence that names exactly one known choice ("Temporal,
    because ...") is accepted; one that names several is not. Single-letter options
    turn it off ("a" is also an article).
    """
    v = to_plain(value)
    if type(v) is not str:
        raise AnswerError(f"give a name as a string, e.g. {next(iter(aliases))!r}")
    key = _word_key(v)
    if not key:
        raise AnswerError("the answer is empty")
    for canon, words in aliases.items():
        if key == _word_key(canon) or key in {_word_key(w) for w in words}:
            return canon
    hits = set()
    if not sentences:
        raise AnswerError(f"{v[:40]!r} is not one of: {', '.join(aliases)}")
    padded = f" {key} "
    for canon, words in aliases.items():
        for w in (canon, *words):
            if f" {_word_key(w)} " in padded:
                hits.add(canon)
    if len(hits) == 1:
        return hits.pop()
    allowed = ", ".join(aliases)
    if hits:
        raise AnswerError(f"name just one of: {allowed}")
    raise AnswerError(f"{v[:40]!r} is not one of: {allowed}")


def as_text(value, min_words: int = 5, max_words: int = 120) -> str:
    """A short free-text answer, lower-cased with whitespace collapsed."""
    v = to_plain(value)
    if type(v) is not str:
        raise AnswerError("write the answer as a string (a few sentences in quotes)")
    text = " ".join(v.split())
    n = len(text.split())
    if n < min_words:
        raise AnswerError(f"the answer has {n} word(s); write at least {min_words}")
    if n > max_words:
        raise AnswerError(f"the answer has {n} words; keep it under {max_words}")
    return text.lower()
