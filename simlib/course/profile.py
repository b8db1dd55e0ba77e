"""A workload profile: what the decision matrix, the decision tree and the recommender ask about a workload.

:class:`Profile` is validated once, on construction; :func:`simlib.course.recommend.recommend`
ranks engines for it and :func:`simlib.course.decision_tree.walk` walks the tree with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["BOOL_FIELDS", "CHOICES", "Profile"]


CHOICES: Mapping[str, tuple[str, ...]] = {
    "cost_of_failure": ("low", "medium", "high", "critical"),
    "team_size": ("small", "medium", "platform-team"),
    "language": ("python", "typescript", "go", "java", "polyglot"),
    "ops_appetite": ("none", "low", "medium", "high"),
    "graph": ("static", "runtime"),
    "trigger": ("schedule", "on-demand", "event"),
}
"""Allowed values of each categorical :class:`Profile` field."""

BOOL_FIELDS = (
    "uses_langgraph", "openai_stack", "batch_shaped", "moves_money", "needs_hitl", "nightly_batch",
)
"""Names of the yes/no :class:`Profile` fields."""


@dataclass(frozen=True)
class Profile:
    """A workload, as the decision matrix sees it.

    Construction validates every field; a bad value raises ``ValueError`` with
    a one-line message naming the field and the allowed values.

    Attributes:
        cost_of_failure: What one failed or duplicated run costs: ``"low"``
            (a retry is cheap, e.g. a summary), ``"medium"``, ``"high"``, or
            ``"critical"`` (customers or money directly hurt). Default ``"medium"``.
        team_size: ``"small"`` (a few developers, nobody on infrastructure),
            ``"medium"`` (some operations capacity) or ``"platform-team"``
            (dedicated engineers who run stateful services). Default ``"medium"``.
        language: Main language: ``"python"``, ``"typescript"``, ``"go"``,
            ``"java"`` or ``"polyglot"`` (several services, several languages).
            Default ``"python"``.
        ops_appetite: How much new infrastructure the team will operate:
            ``"none"``, ``"low"``, ``"medium"``, ``"high"``. Default ``"medium"``.
        graph: ``"static"`` (same steps every run) or ``"runtime"`` (an LLM or
            a user decides the next step). Default ``"runtime"``.
        trigger: ``"schedule"``, ``"on-demand"`` or ``"event"``. Default ``"on-demand"``.
        uses_langgraph: The agent is already written with LangGraph. Default False.
        openai_stack: The agent lives inside the OpenAI Agents SDK. Default False.
        batch_shaped: Work arrives as many background jobs (bulk LLM calls).
            Default False.
        moves_money: Some step charges, refunds or books. Default False.
        needs_hitl: Runs wait for human approval or long external waits.
            Default False.
        nightly_batch: Besides this workflow the system runs scheduled batch
            pipelines (ETL, training, evals). Default False.
        crash_rate_per_hour: Expected worker crashes per hour. The recommender
            prices what crashes at this rate cost each engine in simulation
            (:func:`simlib.course.evidence.crash_loss`), so a busy workload can
            get different advice from a calm one. Default 0.5; must be >= 0.
    """

    cost_of_failure: str = "medium"
    team_size: str = "medium"
    language: str = "python"
    ops_appetite: str = "medium"
    graph: str = "runtime"
    trigger: str = "on-demand"
    uses_langgraph: bool = False
    openai_stack: bool = False
    batch_shaped: bool = False
    moves_money: bool = False
    needs_hitl: bool = False
    nightly_batch: bool = False
    crash_rate_per_hour: float = 0.5

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(
                    f"invalid value {value!r} for field {name!r}; allowed: {', '.join(allowed)}"
                )
        for name in BOOL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ValueError(
                    f"invalid value {value!r} for field {name!r}; allowed: true, false"
                )
        rate = self.crash_rate_per_hour
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not (
            math.isfinite(rate) and rate >= 0
        ):
            raise ValueError(
                f"invalid value {rate!r} for field 'crash_rate_per_hour'; "
                "allowed: a finite number >= 0"
            )
        object.__setattr__(self, "crash_rate_per_hour", float(rate))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Build a profile from a plain mapping (e.g. parsed JSON).

        Missing fields take the defaults documented on the class.

        Args:
            data: Field names to values.

        Returns:
            The validated profile.

        Raises:
            ValueError: On a non-mapping, an unknown field, or a bad value.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"profile must be a JSON object of fields, got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = [k for k in data if k not in known]
        if unknown:
            raise ValueError(
                f"unknown field {unknown[0]!r}; allowed fields: {', '.join(known)}"
            )
        return cls(**data)

    @property
    def high_stakes(self) -> bool:
        """True when failures are expensive or money moves."""
        return self.moves_money or self.cost_of_failure in ("high", "critical")
