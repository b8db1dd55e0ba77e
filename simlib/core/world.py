"""The outside world: a ledger of every external side effect.

The ledger behaves like a payment provider's idempotency layer: an effect sent
with an idempotency key it has already seen causes nothing new and returns the
first result. Effects without a key always happen, so a re-executed step
without one charges the card again.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Effect", "Ledger", "EFFECT_KINDS", "COMPENSATIONS"]

EFFECT_KINDS = (
    "charge_card", "refund_card", "send_email", "create_label", "void_label",
    "reserve_inventory", "release_inventory", "book_flight", "cancel_flight",
    "book_hotel", "cancel_hotel", "write_db", "publish_event", "call_api",
)

# The effect that undoes each effect (used by sagas and the course's tables).
COMPENSATIONS = {
    "charge_card": "refund_card",
    "create_label": "void_label",
    "reserve_inventory": "release_inventory",
    "book_flight": "cancel_flight",
    "book_hotel": "cancel_hotel",
}


class Effect(NamedTuple):
    """One side effect as the outside world saw it."""

    time: float
    workflow: str
    step: int
    name: str
    attempt: int
    kind: str
    key: str | None
    payload: dict[Any, Any]
    result: str
    deduplicated: bool


class Ledger:
    """Every side effect of a run, in order, with idempotency-key handling."""

    __slots__ = ("effects", "_by_key", "_count")

    def __init__(self) -> None:
        self.effects: list[Effect] = []
        self._by_key: dict[str, str] = {}
        self._count = 0

    def apply(self, time: float, workflow: str, step: int, name: str, attempt: int, kind: str,
              key: str | None, payload: dict[Any, Any] | None = None) -> Effect:
        """Perform an effect (or recognise a repeat of a keyed one) and log it."""
        if key is not None and key in self._by_key:
            eff = Effect(time, workflow, step, name, attempt, kind, key, payload or {}, self._by_key[key], True)
        else:
            self._count += 1
            result = f"{kind}-{self._count:04d}"
            if key is not None:
                self._by_key[key] = result
            eff = Effect(time, workflow, step, name, attempt, kind, key, payload or {}, result, False)
        self.effects.append(eff)
        return eff

    def applied(self) -> list[Effect]:
        """The effects that really happened (repeats of a known key excluded)."""
        return [e for e in self.effects if not e.deduplicated]

    def count(self, kind: str, workflow: str | None = None) -> int:
        """How many effects of ``kind`` really happened (optionally for one workflow)."""
        return sum(1 for e in self.effects
                   if not e.deduplicated and e.kind == kind and (workflow is None or e.workflow == workflow))

    def duplicates(self) -> int:
        """Effects that happened more than once for the same logical operation.

        A logical operation is its idempotency key when it has one, otherwise
        its (workflow, step number, step name).
        """
        seen: dict[Any, Any] = {}
        for e in self.effects:
            if e.deduplicated:
                continue
            ident = e.key if e.key is not None else (e.workflow, e.step, e.name)
            seen[ident] = seen.get(ident, 0) + 1
        return sum(n - 1 for n in seen.values() if n > 1)
