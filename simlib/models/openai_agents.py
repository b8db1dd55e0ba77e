"""The OpenAI Agents SDK on its own: a session that saves each finished turn, and nothing else.

``Runner.run(agent, input, session=session)`` drives the agent loop in your
process. Here a **turn** is one LLM call plus every step it led to (tool calls,
waits) up to the next LLM call; steps before the first LLM call belong to the
run's opening turn. The session saves a turn's items when the turn is over,
i.e. just before the next LLM call starts or when the run ends. Nothing is
written while a turn is in flight.

After a crash nothing resumes by itself; ``supervisor_restart_s`` models the
code that calls ``Runner.run`` again with the same session (None: nobody does,
the run stays stopped). The new run sees the saved turns and repeats the turn
that was in flight from its LLM call, tool calls included, and the fake model
may answer differently this time. Where the session lives decides how much
survives (``session_store``):

* ``"memory"`` (``SQLiteSession`` with its default ``":memory:"`` database,
  the default here): the session dies with the process, so a re-run starts
  from nothing;
* ``"sqlite"`` (a file on disk): saved turns survive;
* ``"server"`` (OpenAI's conversation state): saved turns survive; while the
  service is down, saving a turn raises and the run errors.

A ``ctx.wait_event`` is a tool call that ``needs_approval``: the run stops with
an interruption, and your code saves ``result.to_state()``, a **RunState**
holding every item of the run so far, the drafted tool call included
(``save_run_state``). The process may then end. When the decision arrives,
your approval handler loads the state, approves or rejects, and calls
``Runner.run(agent, state)``: the run goes on from the interruption, so the
model call that drafted the tool call is not made again. A crash while a run
is paused therefore costs nothing; with ``save_run_state=False`` (the state
kept only in process memory) the paused run dies with the process.

No retries by default (the SDK's Runner retries are opt-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simpy.events import Event

from ..core.context import MISSING, Context
from ..core.errors import ConfigError, WorkerCrash
from ..core.history import Record
from ..core.stores import Component, FAIL, LOSE, NOTHING
from .base import EngineModel, ModelConfig
from .params import param

__all__ = ["OpenAIAgents", "OpenAIAgentsConfig", "AgentsContext", "RunState", "SESSION_STORES"]

SESSION_STORES = ("memory", "sqlite", "server")


@dataclass(frozen=True)
class OpenAIAgentsConfig(ModelConfig):
    """Agents SDK settings.

    Attributes:
        session_store: ``"memory"`` (default), ``"sqlite"`` or ``"server"``.
        supervisor_restart_s: seconds after a crash until your code calls ``Runner.run``
            again with the same session; None (default) = never.
        save_run_state: your code saves the paused run's ``RunState`` where it survives the
            process (True, the SDK's approval pattern) or keeps it in memory (False).
        approval_handler_s: seconds from a decision arriving until your handler calls
            ``Runner.run(agent, state)`` on the saved state.
    """

    session_store: str = param(
        "memory", kind="code", choices=SESSION_STORES,
        source="openai/openai-agents-python:src/agents/memory/sqlite_session.py SQLiteSession(session_id, "
        "db_path=\":memory:\"): the default session lives in the process's memory")
    supervisor_restart_s: float | None = param(
        None, kind="assumption", source="nobody restarts a run by default: the SDK has no automatic recovery "
        "(openai/openai-agents-python docs/running_agents.md; a new Runner.run is your code's job)")
    save_run_state: bool = param(
        True, kind="docs", source="openai/openai-agents-python docs/human_in_the_loop.md: save result.to_state() "
        "(RunState.to_string) and resume later with RunState.from_string, even in another process")
    approval_handler_s: float = param(
        0.0, kind="assumption", source="your approval handler resumes the run as soon as the decision "
        "arrives (openai/openai-agents-python docs/human_in_the_loop.md: RunState.from_string, approve, "
        "Runner.run(agent, state)); no engine delay is involved")

    def __post_init__(self):
        super().__post_init__()
        if self.session_store not in SESSION_STORES:
            raise ConfigError(f"unknown session_store {self.session_store!r}; allowed: {', '.join(SESSION_STORES)}")
        s = self.supervisor_restart_s
        if s is not None and (isinstance(s, bool) or not isinstance(s, (int, float))):
            raise ConfigError(f"supervisor_restart_s must be a number >= 0 or None, got {s!r}")
        if not isinstance(self.save_run_state, bool):
            raise ConfigError(f"save_run_state must be True or False, got {self.save_run_state!r}")


class Session:
    """The session's saved items: step -> (kind, name, value), a whole turn at a time."""

    __slots__ = ("items", "turns")

    def __init__(self):
        self.items: dict = {}
        self.turns = 0


class RunState:
    """A run paused for a human decision, as ``result.to_state()`` serializes it.

    Attributes:
        items: step -> (kind, name, value) of every item the run had produced, saved turns and
            the turn in flight alike (the drafted tool call among them).
        step: the paused step (the tool call waiting for approval).
        name: its name.
        decided_at: when the decision arrives (or the wait times out), simulated seconds.
        decision: the decision's payload (None: timed out).
    """

    __slots__ = ("items", "step", "name", "decided_at", "decision")

    def __init__(self, items: dict, step: int, name: str, decided_at: float, decision: Any):
        self.items = items
        self.step = step
        self.name = name
        self.decided_at = decided_at
        self.decision = decision


class AgentsContext(Context):
    """Steps run in the process; only finished turns reach the session; a pause saves a `RunState`."""

    __slots__ = ("session", "store_kind", "_turn")
    durable = False          # no per-step record: the session is written once per turn
    store = "session"
    outage = "fail"
    check_determinism = False

    def __init__(self, run, inst, worker: str, cfg: OpenAIAgentsConfig | None = None):
        super().__init__(run, inst, worker)
        self.store_kind = (cfg or OpenAIAgentsConfig()).session_store
        self.session: Session = inst.state.session
        self._turn: list = []          # items of the turn in flight (process memory only)

    def llm(self, name: str, prompt: str = "", choices=None, mean_latency_s: float | None = None) -> Event:
        seq = self.seq + 1
        if seq not in self.session.items and self._turn:
            failed = self._save_turn(seq)
            if failed is not None:
                return failed
        return super().llm(name, prompt, choices, mean_latency_s)

    def _save_turn(self, seq: int | None) -> Event | None:
        """Write the finished turn's items to the session (None), or the failed write's event."""
        env = self.env
        if self.store_kind == "server" and self.plan.has_outages and \
                self.plan.down_until(self.store, env.now) is not None:
            self.seq = seq or self.seq
            return env.event().fail(WorkerCrash("crash", seq, "store-unavailable"))
        ses = self.session
        ses.turns += 1
        for s, kind, name, value in self._turn:
            ses.items[s] = (kind, name, value)
        if self.history is not None:
            self.history.append(Record(env.now, self.workflow_id, self._turn[-1][0], 0, "info", "session", "turn-saved",
                                     {"turn": ses.turns, "items": len(self._turn), "store": self.store_kind}))
        self._turn = []
        return None

    def execute_step(self, seq, kind, name, latency, action, fail_p):
        if kind == "wait":
            # The run stops with an interruption; your code saves result.to_state().
            items = dict(self.session.items)
            items.update((s, (k, n, v)) for s, k, n, v in self._turn)
            self.inst.state.run_state = RunState(items, seq, name, self.env.now + latency, action[1])
            if self.history is not None:
                self.history.append(Record(self.env.now, self.workflow_id, seq, 0, "info", "app", "run-state-saved",
                                           {"items": len(items), "interruption": name}))
        return super().execute_step(seq, kind, name, latency, action, fail_p)

    def lookup_step(self, seq: int, kind: str, name: str):
        item = self.session.items.get(seq)
        if item is not None:
            return self.replay_step(seq, kind, name, item[2], **{"from": "session", "layer": "openai-agents"})
        paused: RunState | None = self.inst.state.run_state
        if paused is not None and seq in paused.items:
            # Runner.run(agent, state): the state's items are the resumed run's own, not re-made.
            value = paused.items[seq][2]
            self._turn.append((seq, kind, name, value))
            return self.replay_step(seq, kind, name, value, **{"from": "run-state", "layer": "openai-agents"})
        if paused is not None and seq == paused.step and self.env.now >= paused.decided_at:
            # The approval handler applied the decision to the state before resuming.
            self._turn.append((seq, kind, name, paused.decision))
            self.inst.state.run_state = None
            return self.replay_step(seq, kind, name, paused.decision,
                                    **{"from": "run-state", "layer": "openai-agents"})
        self.replaying = False
        return MISSING

    def record_step(self, seq: int, kind: str, name: str, value) -> None:
        self._turn.append((seq, kind, name, value))
        paused = self.inst.state.run_state
        if paused is not None and seq == paused.step:
            self.inst.state.run_state = None     # the decision came in while the process was alive


@dataclass
class AgentsState:
    """What the session store keeps for one workflow instance."""

    session: Session = field(default_factory=Session)
    run_state: RunState | None = None


class OpenAIAgents(EngineModel[OpenAIAgentsConfig]):
    """The Agents SDK alone: per-turn session saves, no automatic recovery."""

    name = "openai-agents"
    title = "OpenAI Agents SDK (sessions)"
    family = "agent-runtime"
    state_location = "the session store, one save per finished turn (in memory by default: lost with the process)"
    guarantees = frozenset({"duplicates-only-after-effect"})
    context_class = AgentsContext
    config_class = OpenAIAgentsConfig
    instance_state_class = AgentsState
    components = (
        Component("app", "your process running Runner.run (the agent loop and its tools)", True, LOSE,
                  "the turn in flight lives here, and with the default in-memory session so does every saved turn"),
        Component("session", "session store (SQLite, Redis, or OpenAI's conversation state)", False, FAIL,
                  "saved turns survive a crash unless the session is in memory; a failed save makes the run error"),
        Component("openai", "OpenAI API (model calls)", False, NOTHING,
                  "a call cut off by a crash is simply made again, possibly with a different answer"),
    )

    def context(self, run, inst, worker: str) -> AgentsContext:
        return self.context_class(run, inst, worker, self.config)

    def recovery_delay(self, run, inst, ctx, crash: WorkerCrash) -> float | None:
        paused: RunState | None = inst.state.run_state
        if paused is not None and not self.config.save_run_state:
            inst.state.run_state = paused = None        # it lived in the process's memory
        ses = ctx.session
        lost_turn = len(ctx._turn)
        if ctx.store_kind == "memory" and ses.items:
            if run.history is not None:
                run.history.append(Record(run.env.now, inst.id, None, 0, "info", "session", "session-lost",
                                          {"turns": ses.turns, "store": "memory"}))
            ses.items.clear()
            ses.turns = 0
        failure = "session save failed: the session store was unavailable" if crash.point == "store-unavailable" \
            else f"process crash at step {crash.step} ({crash.point}) with {lost_turn} step(s) of the turn done"
        sup = self.config.supervisor_restart_s
        if paused is not None:
            delay = max(paused.decided_at - run.env.now + self.config.approval_handler_s, self.worker_back_in(run))
            by = ("your approval handler: RunState.from_string, the decision, Runner.run(agent, state); "
                  "nothing before the interruption runs again")
        elif sup is None:
            by, delay = "nobody: Runner.run is not called again", None
        else:
            delay = max(sup, self.worker_back_in(run), self._store_wait(run, ctx, crash))
            by = (f"supervisor calls Runner.run again on the same session ({ses.turns} saved turn(s)); "
                  "the in-flight turn repeats")
        if run.history is not None:
            detail: dict[str, Any] = {"layer": "openai-agents", "failure": failure, "by": by}
            if delay is not None:
                detail["after_s"] = round(delay, 6)
            run.history.append(Record(run.env.now, inst.id, None, 0, "info", ctx.worker, "recovery", detail))
        return delay

    def on_complete(self, run, inst, ctx) -> None:
        if ctx._turn:
            ctx._save_turn(None)
