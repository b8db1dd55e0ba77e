"""The booking saga: book a flight, book a hotel, charge the card; undo in reverse on a decline.

Registered as ``booking-saga``. The ``declines`` parameter picks the step the
provider turns down (``"hotel"`` or ``"charge"``, or ``"flight"``/``"none"``).
A declined call fails for business reasons, so no engine retries it; the
workflow catches the `ActivityError` and compensates. With ``declines="charge"``
the saga cancels the hotel and then the flight: the compensations are steps 4
and 5, so ``--crash 4:after-effect`` (the scenario's default fault) kills the
worker in the middle of compensating.
"""

from __future__ import annotations

from ..core.errors import ActivityError, ConfigError
from ..core.faults import CrashAt, FaultSchedule
from ..course.saga import Saga
from ..core.scenario import Scenario, register_scenario

__all__ = ["booking_saga", "DECLINE_CHOICES"]

DECLINE_CHOICES = ("none", "flight", "hotel", "charge")


def booking_saga(ctx, declines: str = "charge", keyed: bool = True):
    """Book a trip as a saga; on a decline, cancel what was booked, newest first.

    Args:
        declines: which provider turns the request down: one of `DECLINE_CHOICES`.
        keyed: send every booking and compensation with an idempotency key.

    Returns:
        ``{"status": "booked", ...}`` or ``{"status": "cancelled", "declined": step, "undone": n}``.
    """
    if declines not in DECLINE_CHOICES:
        raise ConfigError(f"unknown declines value {declines!r}; allowed: {', '.join(DECLINE_CHOICES)}")
    saga = Saga(ctx, "booking", keyed=keyed)
    trip = {"trip": ctx.workflow_id}
    try:
        flight = yield from saga.tool("book-flight", "book_flight", payload=trip, latency_s=2.0,
                                      declines=declines == "flight")
        hotel = yield from saga.tool("book-hotel", "book_hotel", payload=trip, latency_s=2.0,
                                     declines=declines == "hotel")
        charge = yield from saga.tool("charge-card", "charge_card", payload=trip, latency_s=1.0,
                                      declines=declines == "charge")
    except ActivityError as err:
        undone = yield from saga.compensate(err)
        return {"status": "cancelled", "declined": err.step_name, "undone": len(undone)}
    return {"status": "booked", "flight": flight, "hotel": hotel, "charge": charge}


register_scenario(Scenario(
    name="booking-saga",
    description="a trip booking saga (flight, hotel, card); the card is declined, so the hotel and then "
                "the flight are cancelled; the worker crashes during the first cancellation",
    workflow=booking_saga, max_steps=5, params={"declines": "charge", "keyed": True},
    default_faults=FaultSchedule(crashes=(CrashAt(4, "after-effect"),)),
))
