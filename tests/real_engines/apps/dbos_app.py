"""A DBOS workflow of five steps on SQLite, run as its own process.

Each ``@DBOS.step()`` appends its name to a ledger file before it returns.
``--crash N`` kills the process with SIGKILL right after step N's effect, before
DBOS records the step's output. ``--mode recover`` only launches DBOS, which
finds the PENDING workflow in the system database and runs it again; the script
then waits up to ``--wait-s`` seconds for the workflow to leave PENDING and
prints its status. ``--variant v2`` deploys changed workflow code (a ``s0``
step inserted first); ``--app-version`` pins DBOS's application version, which
is otherwise a hash of the workflow source. ``--txn-db FILE`` makes step 3 a
DBOS datasource transaction that inserts a row into a table in that SQLite
file; its crash then comes before the transaction commits.
"""

import argparse
import json
import os
import signal
import sys
import time

from dbos import DBOS, SetWorkflowID

p = argparse.ArgumentParser()
p.add_argument("--db", required=True)
p.add_argument("--ledger", required=True)
p.add_argument("--crash", type=int, default=0)
p.add_argument("--mode", choices=("start", "recover"), default="start")
p.add_argument("--variant", choices=("v1", "v2"), default="v1")
p.add_argument("--app-version", default=None)
p.add_argument("--wait-s", type=float, default=60.0)
p.add_argument("--txn-db", default=None)
ARGS = p.parse_args() if __name__ == "__main__" else None


def effect(line: str) -> None:
    # fsync so the line survives the SIGKILL that may follow.
    with open(ARGS.ledger, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def make_step(name: str, index: int):
    @DBOS.step(name=name)
    def step() -> str:
        effect(name)
        if index == ARGS.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        return name
    return step


def make_transaction(name: str, index: int, url: str):
    """Step ``index`` as a datasource transaction: its write and its checkpoint commit together."""
    import sqlalchemy as sa
    from dbos import SQLAlchemyDatasource

    ds = SQLAlchemyDatasource.create(url)
    with ds.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS labels (workflow TEXT, step TEXT)"))

    @ds.transaction(name=name)
    def txn() -> str:
        ds.sql_session().execute(sa.text("INSERT INTO labels VALUES ('wf-1', :s)"), {"s": name})
        effect(name)            # the ledger counts attempts; the table counts committed writes
        if index == ARGS.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        return name
    return txn


def steps() -> list:
    made = []
    for i in range(1, 6):
        if ARGS is not None and ARGS.txn_db and i == 3:
            made.append(make_transaction(f"s{i}", i, f"sqlite:///{ARGS.txn_db}"))
        else:
            made.append(make_step(f"s{i}", i))
    return made


S0 = make_step("s0", 0)
STEPS = steps()

if ARGS is not None and ARGS.variant == "v2":
    @DBOS.workflow(name="five_effects")
    def five_effects() -> list:
        return [S0()] + [s() for s in STEPS]
else:
    @DBOS.workflow(name="five_effects")
    def five_effects() -> list:
        return [s() for s in STEPS]


def main() -> None:
    wfid = "wf-1"
    config = {"name": "conformance", "system_database_url": f"sqlite:///{ARGS.db}", "log_level": "WARNING"}
    if ARGS.app_version:
        config["application_version"] = ARGS.app_version
    DBOS(config=config)
    DBOS.launch()
    if ARGS.mode == "start":
        with SetWorkflowID(wfid):
            five_effects()
    else:
        # launch() queued the recovery of this executor's PENDING workflows; watch ours.
        deadline = time.monotonic() + ARGS.wait_s
        while DBOS.get_workflow_status(wfid).status in ("PENDING", "ENQUEUED") and time.monotonic() < deadline:
            time.sleep(0.2)
    st = DBOS.get_workflow_status(wfid)
    rows = None
    if ARGS.txn_db:
        import sqlite3

        with sqlite3.connect(ARGS.txn_db) as conn:
            rows = conn.execute("SELECT count(*) FROM labels").fetchone()[0]
    print(json.dumps({"rows": rows, "status": st.status, "error": type(st.error).__name__ if st.error else None,
                      "recovery_attempts": st.recovery_attempts, "app_version": st.app_version}))
    sys.stdout.flush()
    DBOS.destroy()


if __name__ == "__main__":
    main()
