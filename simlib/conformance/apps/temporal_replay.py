"""Replay a Temporal history against one version of the workflow code with the real Replayer (no server).

``v1`` is the code that wrote the history: three ``llm_call`` activities in a
row. ``timer`` is a code change that sleeps one second (a durable timer) before
the second activity. Prints one JSON line: per variant, whether the replay
succeeded and the error's type if not. The workflow sandbox re-imports this
module, hence the ``__main__`` guard.
"""

import argparse
import asyncio
import json
from datetime import timedelta

from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

T = timedelta(seconds=5)


@workflow.defn(name="Chain", sandboxed=True)
class ChainV1:
    @workflow.run
    async def run(self, calls: int) -> str:
        answer = ""
        for _ in range(calls):
            answer = await workflow.execute_activity("llm_call", answer, start_to_close_timeout=T)
        return answer


@workflow.defn(name="Chain", sandboxed=True)
class ChainTimer:
    @workflow.run
    async def run(self, calls: int) -> str:
        answer = ""
        for i in range(calls):
            if i == 1:
                await workflow.sleep(1)
            answer = await workflow.execute_activity("llm_call", answer, start_to_close_timeout=T)
        return answer


VARIANTS = {"v1": ChainV1, "timer": ChainTimer}


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
