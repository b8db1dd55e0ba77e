"""The OpenAI Agents SDK with ``SQLiteSession`` against simlib's ``openai-agents`` model.

The real agent has a local stub model and one tool that charges a card (a line
in a ledger file). The user asks for two orders, A then B, one ``Runner.run``
each; the process is killed during turn 2. A fresh process then calls
``Runner.run`` again on the same session with no new input, which is all the
SDK offers for carrying on. The ledger shows which model calls and charges ran
again. The simulator runs the same six steps (plan, charge, answer per order)
with the same crash.
"""

from ._harness import assert_agree, effects, executions, model_or_skip, read_ledger, require, run_app, simulate_crash

require("agents")

PRELOAD = ("agents", "agents.testing")
APP = "agents_app.py"


def app(*args: str, cwd):
    """Run this engine's app in a fresh process (forked after the engine library is imported)."""
    return run_app(APP, *args, cwd=cwd, preload=PRELOAD)


# Ledger line of each simulated step, in step order.
STEP_LINES = ["llm plan A", "charge A", "llm answer A", "llm plan B", "charge B", "llm answer B"]


def two_orders(ctx):
    """What the agent does: per order, an LLM call that picks the tool, the charge, and a final answer."""
    for order in ("A", "B"):
        yield ctx.llm(f"plan-{order}")
        yield ctx.tool(f"charge-{order}", effect="charge_card", payload={"order": order})
        yield ctx.llm(f"answer-{order}")


def scenario():
    from simlib.scenarios import Scenario

    return Scenario(name="two-orders-conformance", description="two agent turns that each charge a card",
                    workflow=two_orders, max_steps=6)


def per_step(ledger) -> list[int]:
    lines = read_ledger(ledger)
    return [lines.count(s) for s in STEP_LINES]


def charges(runs: list[int]) -> list[int]:
    """Effects per step from the ledger: only the two charge steps have one."""
    return [n if STEP_LINES[i].startswith("charge") else 0 for i, n in enumerate(runs)]


def sim(store: str, supervisor_restart_s, step: int):
    model = model_or_skip("openai-agents").with_config(session_store=store,
                                                        supervisor_restart_s=supervisor_restart_s)
    return simulate_crash(scenario(), model, step)


def crash(workdir, session: str, where: str):
    ledger = workdir / "ledger.txt"
    args = ["--ledger", str(ledger), "--db", str(workdir / "session.sqlite"), "--session", session]
    crashed = app(*args, "--orders", "A,B", where, "B", cwd=workdir)
    assert crashed.killed, f"the agent should have died of SIGKILL in turn 2\n{crashed.stderr[-2000:]}"
    return args, ledger


def test_sqlite_session_repeats_the_charge_of_the_turn_in_flight(workdir):
    """Killed right after the tool charged order B: the session holds turn 1 and the user's second
    message, not the tool call, so the next run asks the model again and charges B again."""
    args, ledger = crash(workdir, "file", "--crash-order")
    after_crash = per_step(ledger)
    again = app(*args, "--resume", cwd=workdir)
    assert again.returncode == 0, again.stderr[-2000:]
    real = per_step(ledger)

    left, back = sim("sqlite", None, 5), sim("sqlite", 1.0, 5)
    assert_agree("Agents SDK + SQLiteSession (file), crash after the charge for order B", [
        ("runs per step while nobody calls Runner.run", after_crash, executions(left, 6)),
        ("finished without a new Runner.run", False, left.summary.completed),
        ("runs per step after a new Runner.run", real, executions(back, 6)),
        ("charges per step", charges(real), effects(back, 6)),
        ("model calls", sum(real) - real[1] - real[4], back.summary.llm_calls),
    ])


def test_sqlite_session_keeps_a_turn_whose_tool_returned(workdir):
    """Killed in the model call after the charge returned: the SDK had saved the tool call and its
    output, so the next run only repeats that model call; order B is charged once."""
    args, ledger = crash(workdir, "file", "--crash-answer")
    again = app(*args, "--resume", cwd=workdir)
    assert again.returncode == 0, again.stderr[-2000:]
    real = per_step(ledger)
    back = sim("sqlite", 1.0, 6)
    assert_agree("Agents SDK + SQLiteSession (file), crash in the model call after the charge for B", [
        ("runs per step after a new Runner.run", real, executions(back, 6)),
        ("duplicate charges", real[1] + real[4] - 2, back.summary.duplicate_effects),
    ])


def test_memory_session_loses_everything(workdir):
    """The default SQLiteSession is ``:memory:``: after the crash the new process starts with an empty
    session, so the app must send the whole conversation again and both cards are charged twice."""
    args, ledger = crash(workdir, "memory", "--crash-order")
    again = app(*args, "--orders", "A,B", cwd=workdir)
    assert again.returncode == 0, again.stderr[-2000:]
    out = again.json()
    real = per_step(ledger)
    back = sim("memory", 1.0, 5)
    assert_agree("Agents SDK + SQLiteSession(':memory:'), crash after the charge for order B", [
        ("session items that survived the crash", out["items_before"], back.summary.steps_replayed),
        ("runs per step after the conversation is sent again", real, executions(back, 6)),
        ("duplicate charges", real[1] + real[4] - 2, back.summary.duplicate_effects),
    ])
