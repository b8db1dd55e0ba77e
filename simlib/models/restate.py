"""Restate: a journal per invocation on the Restate server; handlers replay it after a crash.

Your service is a set of stateless handlers that run anywhere (containers,
serverless functions); the Restate server (one binary, a replicated cluster, or
Restate Cloud: log, journals and key-value state) is a central service that many
services register with and that invokes their handlers. Every context operation
(``ctx.run``, a call, ``ctx.sleep``, an awakeable) becomes a journal entry, and
a ``ctx.run`` result is persisted before the handler is allowed to continue, so
the window in which a crash repeats a side effect is one short round trip. When
the connection to the service breaks, the server notices at once and invokes
the handler again with the journal; the handler replays it, skipping finished
actions. A ``ctx.run`` whose result never reached the journal runs again (its
closure is at-least-once). Replayed code that issues a different operation than
the journal holds fails with error RT0016 (journal mismatch).

Retries follow the invocation retry policy of Restate 1.6+: 500 ms, doubling,
at most 1 min apart, 70 attempts in all, then the invocation is *paused* until
someone resumes it. Attempts are counted for the whole invocation (the server's
retry iterator is not reset by progress); each attempt that fails, whether the
handler crashed, a ``ctx.run`` raised, or the deployment refused the
connection while restarting, uses one.

Virtual objects run one exclusive handler per key: an invocation for a busy key
waits in the server's per-key queue. A workflow takes part when its parameters
include the key (``object_key`` by default, see `RestateConfig.key_param`); its
wait is written to the history as a ``queued`` record and to
``inst.extra["queued_s"]``. The key stays locked while its invocation retries or
is paused, and is freed only when the invocation ends.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..core.context import Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, NondeterminismError, WorkerCrash
from ..core.history import Record
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig

__all__ = ["Restate", "RestateConfig", "RestateContext", "OBJECT_KEY_PARAM"]

OBJECT_KEY_PARAM = "object_key"


@dataclass(frozen=True)
class RestateConfig(ModelConfig):
    """Restate settings (defaults of the server's invocation retry policy, v1.6+).

    Attributes:
        initial_interval_s: wait before the first retry (500 ms).
        exponentiation_factor: growth of each further wait (2.0).
        max_interval_s: cap on one wait (1 min).
        max_attempts: attempts before the invocation is paused (70; 0 = retry forever, as
            servers before 1.6 did).
        journal_ack_s: seconds for the server to persist a ``ctx.run`` result and acknowledge
            it; a crash inside this window runs the closure again.
        key_param: the workflow parameter holding a virtual object's key (instances without
            it run as plain services, with no lock).
    """

    initial_interval_s: float = 0.5
    exponentiation_factor: float = 2.0
    max_interval_s: float = 60.0
    max_attempts: int = 70
    journal_ack_s: float = 0.01
    key_param: str = OBJECT_KEY_PARAM

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigError(f"RestateConfig.max_attempts must be a whole number >= 0, got {self.max_attempts!r}")
        if not isinstance(self.key_param, str) or not self.key_param:
            raise ConfigError(f"RestateConfig.key_param must be a parameter name, got {self.key_param!r}")

    def policy(self) -> RetryPolicy:
        """The invocation retry policy as a `RetryPolicy`."""
        return RetryPolicy(self.initial_interval_s, self.exponentiation_factor, self.max_interval_s,
                           self.max_attempts)


class _InvocationRetry:
    """The retry policy seen by ``ctx.run``: attempts belong to the invocation, not to one step.

    ``inst.state.attempt`` is the number of the invocation's current attempt (1 = the
    first). `delay` is asked once per failed attempt and returns the wait before the next,
    or None when the policy has no attempt left.
    """

    __slots__ = ("policy", "inst", "exhausted")

    def __init__(self, policy: RetryPolicy, inst):
        self.policy = policy
        self.inst = inst
        self.exhausted = False

    def delay(self, step_attempt: int) -> float | None:
        n = self.inst.state.attempt
        wait = self.policy.delay(n)
        if wait is None:
            self.exhausted = True
            return None
        self.inst.state.attempt = n + 1
        return wait


class RestateContext(Context):
    """A handler's context: one journal entry per operation, replayed after a crash."""

    __slots__ = ("retry", "record_latency_s")
    retry: _InvocationRetry
    durable = True
    store = "server"
    outage = "stall"
    gate_start = True          # journal entries go through the server
    check_determinism = True

    def __init__(self, run, inst, worker: str, retry: _InvocationRetry, journal_ack_s: float):
        super().__init__(run, inst, worker)
        self.retry = retry
        self.record_latency_s = journal_ack_s

    def lookup_step(self, seq: int, kind: str, name: str):
        try:
            return super().lookup_step(seq, kind, name)
        except NondeterminismError as e:
            raise NondeterminismError(f"RT0016 journal mismatch: {e}") from None

    def execute_step(self, seq, kind, name, latency, action, fail_p):
        ev = super().execute_step(seq, kind, name, latency, action, fail_p)
        if self.retry.exhausted and not ev.ok and isinstance(ev.value, ActivityError):
            # Out of attempts: Restate pauses the invocation instead of failing it. The
            # handler never gets an answer, and a virtual object's key stays locked.
            self.retry.exhausted = False
            ev.defused = True
            ev.callbacks.append(lambda e: _pause(self.run, self.inst, seq, self.inst.state.attempt,
                                                 f"ctx.run {name!r} kept failing"))
            return self.env.event()
        return ev


def _pause(run, inst, step, attempts: int, why: str) -> None:
    inst.stalled = (f"paused: {why}; the invocation used all {attempts} attempts of its retry policy "
                    f"and waits for someone to resume it")
    if run.history is not None:
        run.history.append(Record(run.env.now, inst.id, step, attempts, "info", "server", "paused",
                                  {"attempts": attempts, "reason": why}))


@dataclass
class RestateState:
    """Per invocation: the number of its current attempt (1 = the first)."""

    attempt: int = 1


class Restate(EngineModel[RestateConfig]):
    """Restate with one service deployment by default (set ``workers=2`` for a second replica)."""

    name = "restate"
    title = "Restate"
    family = "workflow-as-code"
    state_location = "the Restate server's per-invocation journal and key-value state; the service is stateless"
    context_class = RestateContext
    guarantees = frozenset({"keeps-finished-steps", "duplicates-only-after-effect"})
    config_class = RestateConfig
    instance_state_class = RestateState
    components = (
        Component("service", "your service: stateless handlers behind the Restate SDK", False, NOTHING,
                  "a crash breaks the connection; the server retries the invocation and the handler "
                  "replays its journal"),
        Component("server", "Restate server (log, journal and key-value state in one binary)", True, STALL,
                  "holds every journal and drives every invocation; while it is down work stalls, "
                  "nothing is lost"),
    )

    def __init__(self, **config):
        super().__init__(**config)
        self._policy = self.config.policy()

    def with_config(self, **changes) -> "Restate":
        m = super().with_config(**changes)
        m._policy = m.config.policy()
        return m

    def new_run_state(self, run) -> dict:
        return {"holder": {}, "queue": {}}

    def context(self, run, inst, worker: str) -> Context:
        return RestateContext(run, inst, worker, _InvocationRetry(self._policy, inst), self.config.journal_ack_s)

    # ------------------------------------------------------------------ crashes
    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        """The server retries at once on a broken connection, on the retry policy's schedule.

        The first retry comes 500 ms after the crash. While the service deployment is still
        restarting each retry fails to connect and uses an attempt, so a single deployment
        that takes 5 s to restart is reached on the retry at 7.5 s (0.5 + 1 + 2 + 4). While
        the server itself is down nothing is attempted. A crash while the invocation was
        suspended (a durable sleep or an awakeable) uses no attempt: nothing was running.
        """
        now = run.env.now
        back_in = now + self.worker_back_in(run)
        infl = ctx.inflight
        if infl is not None and infl[3] in ("timer", "wait") and crash.point == "mid-step":
            return self._after_outage(run, back_in) - now
        policy = self._policy
        state: RestateState = inst.state
        t = now
        while True:
            n = state.attempt
            wait = policy.delay(n)
            if wait is None:
                ev = run.env.timeout(t - now)
                ev.callbacks.append(lambda _e, n=n: _pause(run, inst, crash.step, n, "the handler kept crashing"))
                return t - now
            state.attempt = n + 1
            t = self._after_outage(run, t + wait)
            if t >= back_in:
                return t - now
            if run.history is not None:
                run.history.append(Record(t, inst.id, None, n + 1, "info", "server", "attempt-failed",
                                          {"error": "service deployment unreachable"}))

    def _after_outage(self, run, t: float) -> float:
        back = run.plan.down_until(self.context_class.store, t)
        return t if back is None else back

    # ------------------------------------------------------------------ virtual objects
    def admission(self, run, inst):
        """Queue an invocation behind the one holding its virtual object's key."""
        key = inst.params.get(self.config.key_param)
        if key is None:
            return None
        holder = run.model_state["holder"]
        if holder.get(key) in (None, inst.id):
            holder[key] = inst.id
            return None
        gate = run.env.event()
        queue = run.model_state["queue"].setdefault(key, deque())
        ahead = queue[-1][0].id if queue else holder[key]
        detail = {"key": key, "behind": ahead, "waited_s": None}
        queue.append((inst, gate, run.env.now, detail))
        if run.history is not None:
            # waited_s is filled in when the key is granted (it stays null if it never is).
            run.history.append(Record(run.env.now, inst.id, None, 0, "info", "server", "queued", detail))
        return gate

    def release(self, run, inst) -> None:
        key = inst.params.get(self.config.key_param)
        if key is None:
            return
        # The engine reports the outcome right after this call; look once it has.
        ev = run.env.timeout(0)
        ev.callbacks.append(lambda _e: self._unlock_if_done(run, inst, key))

    def _unlock_if_done(self, run, inst, key) -> None:
        if not (inst.finished or inst.error):
            return   # crashed (will retry), paused or stuck on RT0016: the key stays locked
        holder = run.model_state["holder"]
        queue = run.model_state["queue"].get(key)
        holder[key] = None
        if queue:
            nxt, gate, since, detail = queue.popleft()
            holder[key] = nxt.id
            waited = run.env.now - since
            nxt.extra["queued_s"] = nxt.extra.get("queued_s", 0.0) + waited
            detail["waited_s"] = round(waited, 6)
            gate.succeed()
