"""A DBOS workflow of ``--steps`` steps on SQLite, run as its own process.

Each ``@DBOS.step()`` notes its start, works ``--work-s`` seconds, then has its
effect (ledger lines). ``--crash N`` kills the process with SIGKILL right after
step N's effect, before DBOS saves the step's output. ``--mode recover`` only
launches DBOS, whose recovery finds the PENDING workflow and runs it again, and
waits for it to finish. Prints one JSON line: when ``DBOS.launch()`` returned,
when the workflow was seen finished, and its status.
"""

import argparse
import json
import os
import signal
import time

from _ledger import note
from dbos import DBOS, SetWorkflowID

p = argparse.ArgumentParser()
p.add_argument("--db", required=True)
p.add_argument("--ledger", required=True)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--crash", type=int, default=0)
p.add_argument("--work-s", type=float, default=0.0)
p.add_argument("--mode", choices=("start", "recover"), default="start")
p.add_argument("--wait-s", type=float, default=60.0)
ARGS = p.parse_args()


def make_step(name: str, index: int):
    @DBOS.step(name=name)
    def step() -> str:
        note(ARGS.ledger, "start", name)
        time.sleep(ARGS.work_s)
        note(ARGS.ledger, "effect", name)
        if index == ARGS.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        return name
    return step


STEPS = [make_step(f"s{i}", i) for i in range(1, ARGS.steps + 1)]


@DBOS.workflow(name="chain")
def chain() -> list:
    return [s() for s in STEPS]


def _status():
    st = DBOS.get_workflow_status("wf-1")
    return st.status if st else None


def main() -> None:
    DBOS(config={"name": "conformance", "system_database_url": f"sqlite:///{ARGS.db}", "log_level": "WARNING",
                 "application_version": "conformance-1"})
    DBOS.launch()
    launched = time.time()
    if ARGS.mode == "start":
        with SetWorkflowID("wf-1"):
            chain()
    else:
        deadline = time.monotonic() + ARGS.wait_s
        while _status() in ("PENDING", "ENQUEUED") and time.monotonic() < deadline:
            time.sleep(0.01)
    done = time.time()
    status = _status()
    print(json.dumps({"launched_at": launched, "done_at": done, "status": status}), flush=True)
    DBOS.destroy()


if __name__ == "__main__":
    main()
