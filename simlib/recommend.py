"""Rank durable-execution engines for a workload, with the reasons shown.

A :class:`Profile` describes the workload and is validated once, up front.
:func:`recommend` scores every engine of :mod:`simlib.matrix` with a small,
transparent rule set: four scale rules compare each engine's matrix scales with
what the workload needs, and a table of section rules (:data:`RULES`) encodes
the advice of Section 64.4. Every rule that fires adds or subtracts points and
leaves a reason string, so a learner can audit exactly why an engine won.

Example:
    >>> rec = recommend(Profile(moves_money=True, cost_of_failure="high"))
    >>> rec.ranking[:2]
    ['temporal', 'restate']
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from simlib import decision_tree, matrix
from simlib.matrix import Footprint, Guarantee

__all__ = [
    "BOOL_FIELDS", "CHOICES", "COMBINATIONS", "RULES", "WEIGHTS", "Profile", "Recommendation",
    "Rule", "recommend", "recommend_main",
]

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
        crash_rate_per_hour: Expected worker crashes per hour, used only by the
            optional evidence callable (simulation). Default 0.5; must be >= 0.
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


@dataclass(frozen=True)
class Rule:
    """One section rule: when it applies, each listed engine gains or loses points.

    Attributes:
        name: Short identifier.
        section: Where the textbook gives the advice.
        points: Engine name to signed points.
        applies: Predicate over the profile.
        reason: Why the points move, in one sentence.
    """

    name: str
    section: str
    points: Mapping[str, int]
    applies: Callable[[Profile], bool]
    reason: str


_CODE_FAMILY = ("temporal", "inngest", "langgraph", "restate", "hatchet", "dbos")

RULES: tuple[Rule, ...] = (
    Rule("static-schedule", "64.4.1.7", {"dag": 10},
         lambda p: (p.graph, p.trigger) == ("static", "schedule"),
         "same graph every run, fired by a schedule: DAG tools and their UIs are built for this"),
    Rule("static-on-demand", "64.4.1.7", {"dag": 2},
         lambda p: p.graph == "static" and p.trigger != "schedule",
         "a fixed graph still suits a DAG tool, though not on a cron"),
    Rule("runtime-graph", "64.4.1.7", {"dag": -6, **dict.fromkeys(_CODE_FAMILY, 1)},
         lambda p: p.graph == "runtime",
         "the graph is generated at run time: workflow-as-code records it, an acyclic DAG declared up front cannot"),
    Rule("already-langgraph", "64.4.1.3", {"langgraph": 6},
         lambda p: p.uses_langgraph,
         "already on LangGraph: persistence adds checkpoints, time travel and HITL cheaply"),
    Rule("langgraph-lock-in", "64.4.1.4", {"langgraph": -2},
         lambda p: not p.uses_langgraph,
         "adopting LangGraph only for durability ties the code to one framework"),
    Rule("openai-stack", "64.4.1.8", {"openai-agents": 7},
         lambda p: p.openai_stack,
         "the agent lives in the OpenAI stack: a durable session is the lowest-friction path"),
    Rule("not-openai-stack", "64.4.1.8", {"openai-agents": -8},
         lambda p: not p.openai_stack,
         "sessions only help agents built on the Agents SDK"),
    Rule("agents-sdk-bridge", "64.4.1.8", {"temporal": 3},
         lambda p: p.openai_stack and p.high_stakes,
         "Temporal activities cover the calls the Agents SDK does not"),
    Rule("batch-at-scale", "64.4.1.5", {"hatchet": 5},
         lambda p: p.batch_shaped,
         "background jobs at volume: concurrency limits, retries, progress tracking built in"),
    Rule("python-batch", "64.4.1.5", {"hatchet": 3},
         lambda p: p.batch_shaped and p.language == "python",
         "Python-first batch work is the sweet spot"),
    Rule("not-task-queue", "Exercise 64.4.1", {"hatchet": -1},
         lambda p: not p.batch_shaped,
         "a fit only when the system is already task-queue shaped"),
    Rule("event-driven", "64.4.1.2", {"inngest": 4},
         lambda p: p.trigger == "event",
         "events start functions natively"),
    Rule("no-ops", "64.4.1.2", {"inngest": 4},
         lambda p: p.ops_appetite == "none",
         "no infrastructure wanted: the vendor runs the platform"),
    Rule("web-app-sdk", "64.4.1.2", {"inngest": 1},
         lambda p: p.language == "typescript",
         "TypeScript web apps get durability as an SDK"),
    Rule("greenfield-light", "64.4.1.4", {"restate": 4},
         lambda p: (not p.uses_langgraph and not p.openai_stack and p.high_stakes
                    and p.ops_appetite in ("none", "low") and p.team_size != "platform-team"),
         "greenfield, high stakes, Temporal's cluster too heavy: one Restate server journals every await"),
    Rule("platform-team", "64.4.1.1", {"temporal": 3},
         lambda p: p.team_size == "platform-team" or p.ops_appetite == "high",
         "a platform team comfortable running stateful infrastructure"),
    Rule("small-team-cluster", "Figure 64.4.1", {"temporal": -2},
         lambda p: p.team_size == "small",
         "a small team has nobody to run a cluster"),
    Rule("money-moves", "Exercise 64.4.1", {"temporal": 4, "restate": 2},
         lambda p: p.moves_money,
         "refunds and charges want saga compensation over journaled, ordered steps"),
    Rule("critical", "64.4.2.1", {"temporal": 2},
         lambda p: p.cost_of_failure == "critical",
         "the highest stakes deserve the most proven engine"),
    Rule("low-stakes-simple", "64.4 Self-Check Q3", {"app-checkpoint": 3, "langgraph": 1},
         lambda p: p.cost_of_failure == "low" and not p.needs_hitl and not p.moves_money,
         "a cheap retry and a short flow: a database state machine or a checkpointer is enough"),
    Rule("low-stakes-overkill", "64.4.2.1", {"temporal": -2},
         lambda p: p.cost_of_failure == "low" and not p.moves_money,
         "cluster-grade guarantees exceed what a cheap retry needs"),
    Rule("human-waits", "64.4 Self-Check Q3",
         {"langgraph": 2, "temporal": 1, "inngest": 1, "restate": 1, "app-checkpoint": -3,
          "none": -2},
         lambda p: p.needs_hitl,
         "long human waits need durable pauses (interrupt, signals, waitForEvent, awakeables)"),
    Rule("embedded-db", "matrix: dbos", {"dbos": 2},
         lambda p: (p.ops_appetite in ("none", "low") and p.language in ("python", "typescript")
                    and not p.openai_stack),
         "a library on the database you already run, nothing new to operate"),
)
"""The section's advice as weighted rules, applied in order."""

WEIGHTS: Mapping[str, int] = {
    "guarantee_shortfall": 4,  # per level below what the stakes need
    "guarantee_headroom": 2,   # top level when the stakes are high
    "footprint_excess": 3,     # per level above the ops appetite
    "language_match": 2,
    "language_polyglot_narrow": -2,
    "language_miss": -4,
    "maturity_high_stakes": 1,  # per level above GROWING, high stakes only
}
"""Weights of the scale rules that compare matrix scales with the profile."""

_NEEDED = {"low": Guarantee.AT_LEAST_ONCE_TASK, "medium": Guarantee.AT_LEAST_ONCE_STEP,
           "high": Guarantee.EXACTLY_ONCE_RECORDING, "critical": Guarantee.EXACTLY_ONCE_RECORDING}
_APPETITE = {"none": Footprint.MINIMAL, "low": Footprint.LIGHT, "medium": Footprint.MODERATE,
             "high": Footprint.HEAVY}

COMBINATIONS: Mapping[str, str] = {
    "langgraph-inside-temporal-with-event-bus": (
        "Keep the agent logic in LangGraph, run it inside a Temporal workflow for "
        "infrastructure-level durability, and connect it to other services over an Inngest "
        "event bus (64.4.2.1)."
    ),
    "airflow-data-layer-temporal-agent-layer": (
        "Run the scheduled data layer on a DAG tool and the runtime-shaped agent layer on "
        "Temporal; DAG tasks start workflows when an LLM is needed (64.4.1.7)."
    ),
    "agents-sdk-plus-temporal": (
        "Keep the agent loop in an Agents SDK session and make every call that touches the "
        "outside world a Temporal activity (64.4.1.8)."
    ),
}
"""Named multi-framework patterns the section recommends."""


def _needed(p: Profile) -> Guarantee:
    return Guarantee.EXACTLY_ONCE_RECORDING if p.moves_money else _NEEDED[p.cost_of_failure]


def _effective_guarantee(engine: matrix.EngineProfile, p: Profile) -> tuple[Guarantee, str | None]:
    # A durable session covers the model loop; when nothing leaves the SDK, that loop is the whole job.
    if engine.name == "openai-agents" and p.openai_stack and not p.moves_money:
        return Guarantee.AT_LEAST_ONCE_STEP, "everything stays inside the SDK, so a durable session covers it"
    return engine.guarantee, None


def _scale_reasons(engine: matrix.EngineProfile, p: Profile) -> list[tuple[int, str]]:
    """Scale rules: guarantee vs stakes, footprint vs appetite, language, maturity."""
    out: list[tuple[int, str]] = []
    have, note = _effective_guarantee(engine, p)
    need = _needed(p)
    stakes = "money-moving" if p.moves_money else p.cost_of_failure
    if have < need:
        out.append((-WEIGHTS["guarantee_shortfall"] * (need - have),
                    f"side-effect guarantee '{have.label}' is below what {stakes} stakes need"))
    elif p.high_stakes and have == Guarantee.EXACTLY_ONCE_RECORDING:
        out.append((WEIGHTS["guarantee_headroom"],
                    f"records each step exactly once, as {stakes} stakes need"))
    elif note:
        out.append((0, note))
    excess = engine.footprint - _APPETITE[p.ops_appetite]
    if excess > 0:
        out.append((-WEIGHTS["footprint_excess"] * excess,
                    f"needs {engine.footprint.label}, more than a '{p.ops_appetite}' ops appetite"))
    if p.language == "polyglot":
        if len(engine.languages) >= 4 or "any" in engine.languages:
            out.append((WEIGHTS["language_match"], "SDKs for many languages"))
        else:
            out.append((WEIGHTS["language_polyglot_narrow"],
                        f"SDKs only for {', '.join(engine.languages)}"))
    elif engine.supports(p.language):
        out.append((WEIGHTS["language_match"], f"first-class {p.language} support"))
    else:
        out.append((WEIGHTS["language_miss"], f"no first-class {p.language} SDK"))
    if p.high_stakes and engine.maturity != matrix.Maturity.GROWING:
        pts = WEIGHTS["maturity_high_stakes"] * (engine.maturity - matrix.Maturity.GROWING)
        out.append((pts, f"ecosystem is {engine.maturity.label.split(':')[0]}, which matters "
                         "when failures are costly"))
    return out


def _combinations(p: Profile) -> list[str]:
    found = []
    if p.uses_langgraph and (p.cost_of_failure == "critical" or p.moves_money):
        found.append("langgraph-inside-temporal-with-event-bus")
    if p.nightly_batch and p.graph == "runtime" and p.trigger != "schedule":
        found.append("airflow-data-layer-temporal-agent-layer")
    if p.openai_stack and p.high_stakes:
        found.append("agents-sdk-plus-temporal")
    return found


def _watch_outs(engine: matrix.EngineProfile, p: Profile, reasons: list[str]) -> list[str]:
    items = [engine.watch_out_for, *engine.gotchas]
    items += [r.split(" ", 1)[1] for r in reasons if r.startswith("-")]
    if p.moves_money:
        items.append("Money moves: give every charge, refund and label an idempotency key and "
                     "a compensating step; no engine makes an outside effect exactly-once alone.")
    return items


@dataclass(frozen=True)
class Recommendation:
    """The outcome of :func:`recommend`.

    Attributes:
        profile: The workload that was scored.
        ranking: Every matrix engine, best first.
        scores: Engine to total points.
        reasons: Engine to signed reason strings (``"+4 ... [section]"``).
        path: Decision-graph node path from :func:`simlib.decision_tree.walk`.
        watch_outs: Risks for the top three engines.
        combinations: Names from :data:`COMBINATIONS` that apply.
        evidence: Whatever the optional evidence callable returned, else None.
    """

    profile: Profile
    ranking: list[str]
    scores: dict[str, int]
    reasons: dict[str, list[str]]
    path: list[str]
    watch_outs: dict[str, list[str]]
    combinations: list[str]
    evidence: dict[str, Any] | None = field(default=None)

    @property
    def top(self) -> str:
        """The best-ranked engine."""
        return self.ranking[0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (``evidence`` is passed through as given)."""
        return {
            "profile": asdict(self.profile),
            "ranking": list(self.ranking),
            "scores": dict(self.scores),
            "reasons": {k: list(v) for k, v in self.reasons.items()},
            "path": list(self.path),
            "watch_outs": {k: list(v) for k, v in self.watch_outs.items()},
            "combinations": list(self.combinations),
            "evidence": self.evidence,
        }

    def format_text(self, top_n: int = 3) -> str:
        """Render a human-readable report of the first ``top_n`` engines."""
        lines = ["Ranking (best first):"]
        for i, name in enumerate(self.ranking, start=1):
            lines.append(f"  {i:2d}. {matrix.get(name).display_name} [{name}]  "
                         f"score {self.scores[name]:+d}")
        for name in self.ranking[:top_n]:
            lines.append(f"\nWhy {name}:")
            lines += [f"  {r}" for r in self.reasons[name]]
        lines.append("\nDecision path: " + " -> ".join(self.path))
        for name, items in self.watch_outs.items():
            lines.append(f"\nWatch out ({name}):")
            lines += [f"  - {w}" for w in items]
        lines.append("\nCombinations:" if self.combinations else "\nCombinations: none apply")
        lines += [f"  * {c}: {COMBINATIONS[c]}" for c in self.combinations]
        if self.evidence is not None:
            lines.append("\n" + _format_evidence(self.evidence))
        return "\n".join(lines)


def _format_evidence(ev: Mapping[str, Any]) -> str:
    """Readable lines for the simulator's evidence (any other shape is shown as JSON)."""
    engines = ev.get("engines") if isinstance(ev, Mapping) else None
    if not isinstance(engines, Mapping):
        return "Evidence: " + json.dumps(ev, default=str, sort_keys=True)
    out = [f"Evidence from the simulator (workload '{ev.get('workload')}', {ev.get('method', '')}):"]
    for name, d in engines.items():
        if "note" in d:
            out.append(f"  {name:16s} {d['note']}")
            continue
        out.append(f"  {name:16s} crashed runs {d['crashed_runs_per_10k']:8.1f}   duplicate effects "
                   f"{d['duplicate_effects_per_10k']:8.2f}   dollars re-spent {d['usd_reexecuted_per_10k']:8.2f}"
                   f"   (at {d['crash_rate_per_hour']:g} crashes/hour)")
    return "\n".join(out)


EvidenceFn = Callable[[Profile, Sequence[str]], Mapping[str, Any]]


def recommend(profile: Profile | Mapping[str, Any], evidence: EvidenceFn | None = None,
              ) -> Recommendation:
    """Score every matrix engine for a workload.

    Args:
        profile: A :class:`Profile` or a mapping for :meth:`Profile.from_dict`.
        evidence: Optional ``evidence(profile, [top, runner_up]) -> dict``,
            e.g. a simulation comparing the two leaders at the profile's crash rate.

    Returns:
        The ranking with its reasons, decision path, watch-outs and combinations.

    Raises:
        ValueError: If a mapping fails validation.
    """
    p = profile if isinstance(profile, Profile) else Profile.from_dict(profile)
    reasons: dict[str, list[str]] = {name: [] for name in matrix.ENGINES}
    scores = dict.fromkeys(matrix.ENGINES, 0)
    for name, engine in matrix.ENGINES.items():
        for pts, why in _scale_reasons(engine, p):
            scores[name] += pts
            reasons[name].append(f"{pts:+d} {why} [matrix]")
    for rule in RULES:
        if rule.applies(p):
            for name, pts in rule.points.items():
                scores[name] += pts
                reasons[name].append(f"{pts:+d} {rule.reason} [{rule.section}]")
    order = {name: i for i, name in enumerate(matrix.ENGINES)}
    ranking = sorted(matrix.ENGINES, key=lambda n: (-scores[n], order[n]))
    watch = {n: _watch_outs(matrix.get(n), p, reasons[n]) for n in ranking[:3]}
    ev = dict(evidence(p, ranking[:2])) if evidence is not None else None
    return Recommendation(p, ranking, scores, reasons, decision_tree.walk(p), watch,
                          _combinations(p), ev)


class _UsageError(Exception):
    """Bad command-line usage, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def recommend_main(argv: list[str]) -> int:
    """Run ``python -m simlib recommend --profile FILE.json [--json]``.

    Args:
        argv: Arguments after the ``recommend`` sub-command.

    Returns:
        0 on success; 2 on bad usage or bad input, after printing one line
        naming the problem to stderr.
    """
    parser = _Parser(prog="python -m simlib recommend",
                     description="Rank durable-execution engines for a workload profile.")
    parser.add_argument("--profile", required=True, metavar="FILE.json",
                        help="JSON object with Profile fields; missing fields take defaults")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--no-evidence", action="store_true",
                        help="skip the simulation evidence for the top two engines")
    parser.add_argument("--samples", type=int, default=200,
                        help="sampled runs per engine for the evidence (default 200)")
    try:
        args = parser.parse_args(argv)
        try:
            with open(args.profile, encoding="utf-8") as fh:
                raw = fh.read()
        except FileNotFoundError:
            raise _UsageError(f"profile file not found: {args.profile}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _UsageError(f"cannot read profile file {args.profile}: {exc}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _UsageError(f"profile file {args.profile} is not valid JSON: {exc}") from None
        try:
            if args.samples < 1:
                raise _UsageError(f"--samples must be >= 1, got {args.samples}")
            hook = None
            if not args.no_evidence:
                from .evidence import evidence as _evidence
                hook = lambda p, engines: _evidence(p, engines, samples=args.samples)  # noqa: E731
            rec = recommend(Profile.from_dict(data), evidence=hook)
        except (ValueError, TypeError) as exc:
            raise _UsageError(f"invalid profile {args.profile}: {exc}") from None
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(json.dumps(rec.to_dict(), indent=2) if args.json else rec.format_text())
    return 0
