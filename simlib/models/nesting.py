"""A LangGraph agent loop nested inside a Temporal workflow.

The design follows the common production shape: the Temporal workflow calls
ordinary activities for side effects (charge, refund, publish) and runs the
LangGraph graph as **one long activity** (`agent_activity`) that invokes the
graph with ``thread_id = workflow id + activity name`` and a checkpointer. The
two layers split the work:

* LangGraph checkpoints each node inside the activity, so a retried activity
  resumes the graph from its last checkpoint instead of from scratch;
* Temporal is the supervisor LangGraph lacks: the activity heartbeats, and when
  the worker dies the server notices the missing heartbeat after
  ``heartbeat_timeout_s`` and retries the activity (1 s, 2 s, ... backoff). A
  checkpointer outage makes a write raise, which fails the activity (in the
  default ``"async"`` mode only when the graph returns: the later nodes run
  first, as in plain LangGraph); Temporal retries it until the database is back;
* once the activity has returned, its result is in the Temporal history and the
  graph is never run again; the steps outside it are plain Temporal activities.

`agent_activity` works on every engine: elsewhere the graph's steps simply run
inline. Each graph step is one node (one super-step).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simpy.events import Event

from .langgraph import WRITE_SOURCE
from .params import param

from ..core.context import MISSING, Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, NondeterminismError, WorkerCrash
from ..core.history import Record
from .langgraph import DURABILITY_MODES, DURABILITY_SOURCE, Thread
from .temporal import DEFAULT_RETRY, Temporal, TemporalConfig, TemporalContext, TemporalState, retry_policy
from ..core.stores import Component, FAIL, NOTHING, STALL

__all__ = ["LangGraphInTemporal", "LangGraphInTemporalConfig", "agent_activity", "as_agent_activity"]

NO_RETRY = RetryPolicy(maximum_attempts=1)


def agent_activity(ctx, name: str, graph, *args, **kwargs):
    """Run the generator function ``graph(ctx, ...)`` as a LangGraph graph inside one Temporal activity.

    Use it with ``yield from``: ``reply = yield from agent_activity(ctx, "triage", triage_graph)``.
    """
    enter = getattr(ctx, "enter_graph", None)
    if enter is None:
        return (yield from graph(ctx, *args, **kwargs))
    done = enter(name)
    if done is not None:
        return (yield done)
    result = yield from graph(ctx, *args, **kwargs)
    yield ctx.exit_graph(name, result)
    return result


def as_agent_activity(graph, name: str = "agent"):
    """A workflow whose whole body is one agent activity (for running a plain scenario nested)."""

    def workflow(ctx, **params):
        return (yield from agent_activity(ctx, name, graph, **params))

    workflow.__doc__ = graph.__doc__
    return workflow


@dataclass(frozen=True)
class LangGraphInTemporalConfig(TemporalConfig):
    """Temporal settings plus the inner graph's.

    Attributes:
        durability: LangGraph durability mode inside the activity (``"async"`` by default).
        checkpoint_write_s: time of one checkpoint write (LangGraph's measured median, fixed here).
        heartbeat_timeout_s: the agent activity's heartbeat timeout: how long the server waits
            before declaring a silent activity dead.
    """

    durability: str = param("async", kind="docs", choices=DURABILITY_MODES, source=DURABILITY_SOURCE)
    checkpoint_write_s: float = param(0.001, kind="measured", source=WRITE_SOURCE)
    heartbeat_timeout_s: float = param(
        30.0, kind="assumption",
        source="the course's choice for a long agent activity: Temporal sets no heartbeat timeout by default, and "
               "an activity that heartbeats lets the server notice a dead worker in seconds, not at start-to-close")

    def __post_init__(self):
        super().__post_init__()
        if self.durability not in DURABILITY_MODES:
            raise ConfigError(f"unknown durability {self.durability!r}; allowed: {', '.join(DURABILITY_MODES)}")


@dataclass
class LayeredState(TemporalState):
    """What one workflow keeps across invocations, in both layers.

    Attributes:
        history_events: Temporal's history: step -> (kind, name, value) of the workflow's own steps.
        graph_results: agent activity name -> (step, result) once the activity completed.
        graph_attempts: agent activity name -> attempts Temporal made.
        graph_threads: agent activity name -> its LangGraph thread in the checkpointer.
    """

    history_events: dict = field(default_factory=dict)
    graph_results: dict = field(default_factory=dict)
    graph_attempts: dict = field(default_factory=dict)
    graph_threads: dict = field(default_factory=dict)


class LayeredContext(TemporalContext):
    """Temporal rules outside an agent activity, LangGraph rules inside it."""

    __slots__ = ("store", "outage", "gate_start", "check_determinism", "durable",
                 "activity", "thread", "_closing", "failed_write")
    cfg: LangGraphInTemporalConfig

    def __init__(self, run, inst, worker: str, cfg: LangGraphInTemporalConfig):
        super().__init__(run, inst, worker, cfg)
        self.activity: str | None = None
        self.thread: Thread | None = None
        self._closing: tuple | None = None
        self.failed_write: int | None = None
        self._outer()

    def _outer(self) -> None:
        base = TemporalContext
        self.store, self.outage, self.gate_start = base.store, base.outage, base.gate_start
        self.record_latency_s, self.check_determinism = self.cfg.record_s, base.check_determinism
        self.retry, self.durable = retry_policy(self.cfg), True

    def _inner(self) -> None:
        mode = self.cfg.durability
        # sync: the write is part of the node and raises there; async: a background writer takes it.
        self.store, self.outage, self.gate_start = "checkpointer", "deferred" if mode == "async" else "fail", False
        self.failed_write = None
        self.record_latency_s = self.cfg.checkpoint_write_s if mode == "sync" else 0.0
        self.check_determinism, self.retry, self.durable = False, NO_RETRY, mode != "exit"

    def is_activity(self, kind: str) -> bool:
        # Inside the agent activity the calls are graph nodes, bounded by the activity, not activities.
        return self.activity is None and super().is_activity(kind)

    # ------------------------------------------------------------------ agent activity
    def enter_graph(self, name: str) -> Event | None:
        """Start (or skip, when the history has its result) the agent activity ``name``."""
        memo: LayeredState = self.inst.state
        done = memo.graph_results.get(name)
        if done is not None:
            self.seq = done[0]
            self.stats.replayed += 1
            self._note(done[0], "replay", {"name": name, "kind": "activity", "from": "history",
                                           "layer": "temporal"})
            return self.env.event().succeed(done[1])
        attempts = memo.graph_attempts
        attempts[name] = attempts.get(name, 0) + 1
        self.activity = name
        thread = memo.graph_threads.get(name)
        if thread is None:
            thread = memo.graph_threads[name] = Thread()
            thread.start(self._write_landing)
        self.thread = thread
        self._note(None, "activity-start", {"activity": name, "attempt": attempts[name],
                                            "thread_id": f"{self.workflow_id}:{name}"})
        self._inner()
        return None

    def exit_graph(self, name: str, result) -> Event:
        """The graph returned: ``invoke()`` waits for its writes, then the activity reports its result."""
        now = self.env.now
        if self.failed_write is not None:
            # A background write failed: invoke() raises now, so the activity fails and Temporal retries it.
            self.graph.flush(now)
            raise WorkerCrash("checkpoint write failed", self.failed_write, "store-unavailable")
        self.graph.persist_all(now, collapse=self.cfg.durability == "exit")
        self.graph.log(now, self.inst, self.history, self.cfg.durability)
        self.activity = None
        self._outer()
        self._closing = (self.seq + 1, name, result)
        return self.tool(name, effect=None, latency_s=0.0)

    @property
    def graph(self) -> Thread:
        """The LangGraph thread of the agent activity in progress (there is one whenever it is asked for)."""
        assert self.thread is not None, "no agent activity is running"
        return self.thread

    # ------------------------------------------------------------------ lookups and records
    def lookup_step(self, seq: int, kind: str, name: str):
        if self.activity is not None:
            item = self.graph.writes.get(seq)
            where, layer = "checkpoint", "langgraph"
        else:
            item = self.inst.state.history_events.get(seq)
            where, layer = "history", "temporal"
            if item is not None and (item[0], item[1]) != (kind, name):
                raise NondeterminismError(
                    f"step {seq}: history has {item[0]} {item[1]!r}, the code now issues {kind} {name!r}")
        if item is None:
            self.replaying = False
            return MISSING
        self.replaying = True
        self.stats.replayed += 1
        value = item[2]
        if isinstance(value, ActivityError):
            return self.env.event().fail(value)
        self._note(seq, "replay", {"name": name, "kind": kind, "from": where, "layer": layer})
        return self.env.event().succeed(value)

    def record_step(self, seq: int, kind: str, name: str, value) -> None:
        if self.activity is not None:
            if isinstance(value, ActivityError):
                return
            mode = self.cfg.durability
            now = self.env.now
            landed = self._write_landing()
            if mode == "async":
                landed = self._background_write(seq, landed)
            self.graph.writes[seq] = [kind, name, value, landed]
            self.graph.add(seq, (name,), landed)
            self.graph.log(now, self.inst, self.history, mode)
            return
        self.inst.state.history_events[seq] = (kind, name, value)
        if self._closing is not None and seq == self._closing[0]:
            self.inst.state.graph_results[self._closing[1]] = (seq, self._closing[2])
            self._closing = None

    def _write_landing(self) -> float:
        """When a checkpoint write issued now reaches the DB (``exit``: not before the graph returns)."""
        mode, now = self.cfg.durability, self.env.now
        return now if mode == "sync" else (now + self.cfg.checkpoint_write_s if mode == "async" else float("inf"))

    def _background_write(self, seq: int, landed: float) -> float:
        """When an async checkpoint write lands: never while the DB is down (invoke() will raise)."""
        plan = self.plan
        if plan.has_outages and plan.down_until("checkpointer", self.env.now) is not None:
            if self.failed_write is None:
                self.failed_write = seq
                self._note(seq, "write-failed", {"layer": "langgraph (inside temporal)", "durability": "async",
                                                 "raised": "when the graph returns"})
            return float("inf")
        if self.failed_write is not None:
            self.graph.cover_failed(landed)
        return landed

    def _note(self, seq, event: str, detail: dict) -> None:
        if self.history is not None:
            self.history.append(Record(self.env.now, self.workflow_id, seq, self.inst.attempts.get(seq, 1) if seq else 0,
                                     "info", self.worker, event, detail))


class LangGraphInTemporal(Temporal):
    """Temporal outside, LangGraph inside one activity; Temporal re-invokes the graph after a crash."""

    name = "temporal+langgraph"
    title = "LangGraph agent inside a Temporal workflow"
    family = "workflow-as-code"
    state_location = ("Temporal's event history for the workflow and its activities; the checkpointer DB for "
                      "the graph's nodes inside the agent activity")
    context_class = TemporalContext          # the engine reads class attributes (the outer store) from here
    config_class = LangGraphInTemporalConfig
    instance_state_class = LayeredState
    config: LangGraphInTemporalConfig
    components = (
        Component("worker", "Temporal worker (workflow code, activities, the graph inside one activity)", False,
                  NOTHING, "stateless: the history and the checkpointer hold everything"),
        Component("server", "Temporal server + persistence DB", True, STALL,
                  "while it is down nothing moves, nothing is lost"),
        Component("checkpointer", "LangGraph checkpointer DB", True, FAIL,
                  "a failed write fails the agent activity; Temporal retries it until the DB is back"),
    )

    def context(self, run, inst, worker: str) -> LayeredContext:
        return LayeredContext(run, inst, worker, self.config)

    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        assert isinstance(ctx, LayeredContext)
        now = run.env.now
        if ctx.activity is None:
            delay = super().recovery_delay(run, inst, ctx, crash)
            assert delay is not None      # Temporal always resumes
            ctx._note(None, "recovery", {
                "layer": "temporal", "failure": f"worker crash at step {crash.step} ({crash.point})",
                "by": "temporal: another worker replays the history; an unfinished activity is retried",
                "after_s": round(delay, 6)})
            return delay
        cfg = self.config
        name = ctx.activity
        ctx.graph.lose(now, inst, run.history, ctx.worker, cfg.durability)
        attempts = inst.state.graph_attempts
        attempt = attempts[name]
        if crash.point == "store-unavailable":
            # The write raised inside the activity: the worker reports the failure at once and the
            # server retries with backoff; attempts made while the DB is still down fail the same way.
            t = now + (DEFAULT_RETRY.delay(attempt) or 0.0)
            back = run.plan.down_until("checkpointer", now)
            while back is not None and t < back:
                attempt += 1
                t += DEFAULT_RETRY.delay(attempt) or 0.0
            attempts[name] = attempt
            failure = "checkpoint write failed: checkpointer DB unavailable"
            how = f"temporal retries the activity (attempt {attempt + 1})"
        else:
            t = now + cfg.heartbeat_timeout_s + (DEFAULT_RETRY.delay(attempt) or 0.0)
            failure = f"worker crash inside the graph at step {crash.step} ({crash.point})"
            how = f"temporal notices the missing heartbeat after {cfg.heartbeat_timeout_s:g} s and retries the activity"
        t = max(t, now + max(cfg.sticky_timeout_s, self.worker_back_in(run)))
        back = run.plan.down_until("server", t)
        if back is not None:
            t = back
        ctx._note(None, "recovery", {
            "layer": "langgraph (inside temporal)", "failure": failure,
            "by": f"{how}; langgraph resumes thread {inst.id}:{name} from checkpoint {ctx.graph.newest()}",
            "after_s": round(t - now, 6)})
        return t - now
