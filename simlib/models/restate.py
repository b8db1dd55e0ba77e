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
someone resumes it. Every wait gets jitter, as the server's retry iterator adds
it: a uniform extra of 3 ms up to 30 % of the interval, drawn here from the
run's own random stream (``"restate-retry-jitter"``), so a seed replays it. The
interval itself grows from the un-jittered one. Attempts are counted for the
whole invocation (the server's retry iterator is not reset by progress); each
attempt that fails, whether the handler crashed, a ``ctx.run`` raised, or the
deployment refused the connection while restarting, uses one.

The retry iterator lives in the server's memory. When the server restarts
(an outage of ``"server"``), a pending retry timer is lost: shortly after it is
back (``server_resume_s``, measured) the restarted server invokes the handler
again with a fresh iterator, so the retry count starts over at 1, and so do
the backoff intervals and the 70 attempts.

Virtual objects run one exclusive handler per key: an invocation for a busy key
waits in the server's per-key queue. A workflow takes part when its parameters
include the key (``object_key`` by default, see `RestateConfig.key_param`); its
wait is written to the history as a ``queued`` record and to
``inst.extra["queued_s"]``. The key stays locked while its invocation retries or
is paused, and is freed only when the invocation ends.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from ..core.context import Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, NondeterminismError, WorkerCrash
from ..core.history import Record
from ..core.rng import RunRandom
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig
from .params import ASSUMED_RECORD_S, RECORD_S_SOURCE, param

__all__ = ["Restate", "RestateConfig", "RestateContext", "JitteredBackoff", "OBJECT_KEY_PARAM"]

OBJECT_KEY_PARAM = "object_key"
JITTER_STREAM = "restate-retry-jitter"   # the run's random stream the retry jitter is drawn from


_SRC = "restatedev/restate@v1.7.6:"
_POLICY = _SRC + "crates/types/src/config/invocation.rs (InvocationRetryPolicyOptions::default"
_JITTER = (_SRC + "crates/types/src/retries.rs (DEFAULT_JITTER_MULTIPLIER = 0.3; RetryIter::next adds "
           "add_jitter(0.3) to every interval, which grows from the un-jittered one)")


@dataclass(frozen=True)
class RestateConfig(ModelConfig):
    """Restate settings (defaults of the server's invocation retry policy, v1.6+).

    Attributes:
        initial_interval_s: wait before the first retry (500 ms).
        exponentiation_factor: growth of each further wait (2.0).
        max_interval_s: cap on one wait before jitter (1 min).
        max_attempts: attempts before the invocation is paused (70; 0 = retry forever, as
            servers before 1.6 did).
        jitter_multiplier: each wait gets a uniform extra of ``min_jitter_s`` up to this share
            of the interval (0.3); 0 turns jitter off, which the real server never does.
        min_jitter_s: the smallest extra (3 ms); when ``jitter_multiplier`` times the interval
            is no more than this, the extra is exactly this.
        server_resume_s: seconds from a restarted server being reachable until it invokes the
            handlers it was retrying again (its retry count back at 1).
        journal_ack_s: seconds for the server to persist a ``ctx.run`` result and acknowledge
            it; a crash inside this window runs the closure again. No source gives it: the
            course's one assumed record delay for every engine.
        key_param: the workflow parameter holding a virtual object's key (instances without
            it run as plain services, with no lock).
    """

    BOUNDS: ClassVar[dict[str, str]] = {**ModelConfig.BOUNDS, "jitter_multiplier": "between 0 and 1"}

    initial_interval_s: float = param(0.5, kind="code", source=_POLICY + ": initial_interval 500 ms)")
    exponentiation_factor: float = param(2.0, kind="code", source=_POLICY + ": exponentiation_factor 2.0)")
    max_interval_s: float = param(60.0, kind="code", source=_POLICY + ": max_interval 60 s)")
    max_attempts: int = param(70, kind="code", source=_POLICY + ": MaxAttempts::Bounded(70), on_max_attempts "
                                                                "Pause)")
    jitter_multiplier: float = param(0.3, kind="code", source=_JITTER)
    min_jitter_s: float = param(0.003, kind="code", source=_SRC + "util/time/src/duration.rs (add_jitter: "
                                "MIN_JITTER 3 ms; extra uniform in [3 ms, multiplier x interval])")
    server_resume_s: float = param(0.6, kind="measured", source=(
        "conformance row 'server killed too' (Restate 1.7.12 on 2 cores): sys_invocation shows the restarted "
        "server's first attempt, retry_count 1, 0.45-0.85 s after its admin and ingress ports open"))
    journal_ack_s: float = param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)
    key_param: str = param(
        OBJECT_KEY_PARAM, kind="assumption",
        source="the course's scenarios carry a virtual object's key in this workflow parameter; in Restate the key "
        "is part of the call's address (/MyObject/{key}/handler), so this is a naming choice, not an engine fact")

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigError(f"RestateConfig.max_attempts must be a whole number >= 0, got {self.max_attempts!r}")
        if not isinstance(self.key_param, str) or not self.key_param:
            raise ConfigError(f"RestateConfig.key_param must be a parameter name, got {self.key_param!r}")

    def policy(self) -> RetryPolicy:
        """The invocation retry policy as a `RetryPolicy` (the un-jittered intervals)."""
        return RetryPolicy(self.initial_interval_s, self.exponentiation_factor, self.max_interval_s,
                           self.max_attempts)


class JitteredBackoff:
    """The server's retry iterator: the policy's interval plus a random extra, drawn from the run.

    Args:
        policy: the un-jittered intervals and the attempt limit.
        multiplier: the largest extra as a share of the interval (0 = no jitter).
        floor_s: the smallest extra.
        rng: the run's generator; the extras come from its ``"restate-retry-jitter"`` stream.
    """

    __slots__ = ("policy", "multiplier", "floor_s", "rng")

    def __init__(self, policy: RetryPolicy, multiplier: float, floor_s: float, rng: RunRandom):
        self.policy = policy
        self.multiplier = multiplier
        self.floor_s = floor_s
        self.rng = rng

    def delay(self, attempt: int) -> float | None:
        """Seconds to wait after failed ``attempt`` (1-based), or None when no attempt is left."""
        base = self.policy.delay(attempt)
        if base is None or not self.multiplier:
            return base
        most = base * self.multiplier
        if most <= self.floor_s:
            return base + self.floor_s
        # The stream is asked for here, at its first draw, not when the run starts: most runs never
        # retry, and seeding it cost about 5 us of a 100 us Q1 run (the same numbers either way).
        return base + self.floor_s + self.rng.stream(JITTER_STREAM).random() * (most - self.floor_s)


class _InvocationRetry:
    """The retry policy seen by ``ctx.run``: attempts belong to the invocation, not to one step.

    ``inst.state.attempt`` is the number of the invocation's current attempt (1 = the
    first). `delay` is asked once per failed attempt and returns the wait before the next,
    or None when the policy has no attempt left.
    """

    __slots__ = ("policy", "inst", "exhausted")

    def __init__(self, policy: JitteredBackoff, inst):
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

    # The per-step hooks call Context's methods by name, not through super(): a super() call costs
    # about 0.1 us more, and both run on every step (measured on CPython 3.11).
    def lookup_step(self, seq: int, kind: str, name: str):
        try:
            return Context.lookup_step(self, seq, kind, name)
        except NondeterminismError as e:
            raise NondeterminismError(f"RT0016 journal mismatch: {e}") from None

    def execute_step(self, seq, kind, name, latency, action, fail_p):
        ev = Context.execute_step(self, seq, kind, name, latency, action, fail_p)
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


@dataclass
class RestateRunState:
    """What the Restate server keeps per run across invocations: virtual-object key locks.

    Attributes:
        holder: per key, the invocation that holds its exclusive lock (None when free).
        queue: per key, the invocations waiting for it, in arrival order: (instance, gate event,
            time queued, the history detail to fill in when it gets the key).
    """

    holder: dict[str, str | None] = field(default_factory=dict)
    queue: dict[str, deque] = field(default_factory=dict)


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

    def new_run_state(self, run) -> "RestateRunState":
        return RestateRunState()

    def backoff(self, run) -> JitteredBackoff:
        """The retry iterator's waits for ``run``, jitter drawn from the run's own stream."""
        cfg = self.config
        return JitteredBackoff(self._policy, cfg.jitter_multiplier, cfg.min_jitter_s, run.rng)

    def context(self, run, inst, worker: str) -> Context:
        return RestateContext(run, inst, worker, _InvocationRetry(self.backoff(run), inst), self.config.journal_ack_s)

    # ------------------------------------------------------------------ crashes
    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        """The server retries at once on a broken connection, on the retry policy's schedule.

        The first retry comes about 500 ms after the crash (plus jitter). While the service
        deployment is still restarting each retry fails to connect and uses an attempt, so a
        single deployment that takes 5 s to restart is reached on the retry at about 7.5 s
        (0.5 + 1 + 2 + 4, each wait up to 30 % longer). A server restart in between loses the
        pending retry; the restarted server invokes again `server_resume_s` after it is back,
        counting from attempt 1. A crash while the invocation was suspended (a durable sleep or
        an awakeable) uses no attempt: nothing was running.
        """
        now = run.env.now
        back_in = now + self.worker_back_in(run)
        infl = ctx.inflight
        if infl is not None and infl[3] in ("timer", "wait") and crash.point == "mid-step":
            return self._after_outage(run, back_in) - now
        backoff = self.backoff(run)
        state: RestateState = inst.state
        t = now
        restarted = self._server_restart(run, t, t)
        while True:
            if restarted is None:
                n = state.attempt
                wait = backoff.delay(n)
                if wait is None:
                    ev = run.env.timeout(t - now)
                    ev.callbacks.append(lambda _e, n=n: _pause(run, inst, crash.step, n,
                                                                "the handler kept crashing"))
                    return t - now
                restarted = self._server_restart(run, t, t + wait)
            if restarted is not None:
                # The retry timer died with the server; the restarted one starts a fresh iterator.
                t = restarted
                state.attempt = 1
                if run.history is not None:
                    run.history.append(Record(t, inst.id, None, 1, "info", "server", "retries-reset",
                                              {"retry_count": 1, "why": "server restarted"}))
                restarted = None
            else:
                state.attempt = n + 1
                t += wait
            if t >= back_in:
                return t - now
            if run.history is not None:
                run.history.append(Record(t, inst.id, None, state.attempt, "info", "server", "attempt-failed",
                                          {"error": "service deployment unreachable"}))

    def _server_restart(self, run, since: float, until: float) -> float | None:
        """When a server that goes down in ``[since, until]`` invokes again (None if it stays up)."""
        store = self.context_class.store
        for start, stop in run.plan.outages(store):
            if start <= until and stop > since:
                return self._after_outage(run, stop) + self.config.server_resume_s
        return None

    def _after_outage(self, run, t: float) -> float:
        back = run.plan.down_until(self.context_class.store, t)
        return t if back is None else back

    # ------------------------------------------------------------------ virtual objects
    def admission(self, run, inst):
        """Queue an invocation behind the one holding its virtual object's key."""
        key = inst.params.get(self.config.key_param)
        if key is None:
            return None
        holder = run.model_state.holder
        if holder.get(key) in (None, inst.id):
            holder[key] = inst.id
            return None
        gate = run.env.event()
        queue = run.model_state.queue.setdefault(key, deque())
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
        holder = run.model_state.holder
        queue = run.model_state.queue.get(key)
        holder[key] = None
        if queue:
            nxt, gate, since, detail = queue.popleft()
            holder[key] = nxt.id
            waited = run.env.now - since
            nxt.extra["queued_s"] = nxt.extra.get("queued_s", 0.0) + waited
            detail["waited_s"] = round(waited, 6)
            gate.succeed()
