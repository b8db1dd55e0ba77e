"""LangGraph persistence: a checkpoint per super-step in a checkpointer DB, keyed by thread_id.

LangGraph runs the graph inside your application (the Pregel loop is a
library). Each workflow instance is one thread (``thread_id`` = the instance
id). In the simulator each step is one node and each node is one super-step,
so a sequential workflow gets a checkpoint after every step. Three ways to
group work differently:

* ``ctx.node(name)`` opens a node that spans several steps (an LLM call, a
  tool, an ``interrupt()``) until the next ``ctx.node`` call; a crash re-runs
  the whole node from its top. `begin_node` does the same and is a no-op on
  other engines.
* ``ctx.superstep(lambda: ctx.llm(...), lambda: ctx.tool(...))`` runs several
  one-step nodes in parallel in one super-step. A node that finishes writes its
  output at once (a "pending write"); if the process dies, only the nodes
  without a pending write run again.
* ``ctx.wait_event`` is ``interrupt()``: the graph saves and exits, and when
  the answer arrives the app sends ``Command(resume=...)``. The node then
  restarts from its beginning, so its steps before the interrupt run again
  (``extra["interrupt_reruns"]``).

A thread gets a checkpoint for the input, one for START and one per
super-step, so a chain of N nodes leaves N + 2. Durability modes
(``durability``): ``"sync"`` writes each checkpoint before the next step
starts; ``"async"`` (LangGraph's default) writes it while the next step runs,
so a crash inside that write window (a SQLite write: 0.3-7 ms, measured) loses
the newest checkpoint; ``"exit"`` writes one checkpoint when the graph exits,
so a crash loses all progress. Nothing resumes by itself: someone must call
``invoke(None, {"configurable": {"thread_id": ...}})`` again.
``supervisor_restart_s`` models that someone (a process manager or a sweeper);
None leaves the run stopped. ``resume_with="input"`` models a supervisor that
sends the input again instead: LangGraph then starts a new run from START and
every node runs again. With nothing checkpointed (``exit`` mode),
``invoke(None)`` raises `EmptyInputError` and the workflow fails. A
checkpointer outage makes a write raise and the run fail: at once in ``"sync"``
mode; in ``"async"`` mode the write fails in the background, the next nodes run
(their side effects happen), and ``invoke()`` raises only when the graph
finishes. A later write that lands holds the whole state, so a re-invoke resumes
from the newest checkpoint that reached the DB. Retries are off unless
``retry_policy=True`` (LangGraph's RetryPolicy, the ``retry_*`` settings: 3
attempts, 0.5 s x2, capped at 128 s, jitter left out so runs stay replayable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import ClassVar
from functools import partial

from simpy.events import Event

from ..core.context import MISSING, Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, WorkerCrash, WorkflowFailure
from ..core.history import Record
from ..core.scenario import Scenario
from ..core.stores import Component, FAIL, NOTHING
from .base import EngineModel, ModelConfig
from .params import param

__all__ = ["LangGraph", "LangGraphConfig", "LangGraphContext", "Thread", "begin_node", "graph_runner",
           "DURABILITY_MODES", "DURABILITY_SOURCE", "RESUME_CHOICES", "WRITE_SOURCE", "EmptyInputError", "draw_write_s", "check_write_range"]

INF = math.inf
DURABILITY_MODES = ("sync", "async", "exit")
NO_RETRY = RetryPolicy(maximum_attempts=1)


WRITE_SOURCE = ("conformance row 'async: one checkpoint write to SQLite' (simlib/conformance/langgraph.py): "
                "SqliteSaver.put timed inside real LangGraph 1.2 runs on these machines: 0.3-7 ms, median about 1 ms "
                "(up to 11 ms, medians up to 3.4 ms, while other jobs loaded the machine)")
RETRY_SOURCE = "langgraph repo: libs/langgraph/langgraph/types.py (RetryPolicy defaults)"
RESUME_CHOICES = ("none", "input")
DURABILITY_SOURCE = ("https://docs.langchain.com/oss/python/langgraph/durable-execution (Durability modes: exit, "
                     "async, sync; durability=\"async\" replaces checkpoint_during=True, the behaviour before "
                     "v0.6, and is the default)")


@dataclass(frozen=True)
class LangGraphConfig(ModelConfig):
    """LangGraph settings.

    Attributes:
        durability: ``"sync"``, ``"async"`` (LangGraph's default) or ``"exit"``.
        supervisor_restart_s: seconds after a crash until your supervisor invokes the thread
            again; None (the default) means nobody does and the run stays stopped.
        resume_with: what the supervisor passes to ``invoke`` on the same ``thread_id``:
            ``"none"`` (``invoke(None, cfg)``, the right call: carry on from the newest checkpoint)
            or ``"input"`` (the input again: LangGraph starts a new run from START, so every node
            before the crash runs twice). It matters only when ``supervisor_restart_s`` is set:
            without a supervisor nothing invokes the thread again.
        retry_policy: attach LangGraph's RetryPolicy to every node (off by default).
        checkpoint_write_s: the median time of one checkpoint write to the checkpointer DB
            (``sync`` waits this long per node).
        checkpoint_write_min_s: the shortest write; ``async`` writes are drawn from the run's
            random stream, half between the minimum and the median, half between the median and
            the maximum (evenly on a log scale).
        checkpoint_write_max_s: the longest write.
        retry_initial_interval_s: RetryPolicy's wait before the second attempt.
        retry_backoff_factor: RetryPolicy's multiplier for each further wait.
        retry_max_interval_s: RetryPolicy's cap on one wait.
        retry_max_attempts: RetryPolicy's attempts, the first included.
    """

    BOUNDS: ClassVar[dict[str, str]] = {**ModelConfig.BOUNDS, "retry_max_attempts": ">= 1"}

    durability: str = param("async", kind="docs", choices=DURABILITY_MODES, source=DURABILITY_SOURCE)
    supervisor_restart_s: float | None = param(
        None, kind="assumption", source="LangGraph re-invokes nothing by itself; the delay is your supervisor's "
        "(None: nobody re-invokes)")
    resume_with: str = param(
        "none", kind="measured", choices=RESUME_CHOICES,
        source="conformance row 'sync, crash after node 3, then invoke(input) on the same thread: runs per node' "
        "and tests/real_engines/test_langgraph.py: invoke(None, cfg) resumes from the newest checkpoint, "
        "invoke(input, cfg) starts the thread again from START; used only when supervisor_restart_s re-invokes")
    retry_policy: bool = param(
        False, kind="code", source="langgraph repo: libs/langgraph/langgraph/graph/state.py StateGraph.add_node("
        "retry_policy=None): a node has no retries unless you pass a RetryPolicy")
    checkpoint_write_s: float = param(0.001, kind="measured", source=WRITE_SOURCE)
    checkpoint_write_min_s: float = param(0.0003, kind="measured", source=WRITE_SOURCE)
    checkpoint_write_max_s: float = param(0.007, kind="measured", source=WRITE_SOURCE)
    retry_initial_interval_s: float = param(0.5, kind="code", source=RETRY_SOURCE)
    retry_backoff_factor: float = param(2.0, kind="code", source=RETRY_SOURCE)
    retry_max_interval_s: float = param(128.0, kind="code", source=RETRY_SOURCE)
    retry_max_attempts: int = param(3, kind="code", source=RETRY_SOURCE)

    def __post_init__(self):
        super().__post_init__()
        if self.durability not in DURABILITY_MODES:
            raise ConfigError(f"unknown durability {self.durability!r}; allowed: {', '.join(DURABILITY_MODES)}")
        if self.resume_with not in RESUME_CHOICES:
            raise ConfigError(f"unknown resume_with {self.resume_with!r}; allowed: {', '.join(RESUME_CHOICES)}")
        s = self.supervisor_restart_s
        if s is not None and (isinstance(s, bool) or not isinstance(s, (int, float))):
            raise ConfigError(f"supervisor_restart_s must be a number >= 0 or None, got {s!r}")
        if not isinstance(self.retry_policy, bool):
            raise ConfigError(f"retry_policy must be True or False, got {self.retry_policy!r}")
        check_write_range(self)

    def notes(self, changed: set[str]) -> list[str]:
        """``resume_with`` changes nothing while no supervisor re-invokes the thread."""
        if "resume_with" in changed and self.supervisor_restart_s is None:
            return [f"resume_with={self.resume_with} has no effect here: after a crash nothing invokes the thread "
                    f"again unless a supervisor does (add e.g. --set supervisor_restart_s=5)"]
        return []

    def retry(self) -> RetryPolicy:
        """LangGraph's RetryPolicy with these settings (jitter left out so runs stay replayable)."""
        return RetryPolicy(initial_interval_s=self.retry_initial_interval_s,
                           backoff_coefficient=self.retry_backoff_factor,
                           maximum_interval_s=self.retry_max_interval_s, maximum_attempts=self.retry_max_attempts)


def check_write_range(cfg) -> None:
    """Raise `ConfigError` unless ``checkpoint_write_min_s <= checkpoint_write_s <= checkpoint_write_max_s``."""
    lo, mid, hi = cfg.checkpoint_write_min_s, cfg.checkpoint_write_s, cfg.checkpoint_write_max_s
    if not lo <= mid <= hi:
        raise ConfigError(f"checkpoint write times must satisfy checkpoint_write_min_s <= checkpoint_write_s <= "
                          f"checkpoint_write_max_s, got {lo!r}, {mid!r}, {hi!r}")


def draw_write_s(rng, cfg) -> float:
    """One checkpoint write's duration in seconds, drawn from ``rng`` (a stream of the run).

    Half the draws fall between ``checkpoint_write_min_s`` and the median ``checkpoint_write_s``,
    half between the median and ``checkpoint_write_max_s``, spread evenly on a log scale.
    """
    u = rng.random()
    lo, hi, f = (cfg.checkpoint_write_min_s, cfg.checkpoint_write_s, 2 * u) if u < 0.5 else \
        (cfg.checkpoint_write_s, cfg.checkpoint_write_max_s, 2 * u - 1)
    if lo <= 0.0:
        return lo + (hi - lo) * f
    return float(lo * (hi / lo) ** f)


class EmptyInputError(WorkflowFailure):
    """``invoke(None, cfg)`` on a thread with no checkpoint: LangGraph has nothing to resume and raises."""


class Thread:
    """What the checkpointer holds for one thread_id.

    Attributes:
        writes: step -> [kind, name, value, landed_at]: each finished node's output, durable
            once the simulated clock passes ``landed_at`` (INF while it is only in memory).
        checkpoints: [superstep, last_step, nodes, landed_at], oldest first. ``superstep`` is
            LangGraph's checkpoint ``step``: -1 for the input, 0 for START, then one per
            super-step, so a chain of N nodes leaves N + 2 checkpoints.
        resume: step -> the value ``Command(resume=...)`` hands to a pending ``interrupt()``.
        unlogged: checkpoints not yet written to the history.
    """

    __slots__ = ("writes", "checkpoints", "resume", "unlogged")

    def __init__(self):
        self.writes: dict = {}
        self.checkpoints: list = []
        self.resume: dict = {}
        self.unlogged: list = []

    def start(self, landed) -> None:
        """``invoke(input)``: a checkpoint for the input, then one for START with the input applied.

        Args:
            landed: called once per write; returns when that write reaches the DB.
        """
        self.add(0, ("__input__",), landed())
        self.add(0, ("__start__",), landed())

    def last_landing(self) -> float:
        """When the newest checkpoint reaches the DB (0 when there is none or its write failed)."""
        landed = self.checkpoints[-1][3] if self.checkpoints else 0.0
        return 0.0 if landed == INF else landed

    def newest(self) -> int | None:
        """The newest checkpoint's super-step number (None for an empty thread)."""
        return self.checkpoints[-1][0] if self.checkpoints else None

    def crash(self, now: float) -> list:
        """Drop what had not reached the DB at ``now``; return the lost checkpoints."""
        for seq in [s for s, w in self.writes.items() if w[3] > now]:
            del self.writes[seq]
        lost = [c for c in self.checkpoints if c[3] > now]
        if lost:
            self.checkpoints = [c for c in self.checkpoints if c[3] <= now]
        return lost

    def add(self, last_seq: int, nodes: tuple, landed: float) -> None:
        """A new checkpoint after the super-step that ended with step ``last_seq``."""
        superstep = self.checkpoints[-1][0] + 1 if self.checkpoints else -1
        c = [superstep, last_seq, nodes, landed]
        self.checkpoints.append(c)
        self.unlogged.append(c)

    def log(self, upto: float, inst, hist, mode: str) -> None:
        """Count (and write to the history) the checkpoints that reached the DB by ``upto``."""
        if not self.unlogged:
            return
        keep = []
        landed = 0
        for c in self.unlogged:
            if c[3] <= upto:
                landed += 1
                if hist is not None:
                    hist.append(Record(c[3], inst.id, c[1] or None, 0, "info", "checkpointer", "checkpoint",
                                       {"superstep": c[0], "nodes": list(c[2]), "durability": mode}))
            else:
                keep.append(c)
        if landed:
            inst.extra["checkpoints"] = inst.extra.get("checkpoints", 0) + landed
        self.unlogged = keep

    def lose(self, now: float, inst, hist, worker: str, mode: str) -> list:
        """A crash at ``now``: log what landed, drop the rest and record each lost checkpoint."""
        self.log(now, inst, hist, mode)
        lost = self.crash(now)
        self.unlogged = [c for c in self.unlogged if c not in lost]
        for c in lost:
            inst.extra["checkpoints_lost"] = inst.extra.get("checkpoints_lost", 0) + 1
            if hist is not None:
                hist.append(Record(now, inst.id, c[1] or None, 0, "info", worker, "checkpoint-lost",
                                   {"superstep": c[0], "durability": mode}))
        return lost

    def cover_failed(self, landed: float) -> None:
        """A checkpoint landed at ``landed``: it holds the whole state, so the writes whose own
        (background) checkpoint failed are durable from then on too."""
        for w in self.writes.values():
            if w[3] == INF:
                w[3] = landed

    def flush(self, now: float) -> None:
        """The graph exits with an error: the writes still in flight land; the failed ones stay lost."""
        for w in self.writes.values():
            if w[3] != INF:
                w[3] = min(w[3], now)
        for c in self.checkpoints:
            if c[3] != INF:
                c[3] = min(c[3], now)

    def persist_all(self, now: float, collapse: bool) -> None:
        """The graph exits: every write lands by ``now``.

        ``collapse``: exit mode writes one checkpoint at exit, so of the checkpoints made since
        the last exit only the newest is stored.
        """
        if collapse:
            pending = [c for c in self.checkpoints if c[3] == INF]
            dropped = pending[:-1]
            if dropped:
                self.checkpoints = [c for c in self.checkpoints if c not in dropped]
                self.unlogged = [c for c in self.unlogged if c not in dropped]
        for w in self.writes.values():
            w[3] = min(w[3], now)
        for c in self.checkpoints:
            c[3] = min(c[3], now)


def begin_node(ctx, name: str | None) -> None:
    """Open a LangGraph node spanning the following steps (no-op on other engines)."""
    opener = getattr(ctx, "node", None)
    if opener is not None:
        opener(name)


class _Resume(BaseException):
    """Thrown into the workflow to restart an interrupted node (never seen by user code's ``except``)."""


def graph_runner(fn):
    """Wrap a workflow so that ``Command(resume=...)`` restarts it like LangGraph's Pregel loop does.

    Completed nodes come back from the checkpointer at once; the interrupted node runs again from its top.
    """
    if getattr(fn, "_langgraph_runner", False):
        return fn

    def run_graph(ctx, **params):
        begin = getattr(ctx, "begin_invocation", None)
        if begin is not None:
            begin()
        while True:
            try:
                result = yield from fn(ctx, **params)
            except _Resume:
                ctx._rewind()
                continue
            raise_failed = getattr(ctx, "raise_failed_write", None)
            if raise_failed is not None:
                raise_failed()
            return result

    run_graph._langgraph_runner = True  # type: ignore[attr-defined]  # how the model recognises a graph
    run_graph.__wrapped__ = fn  # type: ignore[attr-defined]
    run_graph.__doc__ = fn.__doc__
    return run_graph


_AS_GRAPH: dict = {}   # id(scenario) -> (scenario, the same scenario with its workflows wrapped)


def _as_graph(sc):
    """``sc`` with every workflow wrapped in `graph_runner` (made once per scenario: sweeps run it often)."""
    hit = _AS_GRAPH.get(id(sc))
    if hit is not None and hit[0] is sc:
        return hit[1]
    wrapped = replace(sc, workflow=graph_runner(sc.workflow),
                      variants={k: graph_runner(v) for k, v in sc.variants.items()})
    if len(_AS_GRAPH) >= 256:
        _AS_GRAPH.clear()
    _AS_GRAPH[id(sc)] = (sc, wrapped)
    return wrapped


def _ready(env, value, ok: bool = True) -> Event:
    ev = env.event()
    return ev.succeed(value) if ok else ev.fail(value)


class LangGraphContext(Context):
    """Per-node writes and per-super-step checkpoints in the checkpointer; no replay checks."""

    __slots__ = ("durable", "record_latency_s", "retry", "mode", "cfg", "thread", "_group", "_group_seqs",
                 "_parallel", "outage", "failed_write", "writes_rng")
    store = "checkpointer"
    gate_start = False
    check_determinism = False

    def __init__(self, run, inst, worker: str, cfg: LangGraphConfig | None = None):
        super().__init__(run, inst, worker)
        cfg = cfg or LangGraphConfig()
        self.mode = cfg.durability
        self.durable = self.mode != "exit"          # exit mode touches the DB only when the graph exits
        self.cfg = cfg
        # sync waits for each write inside the node: the median write time.
        self.record_latency_s = cfg.checkpoint_write_s if self.mode == "sync" else 0.0
        self.writes_rng = run.rng.stream("langgraph-checkpoint-writes")
        # sync: the write is part of the step and raises there; async: a background writer takes it.
        self.outage = "deferred" if self.mode == "async" else "fail"
        self.failed_write: int | None = None        # first step whose background write failed
        self.retry = cfg.retry() if cfg.retry_policy else NO_RETRY
        self.thread = inst.state.thread
        self._group: tuple | None = None             # (name, first step) of an open multi-step node
        self._group_seqs: list = []                  # its steps finished in this invocation
        self._parallel: set = set()                  # steps of a super-step still running

    # ------------------------------------------------------------------ invocations
    def begin_invocation(self) -> None:
        """``invoke()`` on this thread: with the input on a fresh thread; after a crash as ``resume_with`` says.

        Raises:
            EmptyInputError: ``invoke(None, cfg)`` found no checkpoint to resume from.
        """
        th, inst = self.thread, self.inst
        if inst.invocations == 1:
            if not th.checkpoints:          # a fork starts from the checkpoints it was given
                self._open_thread()
            return
        if self.cfg.resume_with == "input":
            # A new input on a known thread starts a new run from START; saved outputs are not reused.
            th.writes.clear()
            th.resume.clear()
            self._note(None, "restart-from-start", {"layer": "langgraph", "call": "invoke(input, cfg)",
                                                    "kept_checkpoints": len(th.checkpoints)})
            self._open_thread()
            return
        if not th.checkpoints:
            raise EmptyInputError(f"invoke(None) on thread {self.workflow_id}: no checkpoint to resume from "
                                  f"(durability={self.mode!r}); send the input again (resume_with='input')")

    def _open_thread(self) -> None:
        self.thread.start(self._landed)
        self._log_checkpoints(self.env.now)

    # ------------------------------------------------------------------ graph structure
    def node(self, name: str | None) -> None:
        """Start a node named ``name`` that spans the following steps (None: back to one step per node)."""
        self._end_group()
        if name is not None:
            self._group = (name, self.seq + 1)

    def superstep(self, *branches) -> Event:
        """Run one-step nodes in parallel as one super-step; the event's value is the list of results.

        Args:
            branches: callables that each issue exactly one step, e.g. ``lambda: ctx.llm("a")``.
        """
        self._end_group()
        events, seqs = [], []
        self.serial = False          # the branches start together: none may finish inline
        try:
            for branch in branches:
                before = self.seq
                events.append(branch())
                if self.seq != before + 1:
                    raise ConfigError(f"each superstep branch must issue exactly one step, "
                                      f"one issued {self.seq - before}")
                seqs.append(self.seq)
        finally:
            self.serial = True
        self._parallel.update(seqs)
        return _SuperStep(self, events, seqs)

    def wait_event(self, name: str, timeout_s: float) -> Event:
        """``interrupt()``: save, exit, and continue when ``Command(resume=value)`` arrives (None on timeout)."""
        seq = self.seq + 1
        th = self.thread
        if seq in th.writes:
            return super().wait_event(name, timeout_s)      # replayed from the checkpoint
        inst = self.inst
        env = self.env
        self.seq = seq
        inst.attempts[seq] = inst.attempts.get(seq, 0) + 1
        if seq in th.resume:
            value = th.resume.pop(seq)
            self._note(seq, "command-resume", {"name": name, "value": value})
            self.record_step(seq, "wait", name, value)
            inst.done_steps.add(seq)
            return _ready(env, value)
        now = env.now
        deadline = inst.waits.setdefault(seq, now) + timeout_s
        end, payload = deadline, None
        arrival = self.run.signals.get(name)
        if arrival is not None and arrival[0] <= deadline:
            end, payload = max(now, arrival[0]), arrival[1]
        rerun = list(self._group_seqs)
        node = self._group[0] if self._group else name
        inst.extra["interrupts"] = inst.extra.get("interrupts", 0) + 1
        inst.extra["interrupt_reruns"] = inst.extra.get("interrupt_reruns", 0) + len(rerun)
        self._note(seq, "interrupt", {"name": name, "node": node, "reruns": len(rerun)})
        # The graph exits here: finished nodes are saved, the interrupted node's own writes are not.
        for s in rerun:
            th.writes.pop(s, None)
        self._group_seqs = []
        th.persist_all(now, collapse=self.mode == "exit")
        self._log_checkpoints(now)
        out = env.event()
        timer = env.timeout(end - now)
        if rerun:
            th.resume[seq] = payload
            timer.callbacks.append(lambda _t: out.fail(_Resume("Command(resume)", seq)))
        else:
            def resumed(_t):
                self._note(seq, "command-resume", {"name": name, "value": payload})
                self.record_step(seq, "wait", name, payload)
                inst.done_steps.add(seq)
                out.succeed(payload)
            timer.callbacks.append(resumed)
        return out

    def sleep(self, name: str, seconds: float) -> Event:
        """A plain sleep inside a node: LangGraph has no durable timer, so a re-run sleeps in full."""
        self.inst.timers.pop(self.seq + 1, None)
        return super().sleep(name, seconds)

    # ------------------------------------------------------------------ checkpointer
    def _landed(self) -> float:
        """When a write issued now reaches the DB (INF: never, or not before the graph exits)."""
        now = self.env.now
        mode = self.mode
        if mode == "sync":
            return now
        if mode == "exit":
            return INF
        plan = self.plan
        if plan.has_outages and plan.down_until(self.store, now) is not None:
            return INF                  # the background write fails; invoke() raises at the end
        # The background writer puts checkpoints one after another, so none lands before the one before it.
        return max(now + draw_write_s(self.writes_rng, self.cfg), self.thread.last_landing())

    def _write_failed(self, seq: int, landed: float) -> None:
        """Note a failed background write, or let a write that lands cover the ones that failed.

        A checkpoint is the whole state, so once a later one lands the earlier nodes' outputs
        are durable too (their own checkpoints stay lost).
        """
        if landed == INF:
            if self.failed_write is None:
                self.failed_write = seq
                self._note(seq, "write-failed", {"layer": "langgraph", "durability": self.mode,
                                                 "raised": "when the graph finishes"})
            return
        if self.failed_write is not None:
            self.thread.cover_failed(landed)

    def raise_failed_write(self) -> None:
        """The graph finished: a background write that failed makes ``invoke()`` raise now."""
        if self.failed_write is not None:
            # LangGraph waits for the writes in flight before it raises the one that failed.
            self.thread.flush(self.env.now)
            raise WorkerCrash("checkpoint write failed", self.failed_write, "store-unavailable")

    def lookup_step(self, seq: int, kind: str, name: str):
        w = self.thread.writes.get(seq)
        if w is None:
            self.replaying = False
            return MISSING
        return self.replay_step(seq, kind, name, w[2], **{"from": "checkpoint", "layer": "langgraph"})

    def record_step(self, seq: int, kind: str, name: str, value) -> None:
        if isinstance(value, ActivityError):
            return                      # a node that raised is not saved: it runs again on resume
        th = self.thread
        if self._group is not None:
            th.writes[seq] = [kind, name, value, INF]     # in memory until the node ends
            self._group_seqs.append(seq)
            return
        landed = self._landed()
        th.writes[seq] = [kind, name, value, landed]
        if self.mode == "async" and (landed == INF or self.failed_write is not None):
            self._write_failed(seq, landed)     # (the test skips a call on every write that lands)
        if seq not in self._parallel:
            self._checkpoint(seq, (name,), landed)

    def _checkpoint(self, last_seq: int, nodes: tuple, landed: float | None = None) -> None:
        """A checkpoint after step ``last_seq``; ``landed`` as `_landed` gives it (worked out when None)."""
        self.thread.add(last_seq, nodes, self._landed() if landed is None else landed)
        self.thread.log(self.env.now, self.inst, self.history, self.mode)

    def _end_group(self) -> None:
        if self._group is None:
            return
        if self._group_seqs:
            landed = self._landed()
            for s in self._group_seqs:
                self.thread.writes[s][3] = landed
            if self.mode == "async":
                self._write_failed(max(self._group_seqs), landed)
            self._checkpoint(max(self._group_seqs), (self._group[0],), landed)
        self._group = None
        self._group_seqs = []

    def _superstep_done(self, seqs: list, names: tuple) -> None:
        self._parallel.difference_update(seqs)
        self._checkpoint(max(seqs), names)

    def _log_checkpoints(self, upto: float) -> None:
        self.thread.log(upto, self.inst, self.history, self.mode)

    def _note(self, seq, event: str, detail: dict) -> None:
        if self.history is not None:
            self.history.append(Record(self.env.now, self.workflow_id, seq, self.inst.attempts.get(seq, 1), "info",
                                     self.worker, event, detail))

    def _rewind(self) -> None:
        """Start the workflow code again from the top (after ``Command(resume)``)."""
        self.seq = 0
        self._group = None
        self._group_seqs = []
        self._parallel = set()
        self.replaying = False


class _SuperStep(Event):
    """All nodes of one super-step; fails as soon as one fails, cutting off the rest of the process."""

    def __init__(self, ctx: LangGraphContext, events: list, seqs: list):
        super().__init__(ctx.env)
        self._ctx = ctx
        self._events = events
        self._seqs = seqs
        self._values = [None] * len(events)
        self._left = len(events)
        self._hooks = []
        if not events:
            self.succeed([])
            return
        for i, ev in enumerate(events):
            hook = partial(self._child, i)
            self._hooks.append(hook)
            ev.callbacks.append(hook)

    def _child(self, i: int, ev: Event) -> None:
        if self.triggered:
            return
        if ev.ok:
            self._values[i] = ev.value
            self._left -= 1
            if self._left == 0:
                names = tuple(w[1] for w in (self._ctx.thread.writes.get(s) for s in self._seqs) if w)
                self._ctx._superstep_done(self._seqs, names)
                self.succeed(self._values)
            return
        ev.defused = True
        self._cut_off(self._ctx.env.now)
        self.fail(ev.value)  # type: ignore[arg-type]  # a failed event holds its exception

    def _cut_off(self, dead_at: float) -> None:
        """The process died (or a node raised): siblings still running never finish."""
        ctx = self._ctx
        for ev, hook in zip(self._events, self._hooks):
            if ev.callbacks is None:
                continue                                  # already processed
            ev.callbacks.remove(hook)
            ev.defused = True
            ev.callbacks[:] = [partial(_killed, cb, dead_at, ctx) for cb in ev.callbacks]


def _killed(done, dead_at: float, ctx, ev) -> None:
    """Apply what a sibling step managed to do before the process died at ``dead_at``."""
    t0, t_eff, t_rec = getattr(done, "t0", None), getattr(done, "t_eff", None), getattr(done, "t_rec", None)
    if t_eff is None or t0 is None:
        return
    if t_rec is not None and t_rec <= dead_at:
        done(ev)
        return
    if t_eff <= dead_at:
        done.t_rec = None                   # the effect happened, its write never did
        done.crash = True
        done(ev)
        return
    # Still running when the process died: only the time spent so far was used.
    ctx.inst.exec_time -= t_eff - max(dead_at, t0)
    if getattr(done, "kind", None) == "llm" and t_eff > t0:
        ctx.bill_lost_llm(done.seq, ctx.run.llm.cfg.mean_cost_usd * max(0.0, dead_at - t0) / (t_eff - t0),
                          whole=False)


@dataclass
class LangGraphRunState:
    """Per run: the scenario as the learner wrote it (the run itself holds it wrapped as a graph).

    Attributes:
        scenario: the unwrapped scenario, which time travel re-runs from a checkpoint.
    """

    scenario: Scenario


@dataclass
class LangGraphState:
    """What survives between invocations of one workflow instance: its thread (checkpoints, writes)."""

    thread: Thread = field(default_factory=Thread)


class LangGraph(EngineModel[LangGraphConfig]):
    """LangGraph with a checkpointer; resumes only when a supervisor invokes the thread again."""

    name = "langgraph"
    title = "LangGraph persistence"
    family = "workflow-as-code"
    state_location = "the checkpointer DB (SQLite/Postgres), one checkpoint per super-step, keyed by thread_id"
    guarantees = frozenset({"duplicates-only-after-effect"})
    context_class = LangGraphContext
    config_class = LangGraphConfig
    instance_state_class = LangGraphState
    components = (
        Component("app", "your application process (runs the graph; LangGraph is a library in it)", False, NOTHING,
                  "stateless between super-steps, but nothing re-invokes the graph after it dies"),
        Component("checkpointer", "checkpointer DB (checkpoints and pending writes per thread_id)", True, FAIL,
                  "a failed write raises inside invoke() (in async mode only when the graph finishes); "
                  "the run can resume from the last checkpoint"),
    )

    fork: tuple[str, Thread] | None = None   # (workflow id, thread) a time-travel run starts from

    def starting_from(self, workflow_id: str, thread: Thread) -> "LangGraph":
        """A copy of this model whose run of ``workflow_id`` resumes ``thread`` (a forked checkpoint history)."""
        m = self.with_config()
        m.fork = (workflow_id, thread)
        return m

    def new_run_state(self, run):
        # The Pregel loop restarts an interrupted node; wrapping the workflow lets Command(resume) do that.
        sc = run.scenario
        run.scenario = _as_graph(sc)
        fork = self.fork
        if fork is not None:
            wid, thread = fork
            for inst in run.instances:
                if inst.id == wid:
                    inst.state.thread = thread
                    if run.history is not None:
                        run.history.append(Record(0.0, wid, None, 0, "info", "checkpointer", "fork",
                                                  {"from_checkpoint": thread.newest()}))
        return LangGraphRunState(sc)

    def context(self, run, inst, worker: str) -> LangGraphContext:
        return self.context_class(run, inst, worker, self.config)

    def recovery_delay(self, run, inst, ctx, crash: WorkerCrash) -> float | None:
        ctx.thread.lose(run.env.now, inst, run.history, ctx.worker, ctx.mode)
        failure = "checkpoint write failed: checkpointer DB unavailable" if crash.point == "store-unavailable" \
            else f"process crash at step {crash.step} ({crash.point})"
        sup = self.config.supervisor_restart_s
        if sup is None:
            if crash.point == "store-unavailable":
                inst.error = "CheckpointWriteError: the checkpointer DB was unavailable; invoke() raised"
            ctx._note(None, "recovery", {"layer": "langgraph", "failure": failure,
                                         "by": "nobody: no supervisor invokes the thread again"})
            return None
        delay = max(sup, self.worker_back_in(run), self._store_wait(run, ctx, crash))
        newest = ctx.thread.newest()
        if self.config.resume_with == "input":
            how = "supervisor invokes the same thread_id with the input again: a new run from START"
        elif newest is None:
            how = "supervisor calls invoke(None) on the same thread_id: no checkpoint, EmptyInputError"
        else:
            how = f"supervisor calls invoke(None) on the same thread_id; resumes from checkpoint {newest}"
        ctx._note(None, "recovery", {"layer": "langgraph", "failure": failure, "by": how,
                                     "after_s": round(delay, 6)})
        return delay

    def on_complete(self, run, inst, ctx) -> None:
        ctx._end_group()
        ctx.thread.persist_all(run.env.now, collapse=ctx.mode == "exit")
        ctx._log_checkpoints(run.env.now)
