"""LangGraph's durability modes side by side: what one crash costs in each.

A mode that keeps nothing until the end (``"exit"``) does not lose steps after a
crash, it loses the whole run: the supervisor's ``invoke(None, cfg)`` finds no
checkpoint and raises. A table of step counts alone would print ``0`` for that
run, the same as a mode that lost nothing, so this table names the failure.
"""

from __future__ import annotations

import pandas as pd

from ..core.engine import simulate
from ..core.errors import ConfigError
from ..core.rng import DEFAULT_SEED
from ..models import get_model

__all__ = ["MODES", "outcome", "durability_table"]

MODES = ("sync", "async", "exit")


def outcome(summary) -> str:
    """One cell of the table: the finished steps that ran again, or how the run failed.

    Args:
        summary: a run summary (`simlib.simulate(...).summary`).

    Returns:
        ``"0 steps again"``-style text for a completed run, ``"fails (EmptyInputError)"``
        (the exception's name) for a run that ended in an error, ``"stopped"`` for a run
        that neither completed nor raised.
    """
    if summary.completed:
        n = summary.completed_steps_lost
        return f"{n} step{'' if n == 1 else 's'} again"
    if summary.error:
        return f"fails ({summary.error.split(':', 1)[0]})"
    return "stopped"


def durability_table(scenario, crashes: dict, supervisor_restart_s: float = 10.0, modes=MODES,
                     seed: int = DEFAULT_SEED, **settings) -> pd.DataFrame:
    """Per durability mode and crash, the finished steps that ran again (or the failure).

    Args:
        scenario: a scenario name or object.
        crashes: column label -> `FaultSchedule`.
        supervisor_restart_s: seconds until the supervisor re-invokes the thread.
        modes: the durability modes to compare, rows in this order.
        seed: the run seed, the same for every cell.
        **settings: further `langgraph` model settings (e.g. ``resume_with="input"``).

    Returns:
        One row per mode, one column per crash label, each cell an `outcome` text.
    """
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise ConfigError(f"durability mode {bad[0]!r} is not known; allowed: {', '.join(MODES)}")
    rows = {}
    for mode in modes:
        model = get_model("langgraph", supervisor_restart_s=supervisor_restart_s, durability=mode, **settings)
        rows[mode] = {label: outcome(simulate(scenario, model, seed=seed, faults=f, record=False).summary)
                      for label, f in crashes.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("durability")
