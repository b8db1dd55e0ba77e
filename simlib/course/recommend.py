"""Rank durable-execution engines for a workload, with the reasons shown.

A :class:`Profile` describes the workload and is validated once, up front.
:func:`recommend` scores every engine of :mod:`simlib.course.matrix` with the rules of
:mod:`simlib.course.rules` (each citing its place in Section 64.4) and, unless turned off,
with the crash cost the simulator measures at the profile's crash rate
(:func:`simlib.course.evidence.crash_loss`). Then three hard rules shape the top:

* the stakes are a floor: when money moves or a failure is critical, an engine whose
  side-effect guarantee is below exactly-once recording cannot rank first;
* engines the section does not cover (DBOS) never rank first; they appear under
  "also worth a look" with their reason;
* a tie at the top is broken by a stated rule, never by list order: the engine on the
  route of the decision tree wins, else the one the section discusses first.

The route through :mod:`simlib.course.decision_tree` is walked for the same profile; when
the first engine differs from the tree's leaf, :attr:`Recommendation.departure` names the
one factor that flips it.

Example:
    >>> rec = recommend(Profile(moves_money=True, cost_of_failure="high"), crash_evidence=False)
    >>> rec.ranking[:2]
    ['temporal', 'restate']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from simlib.course import decision_tree, matrix
from simlib.course.evidence import CrashLoss, crash_loss, workload_for
from simlib.course.matrix import Guarantee
from simlib.course.profile import BOOL_FIELDS, CHOICES, Profile
from simlib.course.rules import (
    OWN,
    RULES,
    WEIGHTS,
    Rule,
    effective_guarantee,
    scale_reasons,
)

__all__ = [
    "BOOL_FIELDS", "CHOICES", "COMBINATIONS", "CRASH_PENALTIES", "RULES", "TIE_BREAK", "WEIGHTS", "Profile",
    "Recommendation", "Rule", "recommend",
]

COMBINATIONS: Mapping[str, str] = {
    "langgraph-inside-temporal-with-event-bus": (
        "Keep the agent logic in LangGraph, run it inside a Temporal workflow for "
        "infrastructure-level durability, and connect it to other services over an Inngest "
        "event bus (64.4.2.1)."
    ),
    "airflow-data-layer-temporal-agent-layer": (
        "Run the scheduled data layer on a DAG tool and the agent layer on the engine ranked "
        "first; DAG tasks start agent runs when an LLM is needed (64.4.1.7, whose example "
        "pairs Airflow with Temporal)."
    ),
    "agents-sdk-plus-temporal": (
        "Keep the agent loop in the Agents SDK and make every model call and every tool that "
        "touches the outside world a Temporal activity (64.4.1.8)."
    ),
}
"""Named multi-framework patterns the section recommends."""

TIE_BREAK = ("a tie at the top goes to the engine on the decision tree's route (Figure 64.4.1), "
             "else to the engine the section discusses first (64.4.1.1 to 64.4.1.5, then 64.4.1.7, 64.4.1.8)")
"""The stated tie-break rule."""

CRASH_PENALTIES = ((10_000.0, -3), (1_000.0, -2), (100.0, -1))
"""``(dollars per 10,000 runs, points)``: the course's own scale for crash-cost evidence.

An engine loses the points of the largest threshold its extra crash cost (over the cheapest
simulated engine) reaches, and only when the two 95% intervals do not overlap: a cent, ten
cents or a dollar per run."""

_CRASH_CITE = f"Self-Check Q1 (what a crash costs); {OWN} (simulation, simlib.course.evidence)"
_SECTION_ORDER = (*matrix.SECTION_ENGINES, "dag", "openai-agents", "openai-agents+temporal", "app-checkpoint",
                  "none", "dbos")
_OUTSIDE_SECTION = {"dbos": "not covered by Section 64.4, so never ranked first; shown as also worth a look"}


def _combinations(p: Profile, top: str) -> list[str]:
    found = []
    if p.uses_langgraph and not p.openai_stack and top == "temporal":
        found.append("langgraph-inside-temporal-with-event-bus")
    if p.nightly_batch and p.graph == "runtime" and p.trigger != "schedule" and top != "dag":
        found.append("airflow-data-layer-temporal-agent-layer")
    if p.openai_stack and top == "openai-agents+temporal":
        found.append("agents-sdk-plus-temporal")
    return found


def _answer(p: Profile, top: str) -> str:
    if p.uses_langgraph and not p.openai_stack and top == "temporal":
        return "LangGraph inside a Temporal workflow (64.4.2.1)"
    return matrix.get(top).display_name


def _watch_outs(engine: matrix.EngineProfile, p: Profile, reasons: list[str]) -> list[str]:
    items = [engine.watch_out_for, *engine.gotchas]
    items += [r.split(" ", 1)[1] for r in reasons if r.startswith("-")]
    if p.moves_money:
        items.append("Money moves: give every charge, refund and label an idempotency key and "
                     "a compensating step; no engine makes an outside effect exactly-once alone.")
    return items


_CrashPoints = dict[str, tuple[int, str, CrashLoss | None]]
_CRASH_MEMO: dict[tuple, tuple[_CrashPoints, dict[str, dict[str, Any]]]] = {}


def _crash_points(p: Profile) -> tuple[_CrashPoints, dict[str, dict[str, Any]]]:
    """Crash-cost evidence per engine (points, reason, loss), and the losses as dicts; memoized."""
    key = (workload_for(p), p.cost_of_failure, p.moves_money, p.crash_rate_per_hour)
    if key not in _CRASH_MEMO:
        if len(_CRASH_MEMO) > 4096:
            _CRASH_MEMO.clear()
        points = _crash_points_uncached(p)
        _CRASH_MEMO[key] = (points, {n: asdict(loss) for n, (_, _, loss) in points.items() if loss is not None})
    points, as_dicts = _CRASH_MEMO[key]
    return points, {n: dict(d) for n, d in as_dicts.items()}


def _crash_points_uncached(p: Profile) -> dict[str, tuple[int, str, CrashLoss | None]]:
    losses = {n: crash_loss(p, n) for n in matrix.ENGINES}
    simulated = {n: l for n, l in losses.items() if l.crashes_per_run > 0}
    out: dict[str, tuple[int, str, CrashLoss | None]] = {}
    if not simulated:
        return {n: (0, "", losses[n]) for n in losses}
    best_name = min(simulated, key=lambda n: (simulated[n].usd_per_10k, _SECTION_ORDER.index(n)))
    best = simulated[best_name]
    for name, loss in losses.items():
        if name not in simulated:
            out[name] = (0, "", None)
            continue
        extra = loss.usd_per_10k - best.usd_per_10k
        pts = 0
        if loss.low > best.high:
            pts = next((q for limit, q in CRASH_PENALTIES if extra >= limit), 0)
        why = ""
        if pts:
            why = (f"at {p.crash_rate_per_hour:g} crashes/hour a crash costs about ${extra:,.0f} more per 10,000 "
                   f"runs than {best_name} (95% interval ${loss.low:,.0f}-{loss.high:,.0f} against "
                   f"${best.low:,.0f}-{best.high:,.0f}; {loss.stranded_per_10k:,.0f} runs left stopped, "
                   f"{loss.duplicates_per_10k:,.1f} duplicate effects)")
        out[name] = (pts, why, loss)
    return out


@dataclass(frozen=True)
class Recommendation:
    """The outcome of :func:`recommend`.

    Attributes:
        profile: The workload that was scored.
        ranking: Every matrix engine, best first (the first obeys the floor and the tie-break).
        scores: Engine to total points.
        reasons: Engine to signed reason strings (``"+4 ... [section]"``).
        path: Decision-graph node path from :func:`simlib.course.decision_tree.walk`.
        watch_outs: Risks for the top three engines the section covers.
        combinations: Names from :data:`COMBINATIONS` that apply.
        evidence: Whatever the optional evidence callable returned (given the top two engines
            the section covers), else None.
        answer: The recommendation in words: the first engine, or the combination that wraps it.
        ties: Engines sharing the top score (empty when there is no tie).
        tie_break: How the tie was broken (None when there is none).
        departure: Why the first engine differs from the tree's leaf (None when they agree).
        also_worth_a_look: Engines outside the section, with the reason they come close.
        barred: Engines that may not rank first for this profile, with the reason.
        crash: Engine to its simulated crash cost (``CrashLoss`` as a dict), when used.
    """

    profile: Profile
    ranking: list[str]
    scores: dict[str, int]
    reasons: dict[str, list[str]]
    path: list[str]
    watch_outs: dict[str, list[str]]
    combinations: list[str]
    evidence: dict[str, Any] | None = field(default=None)
    answer: str = ""
    ties: list[str] = field(default_factory=list)
    tie_break: str | None = None
    departure: str | None = None
    also_worth_a_look: dict[str, str] = field(default_factory=dict)
    barred: dict[str, str] = field(default_factory=dict)
    crash: dict[str, dict[str, Any]] | None = None

    @property
    def top(self) -> str:
        """The best-ranked engine."""
        return self.ranking[0]

    @property
    def section_ranking(self) -> list[str]:
        """The ranking without engines the section does not cover (those go under also worth a look)."""
        return [n for n in self.ranking if n not in _OUTSIDE_SECTION]

    @property
    def tree_leaf(self) -> str:
        """The engine at the end of the decision tree's route."""
        return self.path[-1]

    def one_line(self, engine: str) -> str:
        """The strongest reason in favour of ``engine`` (its best-for line when nothing scored for it)."""
        best = max(self.reasons[engine], key=lambda r: int(r.split(" ", 1)[0]), default="")
        if not best or int(best.split(" ", 1)[0]) <= 0:
            return matrix.get(engine).best_for
        return best.split(" ", 1)[1].rsplit(" [", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (``evidence`` is passed through as given)."""
        return {
            "profile": asdict(self.profile),
            "answer": self.answer,
            "ranking": list(self.ranking),
            "scores": dict(self.scores),
            "ties": list(self.ties),
            "tie_break": self.tie_break,
            "departure": self.departure,
            "also_worth_a_look": dict(self.also_worth_a_look),
            "barred": dict(self.barred),
            "reasons": {k: list(v) for k, v in self.reasons.items()},
            "path": list(self.path),
            "watch_outs": {k: list(v) for k, v in self.watch_outs.items()},
            "combinations": list(self.combinations),
            "crash": self.crash,
            "evidence": self.evidence,
        }

    def summary_lines(self) -> list[str]:
        """The answer first: recommendation, tie or departure, also-worth-a-look, and the top three."""
        lines = [f"Recommended: {self.answer}"]
        if self.tie_break:
            lines.append(f"Tie: {self.tie_break}")
        if self.departure:
            lines.append(f"Departure from the tree: {self.departure}")
        for name, why in self.also_worth_a_look.items():
            lines.append(f"Also worth a look: {matrix.get(name).display_name}: {why}")
        for name in self.section_ranking[1:3]:
            if name in self.barred and name not in self.also_worth_a_look and self.scores[name] >= self.scores[self.top]:
                lines.append(f"Held below first: {matrix.get(name).display_name} ({self.scores[name]:+d}): "
                             f"{self.barred[name]}")
        crash_note = next((r for r in self.reasons[self.top] if "crashes/hour" in r and r.startswith("-")), None)
        if crash_note:
            lines.append(f"Crash cost of the first choice: {crash_note.split(' ', 1)[1].rsplit(' [', 1)[0]}")
        lines.append("Top three:")
        for i, name in enumerate(self.section_ranking[:3], start=1):
            lines.append(f"  {i}. {matrix.get(name).display_name} ({self.scores[name]:+d}): {self.one_line(name)}")
        return lines

    def format_text(self, top_n: int = 3) -> str:
        """Render the answer first, then the full report for the first ``top_n`` engines."""
        lines = self.summary_lines()
        steps = [f"{u} -> {v} [{decision_tree.edge_cite(u, v)}]" for u, v in zip(self.path, self.path[1:])]
        lines.append("\nDecision path: " + " -> ".join(self.path))
        lines += [f"  {s}" for s in steps]
        lines.append("\nRanking (best first):")
        for i, name in enumerate(self.ranking, start=1):
            flag = f"  (not first: {self.barred[name]})" if name in self.barred else ""
            lines.append(f"  {i:2d}. {matrix.get(name).display_name} [{name}]  score {self.scores[name]:+d}{flag}")
        for name in self.section_ranking[:top_n]:
            lines.append(f"\nWhy {name}:")
            lines += [f"  {r}" for r in self.reasons[name]]
        for name, items in self.watch_outs.items():
            lines.append(f"\nWatch out ({name}):")
            lines += [f"  - {w}" for w in items]
        lines.append("\nCombinations:" if self.combinations else "\nCombinations: none apply")
        lines += [f"  * {c}: {COMBINATIONS[c]}" for c in self.combinations]
        if self.crash:
            lines.append(f"\nSimulated crash cost per 10,000 runs at {self.profile.crash_rate_per_hour:g} crashes/hour "
                         f"(95% interval; {_CRASH_CITE}):")
            for name in self.section_ranking[:top_n]:
                c = self.crash.get(name)
                if c:
                    lines.append(f"  {name:24s} ${c['usd_per_10k']:>10,.2f} [{c['low']:,.2f}-{c['high']:,.2f}]  "
                                 f"stopped runs {c['stranded_per_10k']:,.0f}, duplicates {c['duplicates_per_10k']:,.1f} "
                                 f"({c['scenario']}, {c['samples']} sampled crashes)")
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
        ci = d.get("usd_reexecuted_per_10k_ci95")
        ci_text = f" [95% {ci[0]:.2f}-{ci[1]:.2f}]" if ci else ""
        out.append(f"  {name:16s} crashed runs {d['crashed_runs_per_10k']:8.1f}   duplicate effects "
                   f"{d['duplicate_effects_per_10k']:8.2f}   dollars re-spent {d['usd_reexecuted_per_10k']:8.2f}"
                   f"{ci_text}   (at {d['crash_rate_per_hour']:g} crashes/hour)")
    return "\n".join(out)


@lru_cache(maxsize=8192)
def _scales(cost: str, money: bool, ops: str, language: str, langgraph: bool,
            openai: bool) -> dict[str, list[tuple[int, str, str]]]:
    """The scale rules for every engine; they read only these fields, so they are cached on them."""
    p = Profile(cost_of_failure=cost, moves_money=money, ops_appetite=ops, language=language,
                uses_langgraph=langgraph, openai_stack=openai)
    return {name: scale_reasons(engine, p) for name, engine in matrix.ENGINES.items()}


EvidenceFn = Callable[[Profile, Sequence[str]], Mapping[str, Any]]


def _tie_key(name: str, leaf: str) -> tuple[int, int]:
    return (0 if name == leaf else 1, _SECTION_ORDER.index(name))


def _departure(p: Profile, top: str, leaf: str, contrib: Mapping[str, Mapping[str, tuple[int, str]]],
               scores: Mapping[str, int], barred: Mapping[str, str]) -> str:
    """Name the one factor that puts ``top`` ahead of the tree's ``leaf``."""
    name = matrix.get
    if leaf in barred:
        return f"the tree says {name(leaf).display_name}; it may not rank first: {barred[leaf]}"
    keys = set(contrib[top]) | set(contrib[leaf])
    gap = {k: contrib[top].get(k, (0, ""))[0] - contrib[leaf].get(k, (0, ""))[0] for k in keys}
    lead = scores[top] - scores[leaf]
    # A factor flips the order when the lead would vanish without it; the simulated crash cost is
    # named first because it is the one factor the tree's questions do not ask about.
    flips = sorted((k for k in keys if gap[k] > 0 and gap[k] >= lead), key=lambda k: (k != "crash-evidence", -gap[k], k))
    key = flips[0] if flips else max(sorted(gap), key=lambda k: gap[k])
    text = contrib[top].get(key, (0, ""))[1] or contrib[leaf].get(key, (0, ""))[1]
    if key in contrib[leaf] and contrib[leaf][key][0] < 0 and contrib[top].get(key, (0,))[0] >= 0:
        text = f"{name(leaf).display_name} loses points: {contrib[leaf][key][1]}"
    if scores[top] == scores[leaf]:
        return f"the tree says {name(leaf).display_name}; {name(top).display_name} ties with it"
    return (f"the tree says {name(leaf).display_name}; we rank {name(top).display_name} first "
            f"({scores[top]:+d} against {scores[leaf]:+d}) because {text}")


def recommend(profile: Profile | Mapping[str, Any], evidence: EvidenceFn | None = None,
              crash_evidence: bool = True) -> Recommendation:
    """Score every matrix engine for a workload.

    Args:
        profile: A :class:`Profile` or a mapping for :meth:`Profile.from_dict`.
        evidence: Optional ``evidence(profile, [top, runner_up]) -> dict``, shown in the
            report, e.g. a simulation comparing the two leaders at the profile's crash rate.
        crash_evidence: Let the simulated crash cost at the profile's crash rate move points
            (cached per scenario and engine, so only the first call of a process simulates).

    Returns:
        The answer, the ranking with its reasons, decision path, watch-outs and combinations.

    Raises:
        ValueError: If a mapping fails validation.
    """
    p = profile if isinstance(profile, Profile) else Profile.from_dict(profile)
    reasons: dict[str, list[str]] = {name: [] for name in matrix.ENGINES}
    contrib: dict[str, dict[str, tuple[int, str]]] = {name: {} for name in matrix.ENGINES}
    scores = dict.fromkeys(matrix.ENGINES, 0)

    def add(name: str, key: str, pts: int, why: str, cite: str) -> None:
        scores[name] += pts
        reasons[name].append(f"{pts:+d} {why} [{cite}]")
        contrib[name][key] = (contrib[name].get(key, (0, ""))[0] + pts, why)

    for name, items in _scales(p.cost_of_failure, p.moves_money, p.ops_appetite, p.language,
                               p.uses_langgraph, p.openai_stack).items():
        for i, (pts, why, cite) in enumerate(items):
            add(name, f"scale:{cite}:{i}", pts, why, cite)
    for rule in RULES:
        if rule.applies(p):
            for name, pts in rule.points.items():
                add(name, rule.name, pts, rule.reason, rule.section)
    crash = None
    if crash_evidence:
        points, crash = _crash_points(p)
        for name, (pts, why, _) in points.items():
            if pts:
                add(name, "crash-evidence", pts, why, _CRASH_CITE)

    path = decision_tree.walk(p)
    leaf = path[-1]
    barred = dict(_OUTSIDE_SECTION)
    if decision_tree.strict_stakes(p):
        stakes = "money-moving" if p.moves_money else "critical"
        for name, engine in matrix.ENGINES.items():
            if effective_guarantee(engine, p)[0] < Guarantee.EXACTLY_ONCE_RECORDING:
                barred.setdefault(name, f"its side-effect guarantee is below what {stakes} stakes need")
    ordered = sorted(matrix.ENGINES, key=lambda n: (-scores[n], *_tie_key(n, leaf)))
    top = next(n for n in ordered if n not in barred)
    ranking = [top] + [n for n in ordered if n != top]
    ties = [n for n in ordered if n not in barred and scores[n] == scores[top]]
    tie_break = None
    if len(ties) > 1:
        shown = ", ".join(matrix.get(n).display_name for n in ties)
        tie_break = f"{shown} tie at {scores[top]:+d}; {TIE_BREAK}: {matrix.get(top).display_name}"
    else:
        ties = []
    departure = None if top == leaf else _departure(p, top, leaf, contrib, scores, barred)
    also = {}
    for name in _OUTSIDE_SECTION:
        if scores[name] >= scores[top] - 3:
            also[name] = (f"not covered by Section 64.4, but close: {matrix.get(name).best_for.lower()} "
                          f"(scores {scores[name]:+d} against {scores[top]:+d} for the first)")
    leaders = [n for n in ranking if n not in _OUTSIDE_SECTION]
    watch = {n: _watch_outs(matrix.get(n), p, reasons[n]) for n in leaders[:3]}
    ev = dict(evidence(p, leaders[:2])) if evidence is not None else None
    return Recommendation(p, ranking, scores, reasons, path, watch, _combinations(p, top), ev,
                          answer=_answer(p, top), ties=ties, tie_break=tie_break, departure=departure,
                          also_worth_a_look=also, barred=barred, crash=crash)
