"""An OpenAI Agents SDK agent whose card-charging tool needs human approval, run as its own process.

A local stub model drafts the tool call from the user's message and answers
once the tool's output is back; each model call and each charge is a ledger
line. ``--mode pause`` runs until the SDK stops for approval and saves the run
as a ``RunState`` string in ``--state``; then the process ends, as a service
would while a person decides. ``--mode approve`` (a new process) loads that
state, approves the tool call and runs to the end. No network: tracing is off.
"""

import argparse
import asyncio
import json
from pathlib import Path

from _ledger import note
from agents import Agent, ModelResponse, Runner, RunState, Usage, function_tool, set_tracing_disabled
from agents.models.interface import Model
from agents.testing import assistant_message, function_call

p = argparse.ArgumentParser()
p.add_argument("--ledger", required=True)
p.add_argument("--state", required=True)
p.add_argument("--mode", choices=("pause", "approve"), required=True)
ARGS = p.parse_args()


def _last_type(items) -> str | None:
    last = items[-1]
    return last.get("type") if isinstance(last, dict) else getattr(last, "type", None)


class DraftingModel(Model):
    """Calls ``charge_card`` for a user message; answers after the tool's output."""

    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing, **kw):
        items = [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
        if _last_type(items) == "function_call_output":
            note(ARGS.ledger, "llm", "answer")
            out = [assistant_message("charged order A")]
        else:
            note(ARGS.ledger, "llm", "draft")
            out = [function_call("charge_card", {"order": "A"}, call_id="call-A")]
        return ModelResponse(output=out, usage=Usage(), response_id=None)

    def stream_response(self, *args, **kwargs):
        raise NotImplementedError("this stub model does not stream")


@function_tool(needs_approval=True)
def charge_card(order: str) -> str:
    """Charge the customer's card for an order."""
    note(ARGS.ledger, "effect", "charge")
    return json.dumps({"order": order, "charged": True})


async def main() -> dict:
    set_tracing_disabled(True)
    agent = Agent(name="billing", instructions="Charge orders when asked.", model=DraftingModel(),
                  tools=[charge_card])
    if ARGS.mode == "pause":
        result = await Runner.run(agent, "charge order A")
        Path(ARGS.state).write_text(result.to_state().to_string())
        return {"interruptions": len(result.interruptions)}
    state = await RunState.from_string(agent, Path(ARGS.state).read_text())
    for item in state.get_interruptions():
        state.approve(item)
    result = await Runner.run(agent, state)
    return {"final": str(result.final_output)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
