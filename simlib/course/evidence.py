"""Simulation evidence for a recommendation: what the top choices cost under crashes.

For the top engine and the runner-up, a workload shaped like the profile runs
through the simulator at the profile's crash rate, and the result is given per
10,000 runs: expected duplicate side effects and dollars spent again.

Crash rates in production are low (a crash every few hours against workflows
of minutes), so plain Monte Carlo would see almost no crashes. Instead each
sampled run gets exactly one crash at a uniformly random moment, and the
result is weighted by the chance that a run sees a crash at all,
``1 - exp(-rate * duration)``. That is the first-order term of the expectation
and is accurate while that chance is small; above 20 % the estimator switches
to plain Monte Carlo with random crashes at the given rate.
"""

from __future__ import annotations

import math

from ..core.engine import simulate
from ..core.faults import CrashAtTime, FaultSchedule, RandomCrashes
from ..models import get_model, model_names
from ..core.rng import RunRandom

__all__ = ["workload_for", "estimate", "evidence"]


def workload_for(profile) -> str:
    """The built-in scenario whose shape matches the profile."""
    if profile.moves_money:
        return "five-effects"
    if profile.graph == "static" or profile.batch_shaped:
        return "q1"
    return "agent-loop"


def estimate(scenario: str, model: str, crash_rate_per_hour: float, samples: int = 200, seed: int = 0,
             progress=None) -> dict:
    """Expected duplicates and dollars re-spent per 10,000 runs of ``scenario`` under ``model``.

    ``progress``, when given, is called with 1 after each sample (a progress bar's update).
    """
    mdl = get_model(model)
    rate_s = crash_rate_per_hour / 3600.0
    pick = RunRandom(seed).stream("evidence")
    dup = usd = recover = 0.0
    p_sum = 0.0
    completed = 0
    for i in range(samples):
        base = simulate(scenario, mdl, seed=seed + i, faults=FaultSchedule(), record=False).summary
        p_crash = 1.0 - math.exp(-rate_s * base.duration_s)
        if p_crash > 0.2:
            s = simulate(scenario, mdl, seed=seed + i, record=False,
                         faults=FaultSchedule(random=RandomCrashes(1.0 / rate_s))).summary
            weight = 1.0
        else:
            at = pick.random() * base.duration_s
            s = simulate(scenario, mdl, seed=seed + i, record=False,
                         faults=FaultSchedule(timed=(CrashAtTime(at),))).summary
            weight = p_crash
        p_sum += p_crash
        dup += weight * (s.duplicate_effects - base.duplicate_effects)
        usd += weight * (s.llm_cost_reexecuted_usd - base.llm_cost_reexecuted_usd)
        recover += weight * s.time_to_recover_s
        completed += s.completed
        if progress is not None:
            progress(1)
    scale = 10_000 / samples
    return {
        "model": mdl.name, "scenario": scenario, "crash_rate_per_hour": crash_rate_per_hour,
        "samples": samples,
        "crashed_runs_per_10k": round(p_sum * scale, 3),
        "duplicate_effects_per_10k": round(dup * scale, 3),
        "usd_reexecuted_per_10k": round(usd * scale, 4),
        "recovery_s_per_10k": round(recover * scale, 1),
        "completed_after_crash_rate": round(completed / samples, 3),
    }


def evidence(profile, engines: list[str], samples: int = 200, progress=None) -> dict:
    """The `simlib.course.recommend.recommend` evidence hook: numbers for each engine with a model.

    ``progress``, when given, is called with 1 after each sampled run of each engine.
    """
    scenario = workload_for(profile)
    out: dict = {"workload": scenario, "method": "one uniformly timed crash per sampled run, weighted by "
                                                "P(crash during the run); per 10,000 runs", "engines": {}}
    known = set(model_names())
    for name in engines:
        if name not in known:
            out["engines"][name] = {"note": f"no simulator model named {name!r} yet"}
            continue
        out["engines"][name] = estimate(scenario, name, profile.crash_rate_per_hour, samples=samples,
                                        progress=progress)
    return out
