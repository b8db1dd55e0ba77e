"""A Restate service whose handler runs five ``ctx.run`` steps, served by hypercorn on 127.0.0.1.

Each step appends its name to a ledger file. With ``--crash N`` the process
kills itself with SIGKILL right after step N's effect, before the SDK can send
the step's result to the Restate server's journal; a marker file makes that
happen only once, so the replacement process (started by the test) runs
normally and the server's retry finds it.
"""

import argparse
import asyncio
import os
import signal

import restate
from hypercorn.asyncio import serve
from hypercorn.config import Config

p = argparse.ArgumentParser()
p.add_argument("--ledger", required=True)
p.add_argument("--crash", type=int, default=0)
p.add_argument("--port", type=int, default=9080)
ARGS = p.parse_args() if __name__ == "__main__" else None

five = restate.Service("Five")


def effect(line: str) -> None:
    # fsync so the line survives the SIGKILL that may follow.
    with open(ARGS.ledger, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def make_step(index: int):
    def step() -> str:
        name = f"s{index}"
        effect(name)
        marker = ARGS.ledger + ".crashed"
        if index == ARGS.crash and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return name
    return step


@five.handler()
async def run(ctx: restate.Context, order: str) -> list:
    out = []
    for i in range(1, 6):
        out.append(await ctx.run(f"s{i}", make_step(i)))
    return out


def main() -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{ARGS.port}"]
    config.accesslog = None
    asyncio.run(serve(restate.app([five]), config))


if __name__ == "__main__":
    main()
