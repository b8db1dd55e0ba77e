"""A Restate service whose handler runs a chain of ``ctx.run`` steps, served by hypercorn on 127.0.0.1.

Each step notes its start, works ``--work-s`` seconds, then has its effect
(ledger lines). With ``--crash N`` the process kills itself with SIGKILL right
after step N's effect, before the SDK sends the result to the server's
journal; a marker file makes that happen once, so the replacement process runs
normally when the server retries the invocation. ``--serve-at`` holds the
replacement's listening socket until a given moment, so the test controls when
it comes back relative to the server's retry schedule.
"""

import argparse
import asyncio
import os
import signal
import time

import restate
from _ledger import note
from hypercorn.asyncio import serve
from hypercorn.config import Config

p = argparse.ArgumentParser()
p.add_argument("--ledger", required=True)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--crash", type=int, default=0)
p.add_argument("--work-s", type=float, default=0.0)
p.add_argument("--port", type=int, default=9080)
p.add_argument("--serve-at", type=float, default=0.0, help="unix time to start listening (after imports)")
ARGS = p.parse_args()

chain = restate.Service("Chain")


def make_step(index: int):
    def step() -> str:
        name = f"s{index}"
        note(ARGS.ledger, "start", name)
        time.sleep(ARGS.work_s)
        note(ARGS.ledger, "effect", name)
        marker = ARGS.ledger + ".crashed"
        if index == ARGS.crash and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return name
    return step


@chain.handler()
async def run(ctx: restate.Context, order: str) -> list:
    return [await ctx.run(f"s{i}", make_step(i)) for i in range(1, ARGS.steps + 1)]


def main() -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{ARGS.port}"]
    config.accesslog = None
    time.sleep(max(0.0, ARGS.serve_at - time.time()))
    asyncio.run(serve(restate.app([chain]), config))


if __name__ == "__main__":
    main()
