"""Runs one scenario under one engine model with one fault schedule.

The engine owns the SimPy environment, the run's random generator, the
outside world and the history. It starts each workflow instance, and when an
invocation dies it asks the model when (and whether) the instance resumes.
It knows nothing about any particular engine: models plug in through
`simlib.models.base.EngineModel`.
"""

from __future__ import annotations

import json
import math
from functools import partial
from dataclasses import dataclass, field
from typing import Any

import simpy

from .clock import Clock
from .context import Instance
from .errors import ActivityError, BudgetExceeded, ConfigError, NondeterminismError, SimulatorError, WorkerCrash
from .faults import FaultPlan, FaultSchedule, NO_FAULTS
from .history import History, Record
from .llm import FakeLLM
from .registry import get_model
from .rng import DEFAULT_SEED, RunRandom
from .scenario import get_scenario
from .summary import summarize
from .world import Ledger

__all__ = ["simulate", "run_to_end", "Run", "RunResult", "Stats", "ReplayToken", "DEFAULT_HORIZON_S",
           "MAX_CRASHES"]

# A safety net: no scenario here needs more than a simulated week, and a crash
# loop (random crashes more frequent than a step is long) must still end.
DEFAULT_HORIZON_S = 7 * 24 * 3600.0
_NO_LIMIT = 1 << 62
# A backstop for any schedule: past this many crashes in one run, each workflow that crashes
# again stops with a reason instead of running on (a week of 1-second crashes stays below it).
MAX_CRASHES = 1_000_000


class Stats:
    """Counters kept while a run goes on (history or not)."""

    __slots__ = ("llm_calls", "llm_cost", "llm_cost_again", "llm_calls_again", "llm_cost_lost", "reexecuted",
                 "completed_lost",
                 "replayed", "stalled_s", "failed_attempts", "recovery_s", "crashes", "events")

    def __init__(self) -> None:
        self.llm_calls = 0
        self.llm_cost = 0.0
        self.llm_cost_again = 0.0
        self.llm_calls_again = 0
        self.llm_cost_lost = 0.0
        self.reexecuted = 0
        self.completed_lost = 0
        self.replayed = 0
        self.stalled_s = 0.0
        self.failed_attempts = 0
        self.recovery_s = 0.0
        self.crashes = 0
        self.events = 0


@dataclass(frozen=True)
class ReplayToken:
    """Everything needed to run the same simulation again, byte for byte."""

    scenario: str
    model: str
    seed: int
    faults: FaultSchedule = NO_FAULTS

    def to_json(self) -> str:
        return json.dumps({"scenario": self.scenario, "model": self.model, "seed": self.seed,
                           "faults": self.faults.to_dict()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReplayToken":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"replay token is not valid JSON: {e.msg}") from None
        if not isinstance(d, dict) or not {"scenario", "model", "seed"} <= set(d):
            raise ConfigError("replay token needs the fields scenario, model, seed (and optionally faults)")
        return cls(d["scenario"], d["model"], d["seed"], FaultSchedule.from_dict(d.get("faults") or {}))


class Run:
    """One simulation: environment, generator, world, history and workflow instances."""

    def __init__(self, scenario: Any, model: Any, seed: int = DEFAULT_SEED, faults: FaultSchedule = NO_FAULTS,
                 record: bool = True, params: dict[Any, Any] | None = None):
        self.scenario = scenario
        self.model = model
        self.seed = seed
        self.faults = faults
        self.env = Clock()
        self.rng = RunRandom(seed)
        self.plan = FaultPlan(faults, self.rng)
        self.plan.alias_store(model.context_class.store)
        self.llm = FakeLLM(scenario.llm, self.rng)
        self.ledger = Ledger()
        self.history: History | None = History() if record else None
        self.stats = Stats()
        self.signals = dict(scenario.signals)
        merged = dict(scenario.params)
        if params:
            merged.update(params)
        self.params = merged
        self.instances = []
        for i in range(scenario.instances):
            inst = Instance(f"wf-{i + 1}", merged)
            inst.state = model.new_instance_state()
            self.instances.append(inst)
        self.until = math.inf   # set by execute(); steps never plan past it
        self.inline_left = _NO_LIMIT   # steps that may still finish without a SimPy event (the budget)
        self.model_state: Any = model.new_run_state(self)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for i, inst in enumerate(self.instances):
            at = self.scenario.arrival_s(i)
            if at > 0:
                ev = self.env.timeout(at)
                ev.callbacks.append(partial(self._invoke_on, inst, True))
            else:
                self.invoke(inst, first=True)

    def _invoke_on(self, inst: Instance, first: bool, _event: Any) -> None:
        """`invoke`, as the callback of a timer event."""
        self.invoke(inst, first)

    def invoke(self, inst: Instance, first: bool = False) -> None:
        """Start an invocation of ``inst`` now (its first when ``first``), unless it is finished or stalled.

        The model's `admission` may queue it (a lock, a concurrency slot).
        """
        if inst.finished or inst.stalled:
            return
        gate = self.model.admission(self, inst)
        if gate is not None:
            # The model queues this invocation (a per-key lock, a concurrency slot).
            gate.callbacks.append(lambda _e, inst=inst, first=first: self._start(inst, first))
            return
        self._start(inst, first)

    def _start(self, inst: Instance, first: bool) -> None:
        now = self.env._now
        if first:
            inst.started_at = now
        elif inst.crash_at is not None:
            self.stats.recovery_s += now - inst.crash_at
            inst.crash_at = None
        inst.invocations += 1
        worker = f"worker-{inst.invocations}"
        variant = self.plan.code_variant(inst.crashes)
        fn = self.scenario.workflow_for(variant)
        ctx = self.model.context(self, inst, worker)
        if self.history is not None:
            self.history.append(Record(now, inst.id, None, inst.invocations, "info", worker,
                                       "start" if first else "resume", {"code": variant or "v1"}))
        gen = fn(ctx, **inst.params)
        proc = self.env.process(gen)
        proc.callbacks.append(partial(self._ended, inst, ctx))

    def _ended(self, inst: Instance, ctx: Any, proc: Any) -> None:
        proc._defused = True
        self.model.release(self, inst)
        now = self.env._now
        hist = self.history
        if proc._ok:
            inst.finished = True
            inst.result = proc._value
            inst.ended_at = now
            self.model.on_complete(self, inst, ctx)
            if hist is not None:
                hist.append(Record(now, inst.id, None, inst.invocations, "ok", ctx.worker, "complete",
                                   {"result": _plain(proc._value)}))
            return
        exc = proc._value
        if isinstance(exc, SimulatorError):
            raise exc
        if isinstance(exc, WorkerCrash):
            inst.crashes += 1
            self.stats.crashes += 1
            inst.crash_at = now
            if hist is not None:
                hist.append(Record(now, inst.id, exc.step, ctx.inst.attempts.get(exc.step, 0) if exc.step else 0,
                                   "info", ctx.worker, "crash", {"point": exc.point, "reason": exc.reason}))
            why = None
            if self.plan.has_loops and exc.step is not None:
                why = self.plan.crash_loop(inst.id, exc.step, len(inst.done_steps))
            if why is None and self.stats.crashes >= MAX_CRASHES:
                why = f"stopped after {MAX_CRASHES} crashes in one run: crashes come faster than work gets done"
            if why is not None:
                self._stop(inst, ctx, why)
                return
            delay = self.model.recovery_delay(self, inst, ctx, exc)
            if delay is None:
                inst.stalled = f"{self.model.name} does not resume by itself after a crash"
                inst.ended_at = now     # progress stopped here; the clock running on is not the run's
                if hist is not None:
                    hist.append(Record(now, inst.id, None, inst.invocations, "info", ctx.worker, "stopped",
                                       {"reason": inst.stalled}))
                return
            ev = self.env.timeout(max(0.0, delay))
            ev.callbacks.append(partial(self._invoke_on, inst, False))
            return
        if isinstance(exc, NondeterminismError):
            inst.stalled = f"NondeterminismError: {exc}"
            inst.ended_at = now
            self.model.on_nondeterminism(self, inst, ctx, exc)
            if hist is not None:
                hist.append(Record(now, inst.id, ctx.seq, 0, "fail", ctx.worker, "nondeterminism",
                                   {"error": str(exc)}))
            return
        inst.error = f"{type(exc).__name__}: {exc}"
        inst.ended_at = now
        if hist is not None:
            hist.append(Record(now, inst.id, None, inst.invocations, "fail", ctx.worker, "workflow-failed",
                               {"error": inst.error}))
        if not isinstance(exc, (ActivityError, Exception)):
            raise exc

    def _stop(self, inst: Instance, ctx: Any, why: str) -> None:
        """End ``inst`` for good: it cannot make progress, and the summary says why."""
        inst.stalled = why
        inst.ended_at = self.env._now
        if self.history is not None:
            self.history.append(Record(self.env._now, inst.id, None, inst.invocations, "info", ctx.worker,
                                       "stopped", {"reason": why}))

    def execute(self, until: float | None = None, event_budget: int | None = None) -> None:
        """Run the simulation to the end (or ``until`` seconds, or the event budget).

        Raises:
            SimulatorError: code of the simulator or of a model failed (a bug), whichever path it ran on.
            BudgetExceeded: the run needed more than ``event_budget`` events.
        """
        try:
            self._process_events(until, event_budget)
        except (BudgetExceeded, ConfigError, SimulatorError):
            raise
        except Exception as exc:
            raise SimulatorError(f"simulator bug under model {self.model.name!r}: {type(exc).__name__}: {exc}") \
                from exc

    def _process_events(self, until: float | None, event_budget: int | None) -> None:
        self.until = math.inf if until is None else until
        self.start()
        env = self.env
        if event_budget is None:
            if until is None or until <= env._now:
                env.run(until=until)
                return
            # What env.run(until=until) does, without its stop event: every event before
            # `until` is processed, and the clock ends at `until`.
            q = env._queue
            step = env.step
            while q and q[0][0] < until:
                step()
            env._now = until
            return
        step = env.step
        limit = math.inf if until is None else until
        # Steps finished inline count against the same budget as queued events.
        self.inline_left = event_budget + 1
        n = 0
        try:
            while env.peek() <= limit:
                step()
                n += 1
                if n + event_budget + 1 - self.inline_left > event_budget:
                    raise BudgetExceeded(f"the run used more than {event_budget} simulated events")
        except simpy.core.EmptySchedule:
            pass
        finally:
            self.stats.events = n + event_budget + 1 - self.inline_left


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


@dataclass
class RunResult:
    """What a run produced: summary, history, ledger, and the token to replay it."""

    token: ReplayToken
    summary: Any
    history: History | None
    ledger: Ledger
    run: Run = field(repr=False)

    def dataframe(self) -> Any:
        """The history as a pandas DataFrame."""
        if self.history is None:
            raise ValueError("this run was made with record=False, so it kept no history")
        return self.history.to_dataframe()


def simulate(scenario: Any, model: Any, seed: int = DEFAULT_SEED, faults: FaultSchedule | None = None,
             record: bool = True, until: float | None = None, event_budget: int | None = None,
             params: dict[Any, Any] | None = None) -> RunResult:
    """Run ``scenario`` under ``model`` and return its `RunResult`.

    Args:
        scenario: a `Scenario` or the name of a registered one.
        model: an `EngineModel` or the name of a registered one.
        seed: the run's seed; the same (scenario, model, seed, faults) gives the same history.
        faults: a `FaultSchedule`; None uses the scenario's default faults.
        record: keep the history (sweeps turn it off for speed; the summary is the same).
        until: stop the clock at this many simulated seconds.
        event_budget: raise `BudgetExceeded` past this many SimPy events.
        params: override the scenario's workflow parameters.
    """
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    if isinstance(model, str):
        model = get_model(model)
    if faults is None:
        faults = scenario.default_faults
    scenario.validate_faults(faults)
    run = run_to_end(scenario, model, seed, faults, record, until, event_budget, params)
    summary = summarize(run)
    return RunResult(ReplayToken(scenario.name, model.name, seed, faults), summary, run.history, run.ledger, run)


def run_to_end(scenario: Any, model: Any, seed: int, faults: FaultSchedule, record: bool = False, until: float | None = None,
               event_budget: int | None = None, params: dict[Any, Any] | None = None) -> Run:
    """Make and execute a `Run` of already-resolved, already-validated arguments (the sweep's hot path).

    ``until`` None means the scenario's horizon (or `DEFAULT_HORIZON_S`); a kept history ends sorted by time.
    """
    run = Run(scenario, model, seed, faults, record, params)
    if until is None:
        until = scenario.horizon_s if scenario.horizon_s is not None else DEFAULT_HORIZON_S
    run.execute(until=until, event_budget=event_budget)
    if run.history is not None:
        run.history.sort(key=_time_key)
    return run


def _time_key(rec: Record) -> float:
    return rec.time
