"""An OpenAI Agents SDK agent with a stub model and a card-charging tool, run as its own process.

The stub model decides from the conversation alone, like a real model would:
after a user message "charge order X" it calls ``charge_card(order=X)``; after
the tool's output it answers. Every model call and every charge is appended to
a ledger file. ``--crash-order X`` kills the process with SIGKILL inside the
tool, right after the card for order X was charged; ``--crash-answer X`` kills
it inside the model call that follows the charge (after the tool returned). ``--orders A,B`` are the
user turns this process sends, one ``Runner.run`` each (``--resume`` then
calls ``Runner.run`` once more with no new input, to carry on a crashed turn), on a ``SQLiteSession``
in a file (``--session file``) or in memory (the default ``:memory:``).
No network is used: tracing is off and the model is local.
"""

import argparse
import asyncio
import json
import os
import signal

from agents import Agent, ModelResponse, Runner, SQLiteSession, Usage, function_tool, set_tracing_disabled
from agents.models.interface import Model
from agents.testing import assistant_message, function_call

ARGS = None


def effect(line: str) -> None:
    # fsync so the line survives the SIGKILL that may follow.
    with open(ARGS.ledger, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _field(item, name):
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _text(item) -> str:
    content = _field(item, "content")
    if isinstance(content, str):
        return content
    parts = content or []
    return " ".join(str(_field(p, "text") or "") for p in parts)


class PolicyModel(Model):
    """A deterministic stand-in for an LLM: its next move depends only on the last input item."""

    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing, *, previous_response_id=None, conversation_id=None, prompt=None, **kw):
        items = [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
        last = items[-1]
        if _field(last, "type") == "function_call_output":
            order = json.loads(_field(last, "output") or "{}").get("order", "?")
            effect(f"llm answer {order}")
            if order == ARGS.crash_answer:
                os.kill(os.getpid(), signal.SIGKILL)
            out = [assistant_message(f"charged order {order}")]
        else:
            order = _text(last).split()[-1]
            effect(f"llm plan {order}")
            n = sum(1 for it in items if _field(it, "type") == "function_call")
            out = [function_call("charge_card", {"order": order}, call_id=f"call-{order}-{n + 1}")]
        return ModelResponse(output=out, usage=Usage(), response_id=None)

    def stream_response(self, *args, **kwargs):
        raise NotImplementedError("this stub model does not stream")


@function_tool
def charge_card(order: str) -> str:
    """Charge the customer's card for an order."""
    effect(f"charge {order}")
    if order == ARGS.crash_order:
        os.kill(os.getpid(), signal.SIGKILL)
    return json.dumps({"order": order, "charged": True})


async def run() -> dict:
    set_tracing_disabled(True)
    agent = Agent(name="billing", instructions="Charge orders when asked.", model=PolicyModel(),
                  tools=[charge_card])
    session = SQLiteSession("conv-1", ARGS.db) if ARGS.session == "file" else SQLiteSession("conv-1")
    before = len(await session.get_items())
    for order in [o for o in ARGS.orders.split(",") if o]:
        await Runner.run(agent, f"charge order {order}", session=session)
    if ARGS.resume:
        # Carry on from what the session holds, with no new user message.
        await Runner.run(agent, [], session=session)
    items = await session.get_items()
    return {"items_before": before, "items_after": len(items)}


def main() -> None:
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--ledger", required=True)
    p.add_argument("--db", default="session.sqlite")
    p.add_argument("--session", choices=("file", "memory"), default="file")
    p.add_argument("--orders", default="")
    p.add_argument("--crash-order", default=None)
    p.add_argument("--crash-answer", default=None)
    p.add_argument("--resume", action="store_true")
    ARGS = p.parse_args()
    print(json.dumps(asyncio.run(run())))


if __name__ == "__main__":
    main()
