"""The framework decision matrix of Section 64.4, kept as data.

Each entry is an :class:`EngineProfile` keyed by the same engine name the
simulator's model registry uses, so a recommendation can be handed straight to
a simulation run. The ordered scales (:class:`Guarantee`, :class:`Footprint`,
:class:`Maturity`) are integers on purpose: the recommender compares them
against what a workload needs instead of matching strings.

Example:
    >>> from simlib import matrix
    >>> matrix.get("temporal").guarantee > matrix.get("hatchet").guarantee
    True
    >>> list(matrix.side_by_side().index)
    ['temporal', 'inngest', 'langgraph', 'restate', 'hatchet']
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from ..models import get_model

__all__ = [
    "ENGINES", "FAMILIES", "SECTION_ENGINES", "EngineProfile", "Footprint", "Guarantee",
    "Maturity", "UnknownEngineError", "get", "side_by_side",
]


class _LabelledScale(enum.IntEnum):
    """An ordered scale whose members carry a short human-readable label."""

    @property
    def label(self) -> str:
        """Short description of this level, for tables and reasons."""
        return self._LABELS[self.name]  # type: ignore[attr-defined]


class Guarantee(_LabelledScale):
    """What happens to an outside side effect when a run crashes and recovers.

    Every real engine re-runs a step whose effect happened but whose result was
    not yet recorded, so even the top level needs idempotency keys for real
    exactly-once effects. The levels differ in how much finished work is kept
    and how strictly the record is checked on replay.
    """

    NONE = 0
    AT_LEAST_ONCE_TASK = 1
    AT_LEAST_ONCE_STEP = 2
    EXACTLY_ONCE_RECORDING = 3


Guarantee._LABELS = {  # type: ignore[attr-defined]
    "NONE": "none: in-flight work is lost, nothing resumes it",
    "AT_LEAST_ONCE_TASK": "at-least-once, whole task: recovery repeats the job from its last save",
    "AT_LEAST_ONCE_STEP": "at-least-once per step: finished steps kept, the cut one re-runs",
    "EXACTLY_ONCE_RECORDING": (
        "exactly-once recording, checked on replay; effects still need idempotency keys"
    ),
}


class Footprint(_LabelledScale):
    """How much infrastructure your own team has to operate."""

    MINIMAL = 0
    LIGHT = 1
    MODERATE = 2
    HEAVY = 3


Footprint._LABELS = {  # type: ignore[attr-defined]
    "MINIMAL": "nothing new to run (or a vendor runs it)",
    "LIGHT": "one small piece: a library on your database, or a single binary",
    "MODERATE": "an engine service plus its database and a worker fleet",
    "HEAVY": "a stateful cluster that wants a platform team",
}


class Maturity(_LabelledScale):
    """How far the ecosystem (SDKs, integrations, war stories) has come."""

    EMERGING = 0
    GROWING = 1
    ESTABLISHED = 2
    DOMINANT = 3


Maturity._LABELS = {  # type: ignore[attr-defined]
    "EMERGING": "emerging: few SDKs, connectors and published postmortems",
    "GROWING": "growing: active community, still filling gaps",
    "ESTABLISHED": "established: widely used, well documented",
    "DOMINANT": "dominant: the default many teams already know",
}

FAMILIES = ("workflow-as-code", "dag-as-config", "agent-runtime", "homegrown")
"""Families of Section 64.4.1.7, plus the two that sit outside that split."""


@dataclass(frozen=True)
class EngineProfile:
    """One row of the decision matrix.

    Attributes:
        name: Registry key shared with the simulator's models.
        display_name: Name for tables and plots.
        family: One of :data:`FAMILIES` (read from the registered model).
        state_location: Where durable state lives between steps (read from the registered model).
        operates_as: What you deploy and run.
        best_for: The workload it is strongest at.
        watch_out_for: Its main cost or risk.
        when_it_fits: The selection advice for it, in a few sentences.
        section: Where the textbook discusses it (e.g. ``"64.4.1.1"``).
        guarantee: Side-effect guarantee level.
        footprint: Operational footprint level.
        languages: SDK languages; ``"any"`` means no SDK is needed, and ``"yaml"`` or
            ``"visual editor"`` mean the graph is declared rather than coded, so its
            tasks can be written in any language (Section 64.4.1.7).
        maturity: Ecosystem maturity level.
        gotchas: Concrete failure-semantics traps, from the real documentation.
        members: Concrete products, for entries that stand for a family.
    """

    name: str
    display_name: str
    family: str
    state_location: str
    operates_as: str
    best_for: str
    watch_out_for: str
    when_it_fits: str
    section: str
    guarantee: Guarantee
    footprint: Footprint
    languages: tuple[str, ...]
    maturity: Maturity
    gotchas: tuple[str, ...] = ()
    members: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family {self.family!r} of {self.name!r} not in {FAMILIES}")

    def supports(self, language: str) -> bool:
        """Whether a team writing ``language`` gets a first-class SDK."""
        declared = {"any", "yaml", "visual editor"} & set(self.languages)
        return bool(declared) or language in self.languages

    @property
    def sdk_count(self) -> int:
        """How many programming languages have an SDK (0 for "any"/declared-only entries)."""
        return len([lang for lang in self.languages if lang not in ("any", "yaml", "visual editor")])


def _from_model(name: str, **facts) -> EngineProfile:
    """A matrix row whose family and state location come from the registered model of that name.

    The model is the one source of those facts; the matrix adds the selection advice around them.
    """
    model = get_model(name)
    return EngineProfile(name=name, family=model.family, state_location=model.state_location, **facts)


class UnknownEngineError(KeyError, ValueError):
    """Raised for an engine name that is not in the matrix.

    It is both a ``KeyError`` (a failed lookup) and a ``ValueError`` (a bad
    argument), so either ``except`` clause catches it.
    """

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes.
        return str(self.args[0]) if self.args else ""


_ENTRIES = (
    _from_model(
        "temporal", display_name="Temporal",
        operates_as="Separate server cluster; your workers stay stateless",
        best_for="High-stakes multi-step agents with real side effects (payments, bookings)",
        watch_out_for="A cluster to run and upgrade; workflow code must replay deterministically",
        when_it_fits=(
            "Choose it when long-running, branching workflows must outlive any worker crash "
            "and every step must be recorded exactly once, and when a platform team already "
            "runs stateful services (often on Kubernetes). The Agents SDK integration makes "
            "it a natural home for tool-heavy agents that reach outside systems."
        ),
        section="64.4.1.1", guarantee=Guarantee.EXACTLY_ONCE_RECORDING, footprint=Footprint.HEAVY,
        languages=("python", "typescript", "go", "java", "dotnet", "ruby", "php"),
        maturity=Maturity.DOMINANT,
        gotchas=(
            "Activities run at least once: one that finished but could not report is retried, "
            "so key each external effect on workflow run ID + activity ID.",
            "Editing code of in-flight workflows breaks replay (NondeterminismError); the Python "
            "SDK retries the workflow task, so the run looks stuck until the code is fixed.",
            "The server notices a dead activity only through start-to-close or heartbeat "
            "timeouts, which you must set.",
        ),
    ),
    _from_model(
        "inngest", display_name="Inngest",
        operates_as="SDK inside your web app; the platform calls your endpoints",
        best_for="Event-driven LLM pipelines with no infrastructure of your own to run",
        watch_out_for="Reliance on the vendor's managed tier; less visibility than self-hosting",
        when_it_fits=(
            "Choose it to give an existing web application durable steps without standing up "
            "a worker fleet or a cluster: events start functions, each step.run result is "
            "checkpointed, and the vendor operates the platform."
        ),
        section="64.4.1.2", guarantee=Guarantee.AT_LEAST_ONCE_STEP, footprint=Footprint.MINIMAL,
        languages=("typescript", "python", "go"),
        maturity=Maturity.GROWING,
        gotchas=(
            "step.run is at-least-once: give external calls an idempotency key or an upsert.",
            "Code outside any step.run executes again on every re-invocation of the function.",
            "Memoization is by step ID and tolerant of reordering: renaming a step re-runs it.",
        ),
    ),
    _from_model(
        "langgraph", display_name="LangGraph persistence",
        operates_as="Library inside your application",
        best_for="Single-agent loops that pause for a human (interrupt/resume)",
        watch_out_for="Durability stops at the graph: code outside LangGraph gets none",
        when_it_fits=(
            "Choose it when the agent is already a LangGraph graph and you want checkpoints, "
            "time-travel debugging and human review with little extra machinery. It is simpler "
            "than Temporal and also narrower: its guarantees cover only the graph's own nodes."
        ),
        section="64.4.1.3", guarantee=Guarantee.AT_LEAST_ONCE_STEP, footprint=Footprint.LIGHT,
        languages=("python", "typescript"),
        maturity=Maturity.ESTABLISHED,
        gotchas=(
            "Nothing resumes on its own after a crash: your app must invoke the thread again.",
            "An interrupted node restarts from its top, including code before interrupt(); "
            "isolate side effects in their own task with idempotency keys.",
            "The default 'async' durability mode can lose the newest checkpoint in a crash.",
            "No retries unless you attach a RetryPolicy.",
        ),
    ),
    _from_model(
        "restate", display_name="Restate",
        operates_as=("The Restate server (one binary, a replicated cluster, or Restate Cloud) in front of "
                     "many services that run anywhere"),
        best_for="Greenfield agent services that want a lighter model than Temporal",
        watch_out_for=("Young: smaller ecosystem, fewer SDK languages than Temporal (6 against 7 here), "
                       "few published postmortems"),
        when_it_fits=(
            "Choose it for a new agent stack when Temporal's separate cluster feels too heavy "
            "and LangGraph's lock-in too narrow: a single server binary (one "
            "server, or Restate Cloud, hosts many services), RPC-style handlers and a journal "
            "entry at every awaited action mean little reshaping of your code."
        ),
        section="64.4.1.4", guarantee=Guarantee.EXACTLY_ONCE_RECORDING, footprint=Footprint.LIGHT,
        languages=("typescript", "java", "kotlin", "python", "go", "rust"),
        maturity=Maturity.EMERGING,
        gotchas=(
            "A ctx.run closure may execute more than once before its result is journaled; "
            "keep the call inside it idempotent.",
            "Changed handler code under in-flight invocations causes a journal mismatch (RT0016).",
            "Recent servers stop retrying after a bounded number of attempts and pause the "
            "invocation until an operator acts.",
        ),
    ),
    _from_model(
        "hatchet", display_name="Hatchet",
        operates_as=("Engine (with Postgres) plus your workers: Python first, with TypeScript and Go "
                     "SDKs too"),
        best_for='LLM batch jobs at scale: "Celery, but durable"',
        watch_out_for="Exactly-once for side effects is weaker than Temporal's",
        when_it_fits=(
            "Choose it when a Python-first team's work looks like background jobs at volume, "
            "such as embedding or classifying a hundred thousand documents: concurrency "
            "limits, retries and progress tracking come built in."
        ),
        section="64.4.1.5", guarantee=Guarantee.AT_LEAST_ONCE_STEP, footprint=Footprint.MODERATE,
        languages=("python", "typescript", "go"),
        maturity=Maturity.GROWING,
        gotchas=(
            "A task interrupted by a crash re-runs from its start, so tasks must be idempotent.",
            "Tasks do not retry unless you set retries (default 0); the execution timeout is 60 s.",
            "A dead worker's tasks are reassigned only after about 30 s without heartbeats.",
        ),
    ),
    _from_model(
        "dag", display_name="DAG-as-config (Airflow, Dagster, Step Functions)",
        operates_as=("A scheduler and workers you run (Airflow, Dagster), or a managed service "
                     "(AWS Step Functions, managed Airflow) executing a declared graph"),
        best_for="Nightly ETL, training schedules, periodic evals and reports",
        watch_out_for="The graph is fixed at deploy time; LLM-steered branches must live elsewhere",
        when_it_fits=(
            "Choose it when the graph is the same on every run and a schedule fires it: the "
            "UIs, lineage views and backfills are built for that, and operators keep control of "
            "the pipeline. For graphs an LLM shapes at run time it loses its point."
        ),
        # Footprint: the family's lightest members are managed services (Step Functions, managed Airflow).
        section="64.4.1.7", guarantee=Guarantee.AT_LEAST_ONCE_STEP, footprint=Footprint.MINIMAL,
        languages=("python", "yaml", "visual editor"),
        maturity=Maturity.DOMINANT,
        gotchas=(
            "A retry re-runs the whole task, so tasks must be idempotent (Airflow: 0 retries "
            "and a 300 s delay by default).",
            "A crashed worker is noticed only by a stale heartbeat, minutes later in Airflow.",
            "The section files Prefect here too, but since Prefect 2 a flow is plain Python with "
            "native branches and loops, closer to workflow-as-code than to a declared graph.",
        ),
        members=("Airflow", "Dagster", "AWS Step Functions (Standard)"),
    ),
    _from_model(
        "openai-agents", display_name="OpenAI Agents SDK (sessions)",
        operates_as="SDK in your app; state kept by OpenAI or your session backend",
        best_for="Agents that live entirely inside the OpenAI stack",
        watch_out_for="Work outside the SDK (DB writes, third-party APIs) gets no durability",
        when_it_fits=(
            "Choose it when the whole agent loop runs inside the OpenAI stack: picking up after "
            "a crash means reusing the same conversation handle. Once tools reach the outside "
            "world, pair it with Temporal activities for those calls."
        ),
        section="64.4.1.8", guarantee=Guarantee.NONE, footprint=Footprint.MINIMAL,
        languages=("python", "typescript"),
        maturity=Maturity.GROWING,
        gotchas=(
            "The default SQLite session lives in memory and vanishes with the process.",
            "Nothing resumes automatically; re-running a session repeats the in-flight turn, "
            "tool calls included.",
            "Approvals (needs_approval) require you to persist the RunState yourself.",
        ),
    ),
    _from_model(
        "openai-agents+temporal", display_name="OpenAI Agents SDK inside Temporal",
        operates_as="Agents SDK loop as Temporal workflow code; a Temporal cluster and workers",
        best_for="OpenAI-stack agents whose tools reach payments, databases or other outside systems",
        watch_out_for="Temporal's cluster and replay rules come with it; the integration is young",
        when_it_fits=(
            "Take it when an agent is built on the Agents SDK but a crash must not repeat finished "
            "turns: the loop replays from Temporal's event history and every model call and "
            "wrapped tool is an activity, so only the call cut off by the crash runs again."
        ),
        section="64.4.1.8", guarantee=Guarantee.EXACTLY_ONCE_RECORDING, footprint=Footprint.HEAVY,
        languages=("python",),
        maturity=Maturity.EMERGING,
        gotchas=(
            "A model call is an activity with a 60 s start-to-close timeout: a call cut off by a "
            "crash is retried only after it expires.",
            "Tools run at least once like any activity; key their outside effects.",
            "Only tools wrapped as activities are durable; a plain function tool runs again on replay.",
        ),
    ),
    _from_model(
        "app-checkpoint", display_name="Application-level checkpointing",
        operates_as="Code in your app plus a table you already run",
        best_for="Short flows of a few steps where a retry is cheap",
        watch_out_for="You own crash detection, retries, resumption and idempotency",
        when_it_fits=(
            "Choose it for simple flows of a handful of steps, or when the team already runs a "
            "database-backed state machine and wants no engine to operate. Long waits, fan-out "
            "joins or human approvals are the signal to move to a real engine."
        ),
        section="64.4 Self-Check Q3",
        guarantee=Guarantee.AT_LEAST_ONCE_TASK, footprint=Footprint.LIGHT,
        languages=("any",),
        maturity=Maturity.ESTABLISHED,
        gotchas=(
            "Something must notice stuck jobs: a sweeper with a lease timeout you write yourself.",
            "Progress is only as fine-grained as your saves; work between saves repeats.",
        ),
    ),
    _from_model(
        "none", display_name="No durability",
        operates_as="Plain code",
        best_for="Prototypes and cheap one-shot calls",
        watch_out_for="A crash discards every finished step; a re-run pays for all LLM calls again",
        when_it_fits=(
            "Only when a failed run costs nothing but a re-run: everything finished before "
            "the crash is lost and must be repeated."
        ),
        section="64.4 Self-Check Q1", guarantee=Guarantee.NONE, footprint=Footprint.MINIMAL,
        languages=("any",),
        maturity=Maturity.ESTABLISHED,
        gotchas=("A crash mid-call leaves no record of whether the effect happened.",),
    ),
    _from_model(
        "dbos", display_name="DBOS Transact",
        operates_as="Library in your app; no separate server",
        best_for="Services that want durable workflows inside the database they already run",
        watch_out_for="Not covered by the textbook; young ecosystem; your DB paces all progress",
        when_it_fits=(
            "A lighter peer the section leaves out: mark functions as workflows and steps and "
            "the library records inputs and step outputs in your own database; database writes "
            "done as transactions commit exactly once together with their checkpoint."
        ),
        section="not in 64.4 (extra peer)",
        guarantee=Guarantee.EXACTLY_ONCE_RECORDING, footprint=Footprint.LIGHT,
        languages=("python", "typescript", "go", "java"),
        maturity=Maturity.EMERGING,
        gotchas=(
            "Steps are at-least-once; only @transaction database writes are exactly-once.",
            "Steps do not retry unless you opt in.",
            "A database outage pauses every workflow until the connection returns.",
        ),
    ),
)

ENGINES: Mapping[str, EngineProfile] = MappingProxyType({e.name: e for e in _ENTRIES})
"""Every matrix entry, keyed by engine name, in a fixed teaching order."""

SECTION_ENGINES = ("temporal", "inngest", "langgraph", "restate", "hatchet")
"""The five engines of the section's side-by-side table, in its order."""

_COLUMNS = {
    "Framework": lambda e: e.display_name,
    "State location": lambda e: e.state_location,
    "Operates as": lambda e: e.operates_as,
    "Best for": lambda e: e.best_for,
    "Watch out for": lambda e: e.watch_out_for,
    "Side-effect guarantee": lambda e: e.guarantee.label,
    "Guarantee level": lambda e: int(e.guarantee),
    "Operational footprint": lambda e: e.footprint.label,
    "Footprint level": lambda e: int(e.footprint),
    "Languages": lambda e: ", ".join(e.languages),
    "Ecosystem maturity": lambda e: e.maturity.label,
    "Maturity level": lambda e: int(e.maturity),
    "Family": lambda e: e.family,
    "Section": lambda e: e.section,
}


def get(name: str) -> EngineProfile:
    """Look up one engine.

    Args:
        name: Engine name, e.g. ``"temporal"``.

    Returns:
        The engine's matrix entry.

    Raises:
        UnknownEngineError: If ``name`` is not in :data:`ENGINES`; the message
            lists the allowed names.
    """
    try:
        return ENGINES[name]
    except (KeyError, TypeError):
        allowed = ", ".join(ENGINES)
        raise UnknownEngineError(f"unknown engine {name!r}; allowed: {allowed}") from None


def side_by_side(engines: Iterable[str] | str | None = None) -> pd.DataFrame:
    """Build the side-by-side comparison table.

    Args:
        engines: Engine names in the row order wanted; ``None`` for the
            section's five engines, ``"all"`` for every matrix entry.

    Returns:
        One row per engine, indexed by engine name, with the section's four
        columns (State location, Operates as, Best for, Watch out for) followed
        by the scales, languages, family and section reference.

    Raises:
        UnknownEngineError: If a name is not in the matrix.
    """
    if engines is None:
        names = list(SECTION_ENGINES)
    elif isinstance(engines, str):
        names = list(ENGINES) if engines == "all" else [engines]
    else:
        names = list(engines)
    rows = [{col: fn(get(n)) for col, fn in _COLUMNS.items()} for n in names]
    frame = pd.DataFrame(rows, index=pd.Index(names, name="engine"), columns=list(_COLUMNS))
    return frame
