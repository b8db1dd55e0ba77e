"""Composition: several engines in one simulation, nested or linked by a durable event bus.

Production stacks mix engines (textbook 64.4.2): an agent written in LangGraph
runs inside a Temporal workflow, services talk through an event bus, and a
migration keeps the old engine for in-flight work while new work starts on the
new one. This module runs such a system on one clock, against one outside world,
with one history:

* a `System` is a list of services (`Service`), each with its own engine
  model, workflow and either a start schedule or a **trigger** topic;
* `publish` sends an event to the Inngest-style bus (a ``publish_event`` side
  effect). The bus stores each event durably, drops a repeat of an event id it
  has already seen, and starts one run of every service triggered by the topic
  (``event`` is passed to the workflow as ``{"name", "data", "id"}``). A bus
  outage delays delivery; nothing is lost;
* nesting is an engine model of its own: `LangGraphInTemporal` with
  `agent_activity` (see `simlib.models.nesting`);
* `run_system` returns the usual `RunResult`; `recovery_table` lists every
  failure with the layer it hit and the layer that recovered it.

Ready-made systems (a migration, a nested agent) live in `simlib.scenarios.compose`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.context import Context, Instance
from ..core.engine import RunResult, simulate
from ..core.errors import ConfigError
from ..core.faults import NO_FAULTS, FaultSchedule
from ..core.history import Record
from ..core.llm import LLMConfig
from . import get_model
from .base import EngineModel
from .nesting import LangGraphInTemporal, agent_activity
from ..core.rng import DEFAULT_SEED
from ..core.scenario import Scenario
from ..core.world import Ledger

__all__ = ["Service", "System", "publish", "run_system", "recovery_table", "format_recovery_table",
           "agent_activity", "LangGraphInTemporal"]


@dataclass(frozen=True)
class Service:
    """One deployable unit: a workflow on an engine.

    Attributes:
        name: instance ids are ``"{name}-1"``, ``"{name}-2"`` ...
        engine: a registered model name or an `EngineModel` (e.g. ``LangGraphInTemporal()``).
        workflow: generator function ``wf(ctx, **params)``; triggered ones also get ``event``.
        instances: how many runs start on a schedule (ignored when ``trigger`` is set).
        start_s: when the first scheduled run starts.
        interarrival_s: seconds between scheduled starts.
        trigger: a bus topic; each delivered event starts one run.
        params: workflow parameters.
    """

    name: str
    engine: Any
    workflow: Callable
    instances: int = 1
    start_s: float = 0.0
    interarrival_s: float = 0.0
    trigger: str | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class System:
    """Services sharing one clock, one outside world and one event bus.

    Attributes:
        name: shown as the run's model name.
        description: one line.
        services: the `Service` s.
        bus_latency_s: seconds from a publish to the triggered run's start.
        llm: the fake LLM's prices and timing.
        default_faults: what goes wrong when the caller gives no schedule.
        max_steps: the most steps one run can take (validates crash steps).
        horizon_s: stop the clock here (None = run until nothing is left).
    """

    name: str
    description: str
    services: tuple
    bus_latency_s: float = 0.5
    llm: LLMConfig = LLMConfig()
    default_faults: FaultSchedule = NO_FAULTS
    max_steps: int = 20
    horizon_s: float | None = None

    def __post_init__(self):
        names = [s.name for s in self.services]
        if not names or len(set(names)) != len(names):
            raise ConfigError(f"a system needs services with distinct names, got {names!r}")
        for s in self.services:
            if isinstance(s.instances, bool) or not isinstance(s.instances, int) or s.instances < 0:
                raise ConfigError(f"service {s.name!r}: instances must be a whole number >= 0, got {s.instances!r}")


def publish(ctx, topic: str, data: dict | None = None, event_id: str | None = None):
    """Send ``topic`` to the event bus (like Inngest's ``step.sendEvent``); returns the step's event.

    Args:
        event_id: the event's id; the bus drops a second event with the same id, so a producer
            that publishes again after a crash does not start the consumers twice.
    """
    return ctx.tool(f"send-{topic}", effect="publish_event", latency_s=0.05, idempotency_key=event_id,
                    payload={"topic": topic, "data": dict(data or {})})


# ---------------------------------------------------------------------- the bus
class _BusLedger(Ledger):
    """The world's ledger, with the bus listening for ``publish_event`` effects."""

    __slots__ = ("bus",)
    bus: _Bus

    def apply(self, time, workflow, step, name, attempt, kind, key, payload=None):
        eff = super().apply(time, workflow, step, name, attempt, kind, key, payload)
        if kind == "publish_event" and payload and "topic" in payload:
            self.bus.received(eff)
        return eff


class _Bus:
    """Durable events, deduplicated by id, fanned out to triggered services."""

    def __init__(self, run, state, latency_s: float):
        self.run = run
        self.state = state
        self.latency_s = latency_s
        self.log: list = []              # every accepted event: (time, topic, id, source)

    def _note(self, t, eff, event, detail):
        if self.run.history is not None:
            self.run.history.append(Record(t, eff.workflow, eff.step, eff.attempt, "info", "bus", event, detail))

    def received(self, eff) -> None:
        topic = eff.payload["topic"]
        if eff.deduplicated:
            self._note(eff.time, eff, "bus-dedup", {"topic": topic, "id": eff.key})
            return
        self.log.append((eff.time, topic, eff.key, eff.workflow))
        self._note(eff.time, eff, "bus-publish", {"topic": topic, "id": eff.key})
        env = self.run.env
        at = max(env.now, eff.time + self.latency_s)
        back = self.run.plan.down_until("bus", at)
        at = back if back is not None else at
        event = {"name": topic, "data": eff.payload.get("data", {}), "id": eff.key}
        for svc in self.state.system.services:
            if svc.trigger == topic:
                timer = env.timeout(at - env.now)
                timer.callbacks.append(lambda _t, svc=svc, event=event, eff=eff: self._deliver(svc, event, eff))

    def _deliver(self, svc: Service, event: dict, eff) -> None:
        inst = self.state.spawn(svc, event)
        self._note(self.run.env.now, eff, "bus-deliver", {"topic": event["name"], "id": event["id"], "to": inst.id})
        self.run.invoke(inst, first=True)


# ---------------------------------------------------------------------- the composite model
@dataclass(frozen=True)
class _SystemScenario(Scenario):
    """A scenario whose instances start at a per-instance time."""

    arrivals: tuple = ()

    def arrival_s(self, index: int) -> float:
        return self.arrivals[index]


class _State:
    """Per-run state of a system: sub-models' states, instance numbering."""

    def __init__(self, model, run):
        self.system = model.system
        self.models = model.models
        self.run = run
        self.sub: dict = {}
        self.counts: dict = {}

    def adopt(self, inst: Instance, svc: Service, event: dict | None = None) -> Instance:
        """Make ``inst`` the next run of ``svc`` (its id, its own params, its service)."""
        n = self.counts[svc.name] = self.counts.get(svc.name, 0) + 1
        inst.id = f"{svc.name}-{n}"
        inst.params = dict(svc.params)
        if event is not None:
            inst.params["event"] = event
        inst.service = svc.name
        inst.state = self.models[svc.name].new_instance_state()
        return inst

    def spawn(self, svc: Service, event: dict) -> Instance:
        """A new run of a triggered service, added to the run's instances."""
        inst = self.adopt(Instance("", {}), svc, event)
        self.run.instances.append(inst)
        return inst


class SystemModel(EngineModel):
    """Runs each instance under its service's engine model; hooks are delegated per instance."""

    title = "Several engines in one system"
    family = "composition"
    context_class = Context

    def __init__(self, system: System):
        super().__init__()
        self.system = system
        self.name = system.name
        self.models = {s.name: get_model(s.engine) for s in system.services}
        self.state_location = "; ".join(f"{s.name}: {self.models[s.name].state_location}" for s in system.services)

    def new_run_state(self, run):
        state = _State(self, run)
        static = [s for s in self.system.services if s.trigger is None for _ in range(s.instances)]
        for inst, svc in zip(run.instances, static):
            state.adopt(inst, svc)
        for name, m in self.models.items():
            run.plan.alias_store(m.context_class.store)
            state.sub[name] = m.new_run_state(run)
        ledger = _BusLedger()
        ledger.bus = _Bus(run, state, self.system.bus_latency_s)
        run.ledger = ledger
        return state

    def _call(self, run, inst, method: str, *args):
        svc = _service(inst)
        state = run.model_state
        run.model_state = state.sub[svc]
        try:
            return getattr(self.models[svc], method)(run, inst, *args)
        finally:
            run.model_state = state

    def context(self, run, inst, worker):
        return self._call(run, inst, "context", worker)

    def admission(self, run, inst):
        return self._call(run, inst, "admission")

    def release(self, run, inst):
        return self._call(run, inst, "release")

    def on_complete(self, run, inst, ctx):
        return self._call(run, inst, "on_complete", ctx)

    def on_nondeterminism(self, run, inst, ctx, error):
        return self._call(run, inst, "on_nondeterminism", ctx, error)

    def recovery_delay(self, run, inst, ctx, crash):
        hist = run.history
        mark = len(hist) if hist is not None else 0
        delay = self._call(run, inst, "recovery_delay", ctx, crash)
        if hist is not None and not any(r.event == "recovery" for r in hist[mark:]):
            m = self.models[_service(inst)]
            detail = {"layer": m.name, "failure": f"worker crash at step {crash.step} ({crash.point})",
                      "by": f"{m.name} resumes from {m.state_location}" if delay is not None else
                      f"nobody: {m.name} does not resume by itself"}
            if delay is not None:
                detail["after_s"] = round(delay, 6)
            hist.append(Record(run.env.now, inst.id, None, 0, "info", ctx.worker, "recovery", detail))
        return delay


def _dispatch(workflows: dict):
    def system_workflow(ctx, **params):
        return (yield from workflows[_service(ctx.inst)](ctx, **params))
    return system_workflow


def run_system(system: System, seed: int = DEFAULT_SEED, faults: FaultSchedule | None = None,
               record: bool = True, until: float | None = None, event_budget: int | None = None) -> RunResult:
    """Run every service of ``system`` in one simulation.

    Args:
        system: the `System`.
        seed: the run's seed.
        faults: a `FaultSchedule` (name instances as ``"{service}-{n}"`` in ``CrashAt.workflow``;
            outages name a component: ``"server"``, ``"db"``, ``"checkpointer"``, ``"bus"`` ...);
            None uses the system's default faults.
        record: keep the history (`recovery_table` needs it).

    Returns:
        A `RunResult` whose ``run.instances`` include the runs the bus started.
    """
    arrivals = tuple(s.start_s + k * s.interarrival_s for s in system.services if s.trigger is None
                     for k in range(s.instances))
    scenario = _SystemScenario(
        name=system.name, description=system.description,
        workflow=_dispatch({s.name: s.workflow for s in system.services}), max_steps=system.max_steps,
        instances=len(arrivals), llm=system.llm, horizon_s=system.horizon_s,
        default_faults=system.default_faults, arrivals=arrivals)
    return simulate(scenario, SystemModel(system), seed=seed, faults=faults, record=record, until=until,
                    event_budget=event_budget)


# ---------------------------------------------------------------------- who recovered what
def recovery_table(result: RunResult) -> list[dict]:
    """One row per failure: the layer it hit and who recovered it.

    Rows come from the history: each crash (with the model's ``recovery`` note when it wrote
    one), each event the bus dropped as a repeat, and each event published twice without an id.

    Returns:
        Dicts with ``time``, ``workflow``, ``layer``, ``failure``, ``recovered_by``,
        ``resumed_after_s`` (None when it never resumed), ``replayed`` and ``re_executed`` (steps).
    """
    hist = result.history
    if hist is None:
        raise ConfigError("recovery_table needs a run made with record=True")
    recs = list(hist)
    rows = []
    for i, r in enumerate(recs):
        if r.event == "crash":
            note = None
            for x in recs[i + 1:]:
                if x.time > r.time:
                    break
                if x.event == "recovery" and x.workflow == r.workflow:
                    note = x
                    break
            later = [x for x in recs[i + 1:] if x.workflow == r.workflow]
            resume = next((x for x in later if x.event == "resume"), None)
            replayed, again = 0, set()
            if resume is not None:
                for x in later[later.index(resume) + 1:]:
                    if x.event in ("crash", "complete"):
                        break
                    replayed += x.event == "replay"
                    if x.kind == "invoke" and x.attempt > 1:
                        again.add(x.step)
            d = note.detail if note is not None else {}
            rows.append({
                "time": r.time, "workflow": r.workflow, "layer": d.get("layer", result.run.model.name),
                "failure": d.get("failure", f"worker crash at step {r.step} ({r.detail.get('point')})"),
                "recovered_by": d.get("by", f"{result.run.model.name} resumed the run" if resume
                                      else "nobody: the run stayed stopped"),
                "resumed_after_s": None if resume is None else round(resume.time - r.time, 6),
                "replayed": replayed, "re_executed": sorted(s for s in again if s is not None)})
        elif r.event == "effect" and r.detail.get("deduplicated") and r.detail.get("effect") != "publish_event":
            rows.append({"time": r.time, "workflow": r.workflow, "layer": "outside world",
                         "failure": f"{r.detail['effect']} sent again by step {r.step} after a crash",
                         "recovered_by": "idempotency key: the provider returned the first result",
                         "resumed_after_s": None, "replayed": 0, "re_executed": []})
        elif r.event == "bus-dedup":
            rows.append({"time": r.time, "workflow": r.workflow, "layer": "event bus",
                         "failure": f"{r.workflow} published {r.detail['topic']} again after a crash",
                         "recovered_by": "event bus: an event with this id was already stored, the repeat is dropped",
                         "resumed_after_s": None, "replayed": 0, "re_executed": []})
    seen: dict = {}
    for r in recs:
        if r.event == "bus-publish" and r.detail.get("id") is None:
            k = (r.workflow, r.step)
            if k in seen:
                rows.append({"time": r.time, "workflow": r.workflow, "layer": "event bus",
                             "failure": f"{r.workflow} published {r.detail['topic']} twice without an event id",
                             "recovered_by": "nobody: every triggered service runs twice",
                             "resumed_after_s": None, "replayed": 0, "re_executed": []})
            seen[k] = True
    rows.sort(key=lambda row: row["time"])
    return rows


def format_recovery_table(rows: list[dict]) -> str:
    """A fixed-width text table of `recovery_table` rows."""
    heads = ["time s", "workflow", "layer", "failure", "recovered by", "resumed after s", "replayed", "re-ran"]
    body = [[f"{r['time']:.1f}", r["workflow"], r["layer"], r["failure"], r["recovered_by"],
             "-" if r["resumed_after_s"] is None else f"{r['resumed_after_s']:.1f}", str(r["replayed"]),
             ",".join(map(str, r["re_executed"])) or "-"] for r in rows]
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def _service(inst: Instance) -> str:
    """The service a system's instance runs as (every instance of a system has one)."""
    assert inst.service is not None, f"{inst.id} belongs to no service"
    return inst.service
