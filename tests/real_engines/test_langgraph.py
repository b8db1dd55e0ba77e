"""LangGraph with a SQLite checkpointer against simlib's ``langgraph`` model.

The real graph has five sequential nodes, each with a side effect; the process
is killed right after node 3's effect, before LangGraph saves node 3's output.
A fresh process then does what a supervisor would: ``invoke(None, cfg)`` on the
same thread_id. The ledger says which nodes ran again. The simulator runs the
``five-effects`` scenario (one step per node, so one super-step per step) with
the same crash.
"""

from ._harness import (assert_agree, effects, executions, model_or_skip, read_ledger, require,
                       run_app, simulate_crash)

require("langgraph", "langgraph.checkpoint.sqlite")

NODES = ["n1", "n2", "n3", "n4", "n5"]
PRELOAD = ("langgraph.graph", "langgraph.checkpoint.sqlite")
APP = "langgraph_app.py"


def app(*args: str, cwd):
    """Run this engine's app in a fresh process (forked after the engine library is imported)."""
    return run_app(APP, *args, cwd=cwd, preload=PRELOAD)


def per_node(ledger) -> list[int]:
    lines = read_ledger(ledger)
    return [lines.count(n) for n in NODES]


def crash_node_3(workdir, durability: str, work_s: float = 0.0):
    """Run the graph until the process dies after node 3's effect; return the app args and ledger."""
    db, ledger = workdir / "checkpoints.sqlite", workdir / "ledger.txt"
    args = ["--db", str(db), "--ledger", str(ledger), "--durability", durability, "--work-s", str(work_s)]
    crashed = app(*args, "--crash", "3", cwd=workdir)
    assert crashed.killed, f"the graph should have died of SIGKILL in node 3\n{crashed.stderr[-2000:]}"
    return args, ledger


def sim(durability: str, supervisor_restart_s, **config):
    model = model_or_skip("langgraph").with_config(durability=durability, supervisor_restart_s=supervisor_restart_s,
                                                    **config)
    return simulate_crash("five-effects", model, 3)


def first_rerun(runs: list[int]) -> list[str]:
    return [NODES[i] for i, n in enumerate(runs) if n > 1][:1]


def test_sync_crash_after_node_3_effect_reruns_only_node_3(workdir):
    """durability="sync": nothing moves until someone invokes again; then only node 3 runs again."""
    args, ledger = crash_node_3(workdir, "sync")
    after_crash = per_node(ledger)
    resumed = app(*args, "--mode", "resume", cwd=workdir)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    state = resumed.json()
    real = per_node(ledger)

    left = sim("sync", None)          # nobody invokes the thread again
    back = sim("sync", 1.0)           # a supervisor does, 1 s later
    assert_agree("LangGraph durability=sync, crash after node 3's effect", [
        ("runs per node while nobody re-invokes", after_crash, executions(left, 5)),
        ("finished without a re-invoke", False, left.summary.completed),
        ("nodes restored from checkpoints", len(state["done_before"]), back.summary.steps_replayed),
        ("where the thread resumes", state["next_before"], first_rerun(executions(back, 5))),
        ("runs per node after invoke(None, cfg)", real, executions(back, 5)),
        ("effects per node", real, effects(back, 5)),
        ("finished after the re-invoke", state["result"]["done"] == NODES, back.summary.completed),
    ])


def test_async_default_resumes_from_the_last_checkpoint(workdir):
    """durability="async" (the default): with nodes that take a moment, each checkpoint lands in time.

    With instant nodes the real engine can lose the newest checkpoint(s) in the crash (seen while
    writing this suite: nodes 1-3 or 2-3 ran again in 2 runs of 6). The model loses a checkpoint only
    when the crash falls inside its write window, so this test gives each node 0.3 s of work.
    """
    args, ledger = crash_node_3(workdir, "async", work_s=0.3)
    resumed = app(*args, "--mode", "resume", cwd=workdir)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    back = sim("async", 1.0)
    assert_agree("LangGraph durability=async (default), crash after node 3's effect", [
        ("nodes restored from checkpoints", len(resumed.json()["done_before"]), back.summary.steps_replayed),
        ("runs per node after invoke(None, cfg)", per_node(ledger), executions(back, 5)),
        ("finished after the re-invoke", resumed.json()["result"]["done"] == NODES, back.summary.completed),
    ])


def test_exit_durability_loses_everything(workdir):
    """durability="exit": nothing reaches the checkpointer before the graph exits, so a crash loses it all.

    ``invoke(None, cfg)`` then has nothing to resume and raises EmptyInputError, as the model's
    default supervisor (``resume_with="none"``) does; sending the input again re-runs every node
    from START, as the model does with ``resume_with="input"``.
    """
    args, ledger = crash_node_3(workdir, "exit")
    after_crash = per_node(ledger)
    again = app(*args, "--mode", "resume", "--restart-if-empty", cwd=workdir)
    assert again.returncode == 0, again.stderr[-2000:]
    state = again.json()
    stuck = sim("exit", 1.0)
    back = sim("exit", 1.0, resume_with="input")
    assert_agree("LangGraph durability=exit, crash after node 3's effect", [
        ("runs per node before the re-invoke", after_crash, executions(stuck, 5)),
        ("invoke(None, cfg) raised", state["error"], (stuck.summary.error or "").split(":")[0]),
        ("nodes restored from checkpoints", len(state["done_before"]), back.summary.steps_replayed),
        ("runs per node after the input is sent again", per_node(ledger), executions(back, 5)),
        ("finished", state["result"]["done"] == NODES, back.summary.completed),
    ])


def test_invoking_the_input_again_on_the_same_thread_restarts_from_start(workdir):
    """The common mistake: after the crash the supervisor calls ``invoke(input, cfg)`` instead of
    ``invoke(None, cfg)``. LangGraph takes it as a new run of the thread and starts from START, so the
    nodes before the crash run twice; the model does the same with ``resume_with="input"``."""
    args, ledger = crash_node_3(workdir, "sync")
    again = app(*args, "--mode", "start", cwd=workdir)
    assert again.returncode == 0, again.stderr[-2000:]
    real = per_node(ledger)
    assert real == [2, 2, 2, 1, 1], real
    back = sim("sync", 1.0, resume_with="input")
    assert_agree("LangGraph durability=sync, crash after node 3's effect, then invoke(input, cfg)", [
        ("runs per node after invoke(input, cfg)", real, executions(back, 5)),
        ("effects per node", real, effects(back, 5)),
        ("finished", again.json()["result"]["done"][-5:] == NODES, back.summary.completed),
    ])


def outage_then_resume(workdir, durability: str, work_s: float = 0.0):
    """Node 3 locks the checkpointer DB for the rest of the process; a later process resumes.

    ``work_s`` gives each node that much work first: with async durability and instant nodes the
    checkpoint after node 2 may still be in flight when node 3 takes the lock (then nodes 2-5 run
    again, not 3-5), as `test_async_default_resumes_from_the_last_checkpoint` notes for crashes.
    """
    ledger = workdir / "ledger.txt"
    args = ["--db", str(workdir / "checkpoints.sqlite"), "--ledger", str(ledger), "--durability", durability,
            "--work-s", str(work_s)]
    first = app(*args, "--lock-db", "3", cwd=workdir)
    assert first.returncode == 0, first.stderr[-2000:]
    during = per_node(ledger)
    resumed = app(*args, "--mode", "resume", cwd=workdir)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    return first.json(), during, resumed.json(), per_node(ledger)


def sim_outage(durability: str, supervisor_restart_s):
    from simlib import FaultSchedule, Outage, simulate

    model = model_or_skip("langgraph").with_config(durability=durability, supervisor_restart_s=supervisor_restart_s)
    # Steps take 1 s each: the checkpointer is down from the middle of step 3 on.
    return simulate("five-effects", model, seed=1, faults=FaultSchedule(outages=(Outage(2.5, 10.0, "checkpointer"),)))


def outage_rows(first, during, resumed, after, durability):
    left, back = sim_outage(durability, None), sim_outage(durability, 1.0)
    return [
        ("invoke() raised", first["error"] is not None, left.summary.error is not None),
        ("runs per node until invoke() raised", during, executions(left, 5)),
        ("runs per node after a later invoke(None, cfg)", after, executions(back, 5)),
        ("finished after it", resumed["result"] is not None, back.summary.completed),
    ]


def test_checkpointer_outage_fails_the_run_sync(workdir):
    """durability="sync": the write after node 3 fails, invoke() raises at once, nodes 4-5 never run;
    a later invoke resumes from the checkpoint after node 2."""
    first, during, resumed, after = outage_then_resume(workdir, "sync")
    assert_agree("LangGraph durability=sync, checkpointer DB locked from node 3 on",
                 outage_rows(first, during, resumed, after, "sync"))


def test_checkpointer_outage_async_keeps_running_until_the_end(workdir):
    """durability="async" (the default): the failed write is pending while nodes 4-5 run (their effects
    happen); invoke() raises only at the end, and a later invoke(None, cfg) repeats nodes 3-5."""
    first, during, resumed, after = outage_then_resume(workdir, "async", work_s=0.3)
    assert_agree("LangGraph durability=async, checkpointer DB locked from node 3 on",
                 outage_rows(first, during, resumed, after, "async"))
