"""Salted SHA-256 digests of reference answers, and how to grade against them.

The package a learner installs holds no reference answer in plain text: for a
set it holds the digest of the whole canonical set and one digest per member,
for a choice one digest per accepted choice with its credit. An answer is
canonicalized (see `simlib.grading.normalize`), hashed the same way, and looked
up.

A digest hides an answer from someone reading the package or printing the
key; it cannot hide it from someone who tries every answer, because the answer
spaces here are small (5 engines, 32 subsets of 5 steps). Trying every answer
through `check` is possible anyway, so the notebook and the batch grader treat
the hash as "not readable", never as "not guessable".
"""

from __future__ import annotations

import hashlib

__all__ = ["canonical", "digest", "salt_for", "set_entry", "choice_entry", "grade_set", "grade_choice"]

# A per-question salt: it keeps equal answers of different questions from sharing a
# digest, so one answer cannot be recognised by its digest in another question's entry.
_PEPPER = "durable-execution-lab/grading/v1"


def salt_for(question_id: str) -> str:
    """The salt of one question (derived, so regenerating the key is byte-for-byte stable)."""
    return hashlib.sha256(f"{_PEPPER}/{question_id}".encode()).hexdigest()[:16]


def canonical(value) -> str:
    """The canonical text of a normalized answer: a frozenset of ints or a string."""
    if isinstance(value, frozenset):
        return "{" + ",".join(str(v) for v in sorted(value)) + "}"
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise TypeError(f"cannot canonicalize a {type(value).__name__}")


def digest(question_id: str, canon: str, salt: str | None = None) -> str:
    """SHA-256 of salt, question id and canonical answer."""
    salt = salt_for(question_id) if salt is None else salt
    return hashlib.sha256(f"{salt}\x1f{question_id}\x1f{canon}".encode()).hexdigest()


def set_entry(question_id: str, answer: frozenset) -> dict:
    """The key entry of a set answer: the whole-set digest and the sorted member digests."""
    return {
        "kind": "set",
        "exact": digest(question_id, canonical(answer)),
        "members": sorted(digest(question_id, f"member:{v}") for v in answer),
    }


def choice_entry(question_id: str, credits: dict) -> dict:
    """The key entry of a choice: digest -> [credit, credit with justification] (fractions of 1)."""
    out = {}
    for choice, credit in credits.items():
        pair = list(credit) if isinstance(credit, (list, tuple)) else [credit, credit]
        out[digest(question_id, canonical(choice))] = [float(pair[0]), float(pair[1])]
    return {"kind": "choice", "credits": dict(sorted(out.items()))}


def grade_set(question_id: str, entry: dict, answer: frozenset) -> tuple[float, int, int]:
    """Grade a normalized set: (Jaccard similarity, extra members, missing members).

    Jaccard (|A∩B| / |A∪B|) gives partial credit that an empty or a full set
    cannot farm: answering every step scores no better than the answer's share.
    """
    if digest(question_id, canonical(answer)) == entry["exact"]:
        return 1.0, 0, 0
    members = set(entry["members"])
    hit = sum(1 for v in answer if digest(question_id, f"member:{v}") in members)
    size = len(members)
    union = len(answer) + size - hit
    return (hit / union if union else 1.0), len(answer) - hit, size - hit


def grade_choice(question_id: str, entry: dict, answer: str, justified: bool = False) -> float:
    """The credit (0..1) of a normalized choice; ``justified`` selects the second credit."""
    pair = entry["credits"].get(digest(question_id, canonical(answer)))
    if pair is None:
        return 0.0
    return pair[1] if justified else pair[0]
