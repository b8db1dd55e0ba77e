"""One crash per run at a moment drawn uniformly over the run's duration.

Crashes in production do not aim at step boundaries: a process dies whenever it
dies. A claim about what a crash costs *on average* therefore needs crashes
spread evenly in time, not placed at chosen points of chosen steps (which gives
the rare, narrow window between an effect and its record the same weight as a
whole LLM call). For each sampled seed this module first runs the workflow
without faults to learn its duration, then again with one worker crash at a
uniformly drawn time, and reports means with 95 % intervals.
"""

from __future__ import annotations

import pandas as pd

from ..core.engine import simulate
from ..core.errors import ConfigError
from ..core.faults import CrashAtTime, FaultSchedule
from ..core.intervals import mean_ci, overlap, wilson
from ..models import get_model
from ..core.rng import DEFAULT_SEED, RunRandom

__all__ = ["one_crash_each", "compare_one_crash", "top_two_evidence"]


def _at_least_zero(ci: tuple[float, float, float]) -> tuple[float, float, float]:
    return ci[0], max(0.0, ci[1]), ci[2]


def one_crash_each(scenario, model, samples: int = 400, seed: int = DEFAULT_SEED) -> list:
    """Summaries of ``samples`` runs, each crashed once at a uniformly random time.

    Args:
        scenario: a scenario name or object.
        model: a model name or configured model.
        samples: how many runs (seeds ``seed``, ``seed+1``, ...).
        seed: the first seed; the crash times come from their own stream of it.
    """
    if samples < 2:
        raise ConfigError(f"samples must be >= 2, got {samples}")
    mdl = get_model(model) if isinstance(model, str) else model
    pick = RunRandom(seed).stream("timed-crashes")
    out = []
    for i in range(samples):
        calm = simulate(scenario, mdl, seed=seed + i, faults=FaultSchedule(), record=False).summary
        at = pick.random() * calm.duration_s
        out.append(simulate(scenario, mdl, seed=seed + i, record=False,
                            faults=FaultSchedule(timed=(CrashAtTime(at),))).summary)
    return out


def compare_one_crash(scenario, models: dict, samples: int = 400, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A short table: per model, the mean cost of one time-uniform crash with 95 % intervals.

    Args:
        scenario: a scenario name or object.
        models: label -> model name or configured model.
        samples: runs per model.
        seed: the first seed (the same seeds and crash times for every model).

    Returns:
        One row per label: duplicate effects per crash, the share of crashes that repeated an
        effect (Wilson interval), dollars paid again per crash (repeated calls) and dollars lost per
        crash (``$ lost``: mostly the call the crash cut short), each with ``low``/``high``, and the
        share of runs that completed.
    """
    rows = []
    for label, model in models.items():
        runs = one_crash_each(scenario, model, samples, seed)
        # counts and dollars cannot be negative: the normal interval's lower end is clipped at 0
        dup = _at_least_zero(mean_ci([s.duplicate_effects for s in runs]))
        share = wilson(sum(s.duplicate_effects > 0 for s in runs), len(runs))
        usd = _at_least_zero(mean_ci([s.llm_cost_reexecuted_usd for s in runs]))
        lost = _at_least_zero(mean_ci([s.llm_cost_lost_usd for s in runs]))
        done = wilson(sum(bool(s.completed) for s in runs), len(runs))
        rows.append({"setup": label, "runs": len(runs),
                     "dup/crash": round(dup[0], 3), "dup low": round(dup[1], 3), "dup high": round(dup[2], 3),
                     "share dup": round(share[0], 3), "share low": round(share[1], 3),
                     "share high": round(share[2], 3),
                     "$ again": round(usd[0], 4), "$ low": round(usd[1], 4), "$ high": round(usd[2], 4),
                     "$ lost": round(lost[0], 4), "$ lost low": round(lost[1], 4),
                     "$ lost high": round(lost[2], 4),
                     "completed": round(done[0], 3), "completed low": round(done[1], 3),
                     "completed high": round(done[2], 3)})
    return pd.DataFrame(rows).set_index("setup")


def _differs(t: pd.DataFrame, a: str, b: str) -> str:
    """Which measures of two rows have 95 % intervals that do not overlap ("" = none)."""
    out = []
    for label, (m, lo, hi) in (("dup", ("dup/crash", "dup low", "dup high")), ("$", ("$ again", "$ low", "$ high")),
                               ("$ lost", ("$ lost", "$ lost low", "$ lost high")),
                               ("done", ("completed", "completed low", "completed high"))):
        x, y = t.loc[a], t.loc[b]
        if not overlap((x[m], x[lo], x[hi]), (y[m], y[lo], y[hi])):
            out.append(label)
    return ", ".join(out) or "none"


def top_two_evidence(cases: dict, samples: int = 400, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The recommender's top two engines per workload, each crashed once per run, uniformly in time.

    Args:
        cases: workload label -> `simlib.recommend.Profile` (or a dict of its fields).
        samples: runs per engine and workload shape.
        seed: the first seed.

    Returns:
        One row per (workload, engine): the scenario simulated, duplicate effects, dollars
        paid again and dollars lost per crash with 95 % intervals, the share of runs that completed, and which
        measures differ significantly from the other engine of the pair ("none" when every
        pair of intervals overlaps).
    """
    from .evidence import workload_for
    from ..models import model_names
    from .recommend import Profile, recommend

    known = set(model_names())
    done: dict = {}
    rows = []
    for label, profile in cases.items():
        prof = profile if isinstance(profile, Profile) else Profile(**profile)
        engines = tuple(e for e in recommend(prof).ranking if e in known)[:2]
        scenario = workload_for(prof)
        if (scenario, engines) not in done:
            done[scenario, engines] = compare_one_crash(scenario, {e: e for e in engines}, samples, seed)
        t = done[scenario, engines]
        for e in engines:
            other = engines[1] if e == engines[0] else engines[0]
            r = t.loc[e]
            rows.append({"workload": label, "engine": e, "scenario": scenario,
                         "dup/crash [95% CI]": f"{r['dup/crash']:.3f} [{r['dup low']:.3f}, {r['dup high']:.3f}]",
                         "$ again/crash [95% CI]": f"{r['$ again']:.4f} [{r['$ low']:.4f}, {r['$ high']:.4f}]",
                         "$ lost/crash [95% CI]":
                             f"{r['$ lost']:.4f} [{r['$ lost low']:.4f}, {r['$ lost high']:.4f}]",
                         "completed": r["completed"], "differs": _differs(t, e, other)})
    return pd.DataFrame(rows).set_index(["workload", "engine"])
