"""The recommender's rules: Section 64.4's advice as signed points, each with where it comes from.

Two kinds of rule feed :func:`simlib.course.recommend.recommend`:

* :data:`RULES`, the section's advice (and a few marked additions of the course), one
  :class:`Rule` per piece of advice, each applying to a profile or not;
* :func:`scale_reasons`, which compares an engine's matrix scales (guarantee, footprint,
  languages, maturity) with what the profile needs.

Every rule names its place in the section (a subsection number, Figure 64.4.1, a Self-Check
question or Exercise 64.4.1), or starts with :data:`OWN` and names the outside source the
course used instead. The rules follow the questions of :mod:`simlib.course.decision_tree`,
so the ranking and the tree are one decision model seen two ways.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simlib.course import matrix
from simlib.course.decision_tree import (
    inngest_web_app,
    platform_capable,
    python_batch,
    strict_stakes,
)
from simlib.course.matrix import Footprint, Guarantee, Maturity
from simlib.course.profile import Profile

__all__ = ["OWN", "RULES", "WEIGHTS", "Rule", "effective_guarantee", "needed_guarantee", "scale_reasons"]

OWN = "course's own addition"
"""Prefix of the ``section`` of a rule the section does not state; the rest names the source."""


@dataclass(frozen=True)
class Rule:
    """One piece of advice: when it applies, each listed engine gains or loses points.

    Attributes:
        name: Short identifier.
        section: Where the section gives the advice, or :data:`OWN` plus the source.
        points: Engine name to signed points.
        applies: Predicate over the profile.
        reason: Why the points move, in one line.
    """

    name: str
    section: str
    points: Mapping[str, int]
    applies: Callable[[Profile], bool]
    reason: str


_CODE_FAMILY = ("temporal", "inngest", "langgraph", "restate", "hatchet", "dbos", "openai-agents+temporal")


def _framework(p: Profile) -> bool:
    return p.uses_langgraph or p.openai_stack


def _costly(p: Profile) -> bool:
    return p.moves_money or p.cost_of_failure in ("high", "critical")


def _greenfield_small(p: Profile) -> bool:
    """No framework yet, a failure that matters, nobody to run a cluster, and no closer fit (64.4.1.4)."""
    return (not _framework(p) and p.cost_of_failure != "low" and not platform_capable(p)
            and p.ops_appetite != "none" and not python_batch(p) and not inngest_web_app(p))


RULES: tuple[Rule, ...] = (
    # Family: 64.4.1.7 and Self-Check Q4.
    Rule("static-schedule", "64.4.1.7; Self-Check Q4", {"dag": 14},
         lambda p: (p.graph, p.trigger) == ("static", "schedule") and not _framework(p),
         "the same graph every run, fired by a schedule: DAG tools and their UIs are built for it"),
    Rule("runtime-graph", "64.4.1.7", {"dag": -6, **dict.fromkeys(_CODE_FAMILY, 1)},
         lambda p: p.graph == "runtime",
         "the graph is made at run time: workflow-as-code records it, a declared DAG cannot"),
    # Existing frameworks: 64.4.1.8 and 64.4.1.3.
    Rule("openai-stack", "64.4.1.8", {"openai-agents": 12},
         lambda p: p.openai_stack and not _costly(p),
         "the agent lives in the Agents SDK: resuming its session is the lowest-friction path"),
    Rule("agents-sdk-bridge", "64.4.1.8", {"openai-agents+temporal": 12},
         lambda p: p.openai_stack and _costly(p),
         "on the Agents SDK with costly failures: Temporal activities cover what the SDK does not"),
    Rule("not-openai-stack", "64.4.1.8", {"openai-agents": -8, "openai-agents+temporal": -8},
         lambda p: not p.openai_stack,
         "sessions only help agents built on the Agents SDK"),
    Rule("already-langgraph", "64.4.1.3", {"langgraph": 9},
         lambda p: p.uses_langgraph and not p.openai_stack and not _costly(p),
         "already on LangGraph: persistence adds checkpoints, time travel and HITL cheaply"),
    Rule("langgraph-outgrown", "64.4.2.1", {"langgraph": 2, "temporal": 3, "restate": 3},
         lambda p: p.uses_langgraph and not p.openai_stack and _costly(p),
         "costly failures on LangGraph: keep the graph, wrap it in an engine with infrastructure durability"),
    Rule("langgraph-lock-in", "64.4.1.4", {"langgraph": -2},
         lambda p: not p.uses_langgraph,
         "adopting LangGraph only for durability ties the code to one framework"),
    # Stakes: Exercise 64.4.1, 64.4.1.1, 64.4.2.1.
    Rule("money-moves", "Exercise 64.4.1 (answer sketch)", {"temporal": 4, "restate": 2},
         lambda p: p.moves_money,
         "refunds and charges want ordered, journaled steps with saga compensation"),
    Rule("critical", "64.4.1 (match the engine to the cost of failure); 64.4.1.1", {"temporal": 2, "restate": 1},
         lambda p: p.cost_of_failure == "critical",
         "critical stakes call for strict exactly-once recording"),
    Rule("low-stakes-overkill", "64.4.2.1", {"temporal": -2},
         lambda p: p.cost_of_failure == "low" and not p.moves_money,
         "cluster-grade guarantees exceed what a cheap retry needs"),
    # Team and operations: Figure 64.4.1, 64.4.1.1, 64.4.1.4.
    Rule("platform-team", "64.4.1.1; Figure 64.4.1 (team size)", {"temporal": 4},
         lambda p: platform_capable(p) and not _framework(p),
         "a team that runs stateful infrastructure can carry Temporal's cluster"),
    Rule("platform-wraps", "64.4.2.1; 64.4.1.1", {"temporal": 3},
         lambda p: platform_capable(p) and p.uses_langgraph and not p.openai_stack and _costly(p),
         "a team that runs a cluster can give the graph Temporal's infrastructure-level durability"),
    Rule("small-team-cluster", "Figure 64.4.1 (team size)", {"temporal": -2},
         lambda p: p.team_size == "small",
         "a small team has nobody to run a cluster"),
    Rule("greenfield-light", "64.4.1.4; Exercise 64.4.1 (answer sketch)", {"restate": 5},
         lambda p: _greenfield_small(p) or (strict_stakes(p) and not platform_capable(p)
                                            and not p.openai_stack),
         "no cluster team but the stakes matter: one Restate server journals every await"),
    # Workload shape: 64.4.1.5, 64.4.1.2, Self-Check Q3.
    Rule("batch-at-scale", "64.4.1.5", {"hatchet": 7},
         lambda p: p.batch_shaped and p.language == "python",
         "Python background jobs at volume: concurrency limits, retries and progress built in"),
    Rule("not-task-queue", "Exercise 64.4.1 (answer sketch)", {"hatchet": -1},
         lambda p: not p.batch_shaped,
         "Hatchet fits only when the system is already task-queue shaped"),
    Rule("event-driven", "64.4.1.2; Figure 64.4.1 (Inngest to the side)", {"inngest": 3},
         lambda p: p.trigger == "event" and p.language in ("typescript", "python", "go") and not _framework(p),
         "events start functions natively, inside the web app you already run"),
    Rule("no-ops", "64.4.1.2", {"inngest": 5},
         lambda p: p.ops_appetite == "none" and not _framework(p) and p.language in ("typescript", "python", "go"),
         "no infrastructure wanted: the vendor runs the platform"),
    Rule("low-stakes-simple", "Self-Check Q3", {"app-checkpoint": 4},
         lambda p: p.cost_of_failure == "low" and not p.needs_hitl and not p.moves_money and not p.batch_shaped,
         "a cheap retry and a short flow: a database-backed state machine is enough"),
    Rule("human-waits", "Self-Check Q3", {"temporal": 1, "inngest": 1, "app-checkpoint": -3, "none": -2},
         lambda p: p.needs_hitl,
         "approvals with arbitrary waits need an engine that can pause durably"),
    Rule("langgraph-hitl", "64.4.1.3", {"langgraph": 2},
         lambda p: p.needs_hitl and p.uses_langgraph,
         "LangGraph's interrupt and resume is the human-in-the-loop its persistence adds"),
    Rule("restate-awakeables", f"{OWN} (Restate docs: awakeables and durable promises)", {"restate": 1},
         lambda p: p.needs_hitl,
         "Restate handlers can wait durably for a human through an awakeable"),
    Rule("embedded-db", f"{OWN} (DBOS Transact docs)", {"dbos": 2},
         lambda p: (p.ops_appetite in ("none", "low") and p.language != "polyglot" and not p.openai_stack),
         "a library on the database you already run, nothing new to operate"),
)
"""The advice as weighted rules, applied in order."""

WEIGHTS: Mapping[str, int] = {
    "guarantee_shortfall": 3,  # per level below what the stakes need
    "guarantee_headroom": 2,   # top level when the stakes are high
    "footprint_excess": 3,     # per level above the ops appetite
    "language_match": 1,
    "language_polyglot": 2,
    "language_miss": -4,
    "maturity_high_stakes": 1,  # per level above GROWING, high stakes only
}
"""Weights of the scale rules that compare matrix scales with the profile."""

_NEEDED = {"low": Guarantee.AT_LEAST_ONCE_TASK, "medium": Guarantee.AT_LEAST_ONCE_STEP,
           "high": Guarantee.EXACTLY_ONCE_RECORDING, "critical": Guarantee.EXACTLY_ONCE_RECORDING}
_APPETITE = {"none": Footprint.MINIMAL, "low": Footprint.LIGHT, "medium": Footprint.MODERATE,
             "high": Footprint.HEAVY}
_PROFILE_LANGUAGES = ("python", "typescript", "go", "java")


def needed_guarantee(p: Profile) -> Guarantee:
    """The side-effect guarantee the stakes call for (money always needs the top level)."""
    return Guarantee.EXACTLY_ONCE_RECORDING if p.moves_money else _NEEDED[p.cost_of_failure]


def effective_guarantee(engine: matrix.EngineProfile, p: Profile) -> tuple[Guarantee, str | None]:
    """The engine's guarantee for this workload, with a note when it differs from the matrix level."""
    # Sessions cover the model loop; when nothing leaves the SDK, that loop is the whole job (64.4.1.8).
    if engine.name == "openai-agents" and p.openai_stack and not p.moves_money:
        return Guarantee.AT_LEAST_ONCE_STEP, "everything stays inside the SDK, so its sessions cover it"
    return engine.guarantee, None


def _already_on(engine: str, p: Profile) -> bool:
    return (engine == "langgraph" and p.uses_langgraph) or (
        engine in ("openai-agents", "openai-agents+temporal") and p.openai_stack)


def scale_reasons(engine: matrix.EngineProfile, p: Profile) -> list[tuple[int, str, str]]:
    """Points from comparing the engine's matrix scales with the profile.

    Returns:
        ``(points, reason, section)`` triples.
    """
    out: list[tuple[int, str, str]] = []
    have, note = effective_guarantee(engine, p)
    need = needed_guarantee(p)
    stakes = "money-moving" if p.moves_money else p.cost_of_failure
    stakes_cite = "64.4.1 (match the engine to the cost of failure)"
    if have < need:
        out.append((-WEIGHTS["guarantee_shortfall"] * (need - have),
                    f"side-effect guarantee '{have.label.split(':')[0]}' is below what {stakes} stakes need",
                    stakes_cite))
    elif _costly(p) and have == Guarantee.EXACTLY_ONCE_RECORDING:
        out.append((WEIGHTS["guarantee_headroom"], f"records each step exactly once, as {stakes} stakes need",
                    stakes_cite))
    elif note:
        out.append((0, note, "64.4.1.8"))
    excess = engine.footprint - _APPETITE[p.ops_appetite]
    if excess > 0:
        out.append((-WEIGHTS["footprint_excess"] * excess,
                    f"needs {engine.footprint.label}, more than a '{p.ops_appetite}' ops appetite",
                    "Figure 64.4.1 (operational appetite)"))
    lang_cite = "Figure 64.4.1 (language preference); SDK lists from each engine's docs"
    if _already_on(engine.name, p):
        pass  # the team already writes this framework, in whatever language it uses
    elif p.language == "polyglot":
        covered = [lang for lang in _PROFILE_LANGUAGES if engine.supports(lang)]
        if len(covered) == len(_PROFILE_LANGUAGES):
            out.append((WEIGHTS["language_polyglot"],
                        f"covers Python, TypeScript, Go and Java ({engine.sdk_count or 'any'} SDK languages)",
                        lang_cite))
        else:
            out.append((WEIGHTS["language_miss"] // 2, f"covers only {', '.join(covered)} of the four",
                        lang_cite))
    elif engine.supports(p.language):
        out.append((WEIGHTS["language_match"], f"first-class {p.language} support", lang_cite))
    else:
        out.append((WEIGHTS["language_miss"], f"no first-class {p.language} SDK", lang_cite))
    if _costly(p) and engine.maturity != Maturity.GROWING:
        pts = WEIGHTS["maturity_high_stakes"] * (engine.maturity - Maturity.GROWING)
        why = f"ecosystem is {engine.maturity.label.split(':')[0]}, which matters when failures are costly"
        out.append((pts, why, "64.4.1.4 (ecosystem maturity gap)"))
    return out
