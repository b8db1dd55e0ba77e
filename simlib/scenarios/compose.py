"""Ready-made multi-engine systems: a migration between engines and a nested agent.

* `migration_system`: in-flight orders stay on the old engine, new orders start
  on the new one, and both announce ``order.paid`` on the event bus, which
  starts a fulfilment run on the new engine for each order;
* `nested_agent_system`: a LangGraph agent runs as one activity of a Temporal
  workflow, and the workflow's ``refund.issued`` event starts a notifier.

``python -m simlib system NAME`` runs one and prints its recovery table. Each
needs several engines at once, so these are `simlib.models.systems.System` objects
rather than registered scenarios: run them with `simlib.models.systems.run_system`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models.systems import (LangGraphInTemporal, Service, System, agent_activity, publish)
from ..core.faults import CrashAt, FaultSchedule

__all__ = ["migration_system", "nested_agent_system", "SYSTEMS"]


def order_workflow(ctx, amount: int = 40):
    """An order: validate, an LLM fraud check, charge the card, announce ``order.paid`` on the bus."""
    yield ctx.tool("validate", latency_s=0.5)
    verdict = yield ctx.llm("fraud-check", choices=("ok", "ok", "ok", "review"), mean_latency_s=6.0)
    charge = yield ctx.tool("charge", effect="charge_card", payload={"amount": amount},
                            idempotency_key=ctx.key("charge"))
    yield publish(ctx, "order.paid", {"order": ctx.workflow_id, "charge": charge, "verdict": verdict},
                  event_id=ctx.key("order.paid"))
    return charge


def fulfil_workflow(ctx, event: dict | None = None):
    """Triggered by ``order.paid``: a shipping label and an email, keyed by the order so repeats are harmless."""
    order = (event or {}).get("data", {}).get("order", "?")
    yield ctx.tool("label", effect="create_label", payload={"order": order}, idempotency_key=f"{order}:label")
    yield ctx.tool("email", effect="send_email", payload={"order": order}, idempotency_key=f"{order}:email")
    return order


def migration_system(old: str = "app-checkpoint", new: str = "temporal", in_flight: int = 3,
                     new_orders: int = 3) -> System:
    """Old engine for in-flight orders, new engine for new ones, the bus carrying ``order.paid`` between them.

    Default faults: the old engine's worker dies right after charging ``orders-old-1``; the new
    engine's worker dies after ``orders-new-2`` published its event (the retry publishes again
    and the bus drops the repeat); the fulfilment worker dies after printing a label.
    """
    return System(
        name="migration", description=f"in-flight orders on {old}, new orders on {new}, events between them",
        services=(
            Service("orders-old", old, order_workflow, instances=in_flight),
            Service("orders-new", new, order_workflow, instances=new_orders, start_s=30.0, interarrival_s=20.0),
            Service("fulfilment", new, fulfil_workflow, trigger="order.paid"),
        ),
        default_faults=FaultSchedule(crashes=(
            CrashAt(3, "after-effect", workflow="orders-old-1"),
            CrashAt(4, "after-effect", workflow="orders-new-2"),
            CrashAt(1, "after-effect", workflow="fulfilment-2"),
        )),
    )


def triage_graph(ctx):
    """The LangGraph agent: classify the ticket, look the order up, draft the reply (one node each)."""
    kind = yield ctx.llm("classify", choices=("refund", "refund", "question"), mean_latency_s=8.0)
    yield ctx.tool("lookup-order", latency_s=1.0)
    reply = yield ctx.llm("draft-reply", mean_latency_s=12.0)
    return {"kind": kind, "reply": reply}


def support_workflow(ctx):
    """Temporal workflow: load the ticket, run the agent as one activity, refund, announce it."""
    yield ctx.tool("load-ticket", latency_s=0.5)
    answer = yield from agent_activity(ctx, "triage-agent", triage_graph)
    refund = yield ctx.tool("refund", effect="refund_card", idempotency_key=ctx.key("refund"))
    yield publish(ctx, "refund.issued", {"ticket": ctx.workflow_id, "refund": refund, "reply": answer["reply"]},
                  event_id=ctx.key("refund.issued"))
    return refund


def notify_workflow(ctx, event: dict | None = None):
    """Triggered by ``refund.issued``: email the customer."""
    ticket = (event or {}).get("data", {}).get("ticket", "?")
    yield ctx.tool("email", effect="send_email", payload={"ticket": ticket}, idempotency_key=f"{ticket}:email")
    return ticket


def nested_agent_system(notifier: str = "temporal", durability: str = "async") -> System:
    """A LangGraph agent inside a Temporal workflow, linked to a notifier service by the bus.

    Default faults: the worker dies inside the graph after the ``draft-reply`` LLM call (step 4:
    Temporal notices the lost heartbeat, LangGraph resumes from the checkpoint after
    ``lookup-order``), then again right after the refund (step 6: Temporal retries the activity
    and the idempotency key absorbs the repeat).
    """
    return System(
        name="nested-agent", description="LangGraph agent in a Temporal activity + event bus to a notifier",
        services=(
            Service("support", LangGraphInTemporal(durability=durability), support_workflow),
            Service("notify", notifier, notify_workflow, trigger="refund.issued"),
        ),
        default_faults=FaultSchedule(crashes=(
            CrashAt(4, "after-effect", workflow="support-1"),
            CrashAt(6, "after-effect", workflow="support-1"),
        )),
    )


SYSTEMS: dict[str, Callable[..., System]] = {"migration": migration_system, "nested-agent": nested_agent_system}
