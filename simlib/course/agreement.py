"""How often the ranking and the decision tree agree, over every valid profile.

A profile has six categorical fields and six yes/no flags, so there are 92,160 valid profiles
(the crash rate is held at its default). :func:`measure` runs :func:`simlib.course.recommend.recommend`
on each and compares the first engine with the tree's leaf, overall and on the slices where
Section 64.4 states the answer outright (:data:`SLICES`).

Example:
    >>> from simlib.course.agreement import SLICES
    >>> sorted(SLICES)[:2]
    ['agents-sdk', 'dag']
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from simlib.course.profile import BOOL_FIELDS, CHOICES, Profile

__all__ = ["SLICES", "Agreement", "Slice", "all_profiles", "measure"]


@dataclass(frozen=True)
class Slice:
    """A set of profiles where the section's text decides the answer.

    Attributes:
        name: Short identifier.
        cite: The place in the section that decides it.
        member: Whether a profile belongs to the slice.
        expected: The engines the section accepts as the first choice.
    """

    name: str
    cite: str
    member: Callable[[Profile], bool]
    expected: frozenset[str]


def _no_framework(p: Profile) -> bool:
    return not p.uses_langgraph and not p.openai_stack


SLICES: Mapping[str, Slice] = {s.name: s for s in (
    Slice("dag", "64.4.1.7 rule of thumb; Self-Check Q4",
          lambda p: ((p.graph, p.trigger) == ("static", "schedule") and _no_framework(p) and not p.moves_money
                     and p.cost_of_failure != "critical"),
          frozenset({"dag"})),
    Slice("langgraph", "64.4.1.3; 64.4.2.1 (lightweight tasks need only checkpointing)",
          lambda p: p.uses_langgraph and not p.openai_stack and not p.moves_money
          and p.cost_of_failure in ("low", "medium"),
          frozenset({"langgraph"})),
    Slice("agents-sdk", "64.4.1.8 (entirely inside the OpenAI stack: durable enough)",
          lambda p: p.openai_stack and not p.moves_money and p.cost_of_failure in ("low", "medium"),
          frozenset({"openai-agents"})),
    Slice("langgraph-money", "64.4.2.1 (a booking agent that charges cards needs Temporal); 64.4.1.4",
          lambda p: p.uses_langgraph and not p.openai_stack and p.moves_money,
          frozenset({"temporal", "restate"})),
    Slice("hatchet", "64.4.1.5 (Python-first background jobs at scale)",
          lambda p: (p.batch_shaped and p.language == "python" and _no_framework(p) and not p.moves_money
                     and p.cost_of_failure in ("low", "medium") and p.ops_appetite != "none"
                     and (p.graph, p.trigger) != ("static", "schedule")),
          frozenset({"hatchet"})),
    Slice("money", "Exercise 64.4.1 answer sketch (Temporal; Restate for greenfield teams)",
          lambda p: p.moves_money and _no_framework(p),
          frozenset({"temporal", "restate"})),
)}
"""The section-clear slices: the table of issue 16 plus the Hatchet and returns-agent cases."""


def all_profiles() -> Iterator[Profile]:
    """Every valid profile at the default crash rate (92,160 of them)."""
    cats = list(CHOICES)
    for values in itertools.product(*(CHOICES[c] for c in cats)):
        base: dict[str, Any] = dict(zip(cats, values))
        for flags in itertools.product((False, True), repeat=len(BOOL_FIELDS)):
            yield Profile(**base, **dict[str, Any](zip(BOOL_FIELDS, flags)))


@dataclass(frozen=True)
class Agreement:
    """Agreement of the ranking's first engine with the tree and with the section.

    Attributes:
        total: Profiles measured.
        equal: Profiles whose first engine is the tree's leaf.
        ties: Profiles with a tie at the top (broken by the stated rule).
        departures_explained: Departures that carry a stated reason.
        slices: Slice name to ``(members, agreeing with the section, agreeing with the tree)``.
        floor_violations: Money-moving or critical profiles whose first engine is flagged below the stakes.
        outside_first: Profiles where an engine outside the section ranks first.
    """

    total: int
    equal: int
    ties: int
    departures_explained: int
    slices: Mapping[str, tuple[int, int, int]]
    floor_violations: int
    outside_first: int

    @property
    def rate(self) -> float:
        """Fraction of profiles where the ranking's first engine is the tree's leaf."""
        return self.equal / self.total

    def format_text(self) -> str:
        """A short table of the figures."""
        lines = [f"ranking first == tree leaf: {self.equal}/{self.total} = {self.rate:.2%}",
                 f"ties at the top (stated tie-break): {self.ties} ({self.ties / self.total:.2%})",
                 f"departures with a stated reason: {self.departures_explained}/{self.total - self.equal}",
                 f"floor violations: {self.floor_violations}; outside-section engine first: {self.outside_first}"]
        for name, (n, sec, tree) in self.slices.items():
            lines.append(f"  slice {name:16s} {n:6d} profiles: section {sec / n:7.2%}  tree {tree / n:7.2%}")
        return "\n".join(lines)


def measure(profiles: Iterator[Profile] | None = None, crash_evidence: bool = True) -> Agreement:
    """Recommend for every profile and count agreement with the tree and the section's slices."""
    from simlib.course.recommend import recommend

    total = equal = ties = explained = floor = outside = 0
    counts = {name: [0, 0, 0] for name in SLICES}
    for p in profiles if profiles is not None else all_profiles():
        rec = recommend(p, crash_evidence=crash_evidence)
        total += 1
        equal += rec.top == rec.tree_leaf
        ties += bool(rec.ties)
        explained += rec.top != rec.tree_leaf and bool(rec.departure)
        floor += rec.top in rec.barred
        outside += rec.top == "dbos"
        for name, sl in SLICES.items():
            if sl.member(p):
                c = counts[name]
                c[0] += 1
                c[1] += rec.top in sl.expected
                c[2] += rec.tree_leaf in sl.expected
    slices = {k: (v[0], v[1], v[2]) for k, v in counts.items()}
    return Agreement(total, equal, ties, explained, slices, floor, outside)
