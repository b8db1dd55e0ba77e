"""Crash drills: crash one component of a deployment and say what happened, in one line.

A drill turns "what if the database dies?" into a run. Crashing the process
that runs the workflow code (a worker, app or service) injects a worker crash
at one step (`CrashAt`); crashing anything else (a server, a store, a broker)
makes that component unreachable for a while (`Outage`). The verdict compares
the run with a fault-free run of the same scenario and seed:

* ``survives``: it finished on its own and no completed step was lost;
* ``stalls``: it finished, but waited for the component to come back;
* ``fails``: the run errored or stopped and needs someone to restart it
  (or its save raised and the job died before resuming);
* ``loses``: completed work was thrown away and done again.

Example:
    >>> from simlib.course.drills import crash_component
    >>> drill = crash_component("none", "worker")
    >>> drill.outcome
    'loses'
    >>> crash_component("temporal", "server").outcome
    'stalls'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..core.engine import simulate
from ..core.errors import ConfigError
from ..core.faults import CRASH_POINTS, CrashAt, FaultSchedule, Outage
from ..models import get_model
from ..core.rng import DEFAULT_SEED
from ..core.scenario import get_scenario

__all__ = ["Drill", "VERDICTS", "crash_component", "drill_faults", "verdict", "components"]

VERDICTS = ("survives", "stalls", "fails", "loses")
_WORKER_NAMES = ("worker", "app", "service")


@dataclass(frozen=True)
class Drill:
    """The outcome of crashing one component.

    Attributes:
        model: the model's name.
        component: the component that was crashed.
        outcome: one of `VERDICTS`.
        verdict: one line for a learner (starts with the outcome).
        result: the drill's `RunResult` (with its history, for a timeline).
        faults: the fault schedule the drill injected.
        baseline_s: how long the same run took without faults.
    """

    model: str
    component: str
    outcome: str
    verdict: str
    result: Any
    faults: FaultSchedule
    baseline_s: float


def components(model) -> list[str]:
    """The names of a model's components (what `crash_component` accepts)."""
    mdl = get_model(model) if isinstance(model, str) else model
    return [c.name for c in mdl.components]


def _is_worker(mdl, name: str) -> bool:
    comps = list(mdl.components)
    workers = [c.name for c in comps if c.name in _WORKER_NAMES or c.name.startswith("worker")]
    return name in (workers or [comps[0].name])


def drill_faults(model, component: str, scenario="q1", seed: int = DEFAULT_SEED, step: int | None = None,
                 point: str | None = None, outage_s: float | None = None) -> tuple[FaultSchedule, float]:
    """The fault schedule that crashes ``component``, and the fault-free run's duration.

    Args:
        model: model name or `EngineModel`.
        component: one of the model's component names.
        scenario: scenario name or `Scenario`.
        seed: the run's seed.
        step: the step a worker crash hits (default: the scenario's own crash step,
            else the middle step of the fault-free run).
        point: the crash point (default: the scenario's, else ``after-effect``).
        outage_s: how long another component stays down (default: a quarter of
            the fault-free run, at least 60 s); the outage starts at 35% of that run.
    """
    mdl = get_model(model) if isinstance(model, str) else model
    sc = get_scenario(scenario)
    names = components(mdl)
    if component not in names:
        raise ConfigError(f"model {mdl.name!r} has no component {component!r}; allowed: {', '.join(names)}")
    if point is not None and point not in CRASH_POINTS:
        raise ConfigError(f"unknown crash point {point!r}; allowed: {', '.join(CRASH_POINTS)}")
    base = simulate(sc, mdl, seed=seed, faults=FaultSchedule(), record=False).summary
    duration = base.duration_s
    if _is_worker(mdl, component):
        own = next(iter(sc.default_faults.crashes), None)
        if step is None:
            n = max(1, base.steps_executed // max(sc.instances, 1))
            step = own.step if own is not None else max(1, math.ceil(n / 2))
        if point is None:
            point = own.point if own is not None else "after-effect"
        return FaultSchedule(crashes=(CrashAt(step, point),)), duration
    if outage_s is not None and (isinstance(outage_s, bool) or not isinstance(outage_s, (int, float))
                                 or not outage_s > 0):
        raise ConfigError(f"outage_s must be a number > 0, got {outage_s!r}")
    length = float(outage_s) if outage_s is not None else max(60.0, 0.25 * duration)
    start = round(0.35 * duration, 3)
    return FaultSchedule(outages=(Outage(start, start + length, component=component),)), duration


def verdict(result, baseline_s: float, component: str = "", worker: bool = True) -> tuple[str, str]:
    """Classify a drill's run: (outcome, one-line verdict).

    Args:
        result: the drill's `RunResult`.
        baseline_s: the fault-free run's duration, to say how much later it finished.
        component: the crashed component (for the sentence).
        worker: whether the crashed component runs the workflow code.
    """
    s = result.summary
    cost = f"${s.llm_cost_reexecuted_usd:.3f} of LLM calls paid again"
    dups = f"{s.duplicate_effects} duplicate side effect{'s' if s.duplicate_effects != 1 else ''}"
    late = s.duration_s - baseline_s
    who = f"{component} crash" if worker else f"{component} outage"
    if s.completed_steps_lost:
        return "loses", (f"loses: after the {who}, {s.completed_steps_lost} completed step(s) ran again "
                         f"({cost}, {dups})")
    if not s.completed:
        if s.error:
            return "fails", f"fails: {s.error}"[:220]
        if s.stalled:
            return "fails", f"fails: it stops and waits for a human ({s.stalled})"[:220]
        return "stalls", "stalls: still not finished when the clock stopped"
    died = any(r.event == "crash" for r in result.history) if result.history is not None else s.crashes > 0
    if not worker and died:
        return "fails", (f"fails: a save hit the {who} and the job died; it resumed from its last save "
                         f"and finished {late:.0f} s late")
    if not worker and (s.time_stalled_s > 0 or late > 0.5):
        waited = s.time_stalled_s if s.time_stalled_s > 0 else late
        return "stalls", (f"stalls: waited {waited:.0f} s for {component} to come back, nothing lost, "
                          f"finished {late:.0f} s late")
    if worker:
        rerun = f"{s.steps_reexecuted} in-flight step(s) ran again ({cost}, {dups})" if s.steps_reexecuted \
            else "no step ran twice"
        resumed = "" if s.time_to_recover_s is None else f" {s.time_to_recover_s:.0f} s after the crash"
        return "survives", f"survives: resumed{resumed}; {rerun}"
    return "survives", f"survives: the {who} did not touch this run"


def crash_component(model, component: str, scenario="q1", seed: int = DEFAULT_SEED, step: int | None = None,
                    point: str | None = None, outage_s: float | None = None) -> Drill:
    """Crash one component of ``model`` during ``scenario`` and judge the outcome.

    Args are those of `drill_faults`. Returns a `Drill` with the run (history
    kept) and its verdict.
    """
    mdl = get_model(model) if isinstance(model, str) else model
    faults, base = drill_faults(mdl, component, scenario, seed, step, point, outage_s)
    res = simulate(scenario, mdl, seed=seed, faults=faults)
    outcome, line = verdict(res, base, component, _is_worker(mdl, component))
    return Drill(mdl.name, component, outcome, line, res, faults, base)
