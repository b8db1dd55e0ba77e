"""Run the same scenario and faults through several models and line them up."""

from __future__ import annotations

from typing import Any

from .engine import simulate
from .registry import get_model, model_names
from .rng import DEFAULT_SEED

__all__ = ["compare_runs", "compare_table", "COMPARE_COLUMNS", "recover_cell", "ended_cell"]

COMPARE_COLUMNS = ("model", "completed", "steps_reexecuted", "duplicate_effects", "llm_cost_reexecuted_usd",
                   "llm_cost_lost_usd", "time_to_recover_s", "time_stalled_s", "duration_s", "stalled")


def compare_runs(scenario: Any, seed: int = DEFAULT_SEED, faults: Any = None, models: Any = None) -> list[dict[Any, Any]]:
    """One summary dict per model (each with a ``model`` field), same seed and faults for all."""
    names = list(models) if models else model_names()
    rows = []
    for name in names:
        res = simulate(scenario, get_model(name), seed=seed, faults=faults)
        d = res.summary.to_dict()
        d["replay_token"] = res.token.to_json()
        rows.append(d)
    return rows


def recover_cell(seconds: float | None, digits: int = 1) -> str:
    """A recovery time for a table: ``-`` when the run never recovered (``time_to_recover_s`` is None)."""
    return "-" if seconds is None else f"{seconds:.{digits}f}"


def ended_cell(row: dict[Any, Any], digits: int = 1) -> str:
    """When a run ended, marked ``(stopped)`` unless it completed: a stopped run's time is not a finish."""
    cell = f"{row['duration_s']:.{digits}f}"
    return cell if row["completed"] else f"{cell} (stopped)"


def compare_table(rows: list[dict[Any, Any]]) -> str:
    """A fixed-width text table of the main columns.

    A run that never recovered from a crash shows ``-`` as its recovery time, and the time a run
    that did not complete ended at is marked ``(stopped)``.
    """
    heads = ["model", "completed", "re-executed", "duplicates", "usd re-spent", "usd lost", "recover s",
             "stalled s", "ended at s", "stopped because"]
    body = []
    for r in rows:
        body.append([r["model"], "yes" if r["completed"] else "NO", str(r["steps_reexecuted"]),
                     str(r["duplicate_effects"]), f"{r['llm_cost_reexecuted_usd']:.4f}",
                     f"{r['llm_cost_lost_usd']:.4f}", recover_cell(r["time_to_recover_s"]),
                     f"{r['time_stalled_s']:.1f}", ended_cell(r), r["stalled"] or r["error"] or ""])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)
