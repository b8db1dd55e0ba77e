"""Replay a Temporal history against one version of the workflow code, with no server.

Each ``--variant`` (repeatable) is code a new worker might run: ``v1`` (the
code that wrote the history), ``v2`` (a ``moderate`` activity inserted before
the LLM calls: an incompatible change), ``v2-patched`` (the same change behind
``workflow.patched``) or ``v2-append`` (``moderate`` added after the loop, past
anything the history holds). Prints one JSON line: per variant, did the replay
succeed, and the error's type if not. The workflow sandbox re-imports this module, hence the
``__main__`` guard.
"""

import argparse
import asyncio
import json
from datetime import timedelta

from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

T = timedelta(seconds=120)


@workflow.defn(name="Chain", sandboxed=True)
class ChainV1:
    @workflow.run
    async def run(self, calls: int) -> str:
        answer = ""
        for _ in range(calls):
            answer = await workflow.execute_activity("llm_call", answer, start_to_close_timeout=T)
        return answer


@workflow.defn(name="Chain", sandboxed=True)
class ChainV2:
    @workflow.run
    async def run(self, calls: int) -> str:
        await workflow.execute_activity("moderate", "", start_to_close_timeout=T)
        answer = ""
        for _ in range(calls):
            answer = await workflow.execute_activity("llm_call", answer, start_to_close_timeout=T)
        return answer


@workflow.defn(name="Chain", sandboxed=True)
class ChainV2Patched:
    @workflow.run
    async def run(self, calls: int) -> str:
        if workflow.patched("add-moderation"):
            await workflow.execute_activity("moderate", "", start_to_close_timeout=T)
        answer = ""
        for _ in range(calls):
            answer = await workflow.execute_activity("llm_call", answer, start_to_close_timeout=T)
        return answer


@workflow.defn(name="Chain", sandboxed=True)
class ChainV2Append:
    @workflow.run
    async def run(self, calls: int) -> str:
        answer = ""
        for _ in range(calls):
            answer = await workflow.execute_activity("llm_call", answer, start_to_close_timeout=T)
        await workflow.execute_activity("moderate", answer, start_to_close_timeout=T)
        return answer


VARIANTS = {"v1": ChainV1, "v2": ChainV2, "v2-patched": ChainV2Patched, "v2-append": ChainV2Append}


async def replay(path: str, variant: str) -> dict:
    with open(path) as f:
        history = WorkflowHistory.from_json("wf-1", f.read())
    result = await Replayer(workflows=[VARIANTS[variant]]).replay_workflow(history, raise_on_replay_failure=False)
    err = result.replay_failure
    return {"ok": err is None, "error_type": type(err).__name__ if err else None,
            "error": str(err)[:300] if err else None}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--history", required=True)
    p.add_argument("--variant", choices=sorted(VARIANTS), action="append", required=True)
    a = p.parse_args()
    print(json.dumps({v: asyncio.run(replay(a.history, v)) for v in a.variant}))


if __name__ == "__main__":
    main()
