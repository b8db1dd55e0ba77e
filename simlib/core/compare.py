"""Run the same scenario and faults through several models and line them up."""

from __future__ import annotations

from typing import Any

from .engine import simulate
from .registry import get_model, model_names
from .rng import DEFAULT_SEED

__all__ = ["compare_runs", "compare_table", "COMPARE_COLUMNS"]

COMPARE_COLUMNS = ("model", "completed", "steps_reexecuted", "duplicate_effects", "llm_cost_reexecuted_usd",
                   "time_to_recover_s", "time_stalled_s", "duration_s", "stalled")


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


def compare_table(rows: list[dict[Any, Any]]) -> str:
    """A fixed-width text table of the main columns."""
    heads = ["model", "completed", "re-executed", "duplicates", "usd re-spent", "recover s", "stalled s",
             "duration s", "stopped because"]
    body = []
    for r in rows:
        body.append([r["model"], "yes" if r["completed"] else "NO", str(r["steps_reexecuted"]),
                     str(r["duplicate_effects"]), f"{r['llm_cost_reexecuted_usd']:.4f}",
                     f"{r['time_to_recover_s']:.1f}", f"{r['time_stalled_s']:.1f}", f"{r['duration_s']:.1f}",
                     r["stalled"] or r["error"] or ""])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)
