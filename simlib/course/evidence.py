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
to plain Monte Carlo with random crashes at the given rate. Every mean comes with
its 95% interval.

The ranking uses a second, cheaper form (:func:`crash_loss`): what one crash costs
each engine, sampled once per scenario and engine and cached, then scaled by the
expected number of crashes per run and priced with :data:`FAILURE_COST_USD`. That
is how the crash rate and the cost of failure move points in
:func:`simlib.course.recommend.recommend`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache

from ..core.engine import simulate
from ..core.faults import CrashAtTime, FaultSchedule, RandomCrashes
from ..core.rng import RunRandom
from ..models import get_model, model_names

__all__ = ["CRASH_SAMPLES", "FAILURE_COST_USD", "CrashLoss", "CrashSamples", "crash_loss", "crash_samples",
           "estimate", "evidence", "workload_for"]


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

    The ``*_ci95`` entries give the normal 95% interval of each mean (mean +- 1.96 standard errors).
    ``recovery_s_per_10k`` adds up the recovery times of the runs that resumed; a run that never
    resumed after its crash adds nothing (``completed_after_crash_rate`` shows how many did).
    ``progress``, when given, is called with 1 after each sample (a progress bar's update).
    """
    mdl = get_model(model)
    rate_s = crash_rate_per_hour / 3600.0
    pick = RunRandom(seed).stream("evidence")
    dups: list[float] = []
    usds: list[float] = []
    recover = 0.0
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
        dups.append(weight * (s.duplicate_effects - base.duplicate_effects))
        usds.append(weight * (s.llm_cost_reexecuted_usd - base.llm_cost_reexecuted_usd))
        if s.time_to_recover_s is not None:     # a run that never resumed has no recovery time
            recover += weight * s.time_to_recover_s
        completed += s.completed
        if progress is not None:
            progress(1)
    scale = 10_000 / samples
    return {
        "model": mdl.name, "scenario": scenario, "crash_rate_per_hour": crash_rate_per_hour,
        "samples": samples,
        "crashed_runs_per_10k": round(p_sum * scale, 3),
        "duplicate_effects_per_10k": round(sum(dups) * scale, 3),
        "duplicate_effects_per_10k_ci95": _ci95(dups, 3),
        "usd_reexecuted_per_10k": round(sum(usds) * scale, 4),
        "usd_reexecuted_per_10k_ci95": _ci95(usds, 4),
        "recovery_s_per_10k": round(recover * scale, 1),
        "completed_after_crash_rate": round(completed / samples, 3),
    }


def _ci95(values: list[float], digits: int) -> list[float]:
    """Normal 95% interval of the mean of ``values``, per 10,000 runs (zero width if all agree)."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n)
    return [round(max(0.0, mean - half) * 10_000, digits), round((mean + half) * 10_000, digits)]


def evidence(profile, engines: list[str], samples: int = 200, progress=None) -> dict:
    """The `simlib.course.recommend.recommend` evidence hook: numbers for each engine with a model."""
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


# --- Crash cost as ranking evidence ---------------------------------------------------------------

CRASH_SAMPLES = 40
"""Sampled crash moments per (scenario, engine) for the ranking's crash-cost evidence.

Forty runs per pair keep the first call of a process under a few seconds (33 pairs, cached
afterwards) while the 95% interval of a per-crash mean is about a third of a standard deviation
either side; a penalty needs its whole interval past the threshold, so noise cannot flip it.
"""

FAILURE_COST_USD: dict[str, tuple[float, float]] = {
    "low": (0.10, 0.25),
    "medium": (1.0, 0.50),
    "high": (10.0, 2.50),
    "critical": (100.0, 10.0),
}
"""The course's own price list (not the section's): dollars per duplicated side effect and per
run left stopped after a crash until a person or a sweeper notices and re-invokes it, by
``cost_of_failure``. A
money-moving profile prices a duplicate at least at the critical rate (a refund paid twice)."""


@dataclass(frozen=True)
class CrashSamples:
    """What one crash does to a run, sampled at uniformly random moments.

    Attributes:
        scenario: Scenario name.
        model: Model name.
        duration_s: Mean crash-free duration of a run.
        usd: LLM dollars spent again, one value per sample.
        duplicates: Side effects performed twice, per sample.
        stranded: 1.0 where the run did not finish on its own after the crash, else 0.0.
    """

    scenario: str
    model: str
    duration_s: float
    usd: tuple[float, ...]
    duplicates: tuple[float, ...]
    stranded: tuple[float, ...]


@cache
def crash_samples(scenario: str, model: str, samples: int = CRASH_SAMPLES, seed: int = 0) -> CrashSamples:
    """Run ``samples`` runs, each with one crash at a uniform moment, and record what it cost.

    Cached per argument tuple, so a ranking over many profiles simulates each pair once.
    """
    mdl = get_model(model)
    pick = RunRandom(seed).stream("crash-evidence")
    usd, dups, stranded, durations = [], [], [], []
    for i in range(samples):
        base = simulate(scenario, mdl, seed=seed + i, faults=FaultSchedule(), record=False).summary
        at = pick.random() * base.duration_s
        s = simulate(scenario, mdl, seed=seed + i, record=False,
                     faults=FaultSchedule(timed=(CrashAtTime(at),))).summary
        durations.append(base.duration_s)
        usd.append(s.llm_cost_reexecuted_usd - base.llm_cost_reexecuted_usd)
        dups.append(float(s.duplicate_effects - base.duplicate_effects))
        stranded.append(0.0 if s.completed else 1.0)
    return CrashSamples(scenario, mdl.name, sum(durations) / samples, tuple(usd), tuple(dups), tuple(stranded))


@dataclass(frozen=True)
class CrashLoss:
    """Expected crash cost of one engine for one profile, per 10,000 runs, with a 95% interval.

    Attributes:
        engine: Engine name.
        scenario: The scenario the profile was simulated as.
        crashes_per_run: Expected crashes per run at the profile's rate.
        usd_per_10k: Expected dollars lost (LLM spend again, duplicates, stopped runs).
        low: Lower end of the 95% interval.
        high: Upper end of the 95% interval.
        duplicates_per_10k: Expected duplicated side effects.
        stranded_per_10k: Expected runs left stopped after a crash.
        samples: Sampled crash moments behind the numbers.
    """

    engine: str
    scenario: str
    crashes_per_run: float
    usd_per_10k: float
    low: float
    high: float
    duplicates_per_10k: float
    stranded_per_10k: float
    samples: int


def crash_loss(profile, engine: str, samples: int = CRASH_SAMPLES) -> CrashLoss:
    """Price what crashes at the profile's rate cost ``engine``, per 10,000 runs.

    Each crash is charged its sampled cost (one crash per sampled run, uniform in time); a run is
    expected to see ``m = rate * duration`` crashes, so LLM dollars and duplicates scale with ``m``.
    A run left stopped is counted once, with the chance ``1 - exp(-m)`` that it sees any crash.
    Treating crashes as independent is exact for the first crash and an underestimate once runs
    see several, which only makes a penalty for a weak engine conservative.
    The interval is the normal one, mean +- 1.96 standard errors; when every sample agrees it has
    zero width.
    """
    return _crash_loss(workload_for(profile), engine, profile.cost_of_failure, profile.moves_money,
                       profile.crash_rate_per_hour, samples)


@lru_cache(maxsize=4096)
def _crash_loss(scenario: str, engine: str, cost: str, money: bool, rate: float, samples: int) -> CrashLoss:
    cs = crash_samples(scenario, engine, samples)
    per_dup, per_stranded = FAILURE_COST_USD[cost]
    if money:
        per_dup = max(per_dup, FAILURE_COST_USD["critical"][0])
    m = rate / 3600.0 * cs.duration_s
    q = 1.0 - math.exp(-m)  # a run can be left stopped only once: by its first crash
    losses = [m * (u + per_dup * d) + q * per_stranded * s for u, d, s in zip(cs.usd, cs.duplicates, cs.stranded)]
    n = len(losses)
    mean = sum(losses) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in losses) / (n - 1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n)
    return CrashLoss(engine, scenario, m, mean * 10_000, max(0.0, mean - half) * 10_000, (mean + half) * 10_000,
                     sum(cs.duplicates) / n * m * 10_000, sum(cs.stranded) / n * q * 10_000, n)
