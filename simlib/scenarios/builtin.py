"""The built-in scenarios: Self-Check Q1, the side-effect chains, the agent loop and the approval flow.

Each workflow is a generator function taking the context and its parameters;
importing this module registers them.
"""

from __future__ import annotations

from ..core.faults import CrashAt, FaultSchedule
from ..core.scenario import Scenario, register_scenario

__all__ = ["llm_chain", "five_effects", "agent_loop", "approval"]


# ---------------------------------------------------------------------- workflows
def llm_chain(ctx, calls: int = 20):
    """Self-Check Q1: ``calls`` sequential LLM calls, each building on the last."""
    answer = ""
    for i in range(1, calls + 1):
        answer = yield ctx.llm(f"llm-{i:02d}", prompt=answer)
    return answer


def five_effects(ctx, keyed: bool = False):
    """Five tool calls in a row, each with an external side effect."""
    plan = [("charge", "charge_card"), ("email", "send_email"), ("label", "create_label"),
            ("reserve", "reserve_inventory"), ("publish", "publish_event")]
    results = []
    for name, effect in plan:
        key = ctx.key(name) if keyed else None
        results.append((yield ctx.tool(name, effect=effect, payload={"order": ctx.workflow_id},
                                       idempotency_key=key)))
    return results


def agent_loop(ctx, max_turns: int = 6):
    """An agent whose next tool is chosen by the LLM at run time (the graph is not known up front)."""
    tools = {"search": None, "lookup_order": None, "refund": "refund_card", "email": "send_email"}
    done = []
    for turn in range(1, max_turns + 1):
        choice = yield ctx.llm(f"plan-{turn}", choices=("search", "lookup_order", "refund", "email", "done"),
                               mean_latency_s=8.0)
        if choice == "done":
            break
        effect = tools[choice]
        yield ctx.tool(f"{choice}-{turn}", effect=effect, idempotency_key=ctx.key(f"{choice}-{turn}"),
                       latency_s=2.0)
        done.append(choice)
    return done


def approval(ctx, timeout_s: float = 4 * 3600):
    """Draft with an LLM, wait for a human's approval, then send; a reminder timer in between."""
    draft = yield ctx.llm("draft", mean_latency_s=20.0)
    yield ctx.sleep("cool-off", 600)
    decision = yield ctx.wait_event("approval", timeout_s)
    if decision == "approve":
        yield ctx.tool("send", effect="send_email", payload={"draft": draft}, idempotency_key=ctx.key("send"))
        return "sent"
    return "expired" if decision is None else "rejected"


def _llm_chain_v2(ctx, calls: int = 20):
    """Q1's workflow after an incompatible change: a moderation tool call inserted before the LLM calls."""
    yield ctx.tool("moderate", effect=None)
    answer = ""
    for i in range(1, calls + 1):
        answer = yield ctx.llm(f"llm-{i:02d}", prompt=answer)
    return answer


def _llm_chain_v2_patched(ctx, calls: int = 20):
    """The same change guarded by ``ctx.patched``: old runs replay the old path."""
    if ctx.patched("add-moderation"):
        yield ctx.tool("moderate", effect=None)
    answer = ""
    for i in range(1, calls + 1):
        answer = yield ctx.llm(f"llm-{i:02d}", prompt=answer)
    return answer


register_scenario(Scenario(
    name="q1",
    description="Self-Check Q1: 20 sequential LLM calls over about 15 minutes; the worker crashes "
                "after step 14 completed, in the middle of step 15",
    workflow=llm_chain, max_steps=20, params={"calls": 20},
    default_faults=FaultSchedule(crashes=(CrashAt(15, "after-effect"),)),
    variants={"v2": _llm_chain_v2, "v2-patched": _llm_chain_v2_patched},
))
register_scenario(Scenario(
    name="five-effects",
    description="5 sequential tool calls, each with an external side effect and no idempotency key",
    workflow=five_effects, max_steps=5, params={"keyed": False},
))
register_scenario(Scenario(
    name="five-effects-keyed",
    description="the same 5 side effects, each sent with an idempotency key",
    workflow=five_effects, max_steps=5, params={"keyed": True},
))
register_scenario(Scenario(
    name="agent-loop",
    description="an agent whose next tool is chosen by the LLM at run time (up to 6 turns)",
    workflow=agent_loop, max_steps=12, params={"max_turns": 6},
))
register_scenario(Scenario(
    name="approval",
    description="LLM draft, a 10-minute durable timer, then a human approval (arrives after 1 h) and an email",
    workflow=approval, max_steps=4, signals={"approval": (3600.0, "approve")},
))

