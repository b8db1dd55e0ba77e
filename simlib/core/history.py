"""The flat history of a run: one record per thing that happened.

Records follow Jepsen's vocabulary: ``invoke`` when a step starts, ``ok`` when
it finished and its result was recorded, ``fail`` when it failed, and ``info``
for everything whose outcome is indefinite or merely informative (a crash, a
replayed step, an applied side effect, a stall).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable, NamedTuple

__all__ = ["Record", "History", "COLUMNS"]

COLUMNS = ("time", "workflow", "step", "attempt", "kind", "worker", "event", "detail")
KINDS = ("invoke", "ok", "fail", "info")


class Record(NamedTuple):
    """One history entry.

    Attributes:
        time: simulated seconds since the run started.
        workflow: the workflow instance id (``"wf-1"``).
        step: the step's sequence number (1-based) or ``None`` for workflow-level records.
        attempt: the execution attempt of that step (1 for the first).
        kind: ``invoke``, ``ok``, ``fail`` or ``info``.
        worker: the worker process that did it (``"worker-1"``) or the component.
        event: what happened (``llm``, ``tool``, ``effect``, ``crash``, ``replay`` ...).
        detail: a small JSON-safe dict.
    """

    time: float
    workflow: str
    step: int | None
    attempt: int
    kind: str
    worker: str
    event: str
    detail: dict[Any, Any]


def _canon(rec: Record) -> list[Any]:
    return [round(rec.time, 6), rec.workflow, rec.step, rec.attempt, rec.kind, rec.worker, rec.event, rec.detail]


class History(list[Record]):
    """A list of `Record` with conversions; records are appended in time order."""

    def to_dataframe(self) -> Any:
        """Return the history as a pandas DataFrame with one column per field."""
        import pandas as pd

        return pd.DataFrame([tuple(r) for r in self], columns=list(COLUMNS))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, times rounded to the microsecond)."""
        return json.dumps([_canon(r) for r in self], sort_keys=True, separators=(",", ":"), default=str)

    def sha256(self) -> str:
        """SHA-256 of the canonical JSON: equal histories give equal digests."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def where(self, **match: Any) -> "History":
        """Records whose fields equal every given value (``event="crash"``)."""
        return History(r for r in self if all(getattr(r, k) == v for k, v in match.items()))

    @classmethod
    def from_records(cls, rows: Iterable[Any]) -> "History":
        """Rebuild a history from plain rows (lists or tuples in `COLUMNS` order)."""
        return cls(Record(*row) for row in rows)
