"""Scenarios that show Restate's virtual objects: one exclusive handler per key.

A virtual-object handler is an ordinary workflow whose parameters include the
object's key, ``object_key``. Under Restate, instances that share a key run one
at a time, each queued behind the one before; the other engines ignore the key
and run them side by side.
"""

from __future__ import annotations

from ..core.scenario import Scenario, register_scenario

__all__ = ["cart_turn"]


def cart_turn(ctx, object_key: str = "customer-42"):
    """One turn of a customer's shopping assistant: the LLM suggests an item, then it goes in the cart.

    Args:
        object_key: the virtual object's key: the customer whose cart (and session) this is.
    """
    item = yield ctx.llm("suggest", prompt=object_key, mean_latency_s=10.0)
    yield ctx.tool("add-to-cart", effect="write_db", payload={"cart": object_key, "item": item},
                   idempotency_key=ctx.key("add-to-cart"))
    return item


register_scenario(Scenario(
    name="virtual-object",
    description="3 requests for the same customer's cart, 1 s apart: each an LLM call and a keyed cart "
                "update (Restate runs them one at a time per key)",
    workflow=cart_turn, max_steps=2, params={"object_key": "customer-42"},
    instances=3, interarrival_s=1.0,
))
