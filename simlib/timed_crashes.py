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

from .engine import simulate
from .errors import ConfigError
from .faults import CrashAtTime, FaultSchedule
from .intervals import mean_ci, wilson
from .models import get_model
from .rng import DEFAULT_SEED, RunRandom

__all__ = ["one_crash_each", "compare_one_crash"]


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
        effect (Wilson interval), dollars paid again per crash, each with ``low``/``high``.
    """
    rows = []
    for label, model in models.items():
        runs = one_crash_each(scenario, model, samples, seed)
        dup = mean_ci([s.duplicate_effects for s in runs])
        share = wilson(sum(s.duplicate_effects > 0 for s in runs), len(runs))
        usd = mean_ci([s.llm_cost_reexecuted_usd for s in runs])
        rows.append({"setup": label, "runs": len(runs),
                     "dup/crash": round(dup[0], 3), "dup low": round(dup[1], 3), "dup high": round(dup[2], 3),
                     "share dup": round(share[0], 3), "share low": round(share[1], 3),
                     "share high": round(share[2], 3),
                     "$ again": round(usd[0], 4), "$ low": round(usd[1], 4), "$ high": round(usd[2], 4)})
    return pd.DataFrame(rows).set_index("setup")
