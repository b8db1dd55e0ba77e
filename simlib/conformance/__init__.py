"""Conformance: run the real durable-execution engines installed here next to their models.

Each engine module (`langgraph`, `dbos`, `restate`, `temporal`, `inngest`, `agents`)
runs its real engine offline with a crash, runs the simulator with the same
workflow and crash, and returns `Row` objects: a behaviour, the real value, the
simulated value and whether they agree within a stated tolerance. An engine
that is not installed gives one "skipped" row. ``python -m simlib conformance``
prints the rows as a table.

Rows with ``known_gap`` set are behaviours where the model is known to be wrong
today; they are shown, and counted, as disagreeing.
"""

from __future__ import annotations

import importlib
import platform
import time
from datetime import datetime, timezone

from .rows import KNOWN_GAP, Row, to_json, to_markdown, to_text

__all__ = ["ENGINES", "run", "machine", "Row", "KNOWN_GAP", "to_text", "to_markdown", "to_json"]

# name -> module; each module has ``rows() -> list[Row]``.
ENGINES: dict[str, str] = {
    "langgraph": "simlib.conformance.langgraph",
    "dbos": "simlib.conformance.dbos",
    "restate": "simlib.conformance.restate",
    "temporal": "simlib.conformance.temporal",
    "inngest": "simlib.conformance.inngest",
    "agents": "simlib.conformance.agents",
}


def run(engines: list[str] | None = None, progress=None) -> tuple[list[Row], dict]:
    """Run the named engines (all by default); return the rows and the run's metadata.

    Args:
        engines: names from `ENGINES`.
        progress: optional ``callable(str)`` told which engine starts.
    """
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    for name in engines or list(ENGINES):
        if progress:
            progress(name)
        t0 = time.monotonic()
        rows += importlib.import_module(ENGINES[name]).rows()
        seconds[name] = round(time.monotonic() - t0, 2)
    return rows, {**machine(), "seconds": seconds}


def machine() -> dict:
    """Where and when the table was made (the README quotes it)."""
    import os

    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "python": platform.python_version()}
