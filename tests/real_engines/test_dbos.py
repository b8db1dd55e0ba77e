"""DBOS Transact on SQLite against simlib's ``dbos`` model.

The real workflow runs five ``@DBOS.step()`` functions, each with a side
effect; the process is killed right after step 3's effect, before DBOS saves
step 3's output. A fresh process launches DBOS, whose recovery finds the
workflow still PENDING and runs it again, skipping the steps it has outputs
for. The simulator runs the ``five-effects`` scenario with the same crash.
"""

from dataclasses import replace

import pytest

from ._harness import (ModelDisagreement, assert_agree, effects, executions, model_or_skip, read_ledger, require,
                       run_app, simulate_crash)

require("dbos")

STEPS = ["s1", "s2", "s3", "s4", "s5"]
PRELOAD = ("dbos",)
APP = "dbos_app.py"


def app(*args: str, cwd):
    """Run this engine's app in a fresh process (forked after the engine library is imported)."""
    return run_app(APP, *args, cwd=cwd, preload=PRELOAD)


def crash_step_3(workdir, *extra):
    ledger = workdir / "ledger.txt"
    args = ["--db", str(workdir / "dbos.sqlite"), "--ledger", str(ledger), *extra]
    crashed = app(*args, "--crash", "3", cwd=workdir)
    assert crashed.killed, f"the workflow should have died of SIGKILL in step 3\n{crashed.stderr[-2000:]}"
    return args, ledger


def per_step(ledger) -> list[int]:
    lines = read_ledger(ledger)
    return [lines.count(s) for s in STEPS]


def five_effects_v2(ctx, keyed: bool = False):
    """The workflow after a code change: a new first step, then the five old ones."""
    from simlib.scenarios.builtin import five_effects

    yield ctx.tool("s0", effect="send_email")
    return (yield from five_effects(ctx, keyed))


def scenario_with_v2():
    from simlib import get_scenario

    return replace(get_scenario("five-effects"), name="five-effects-v2-conformance",
                   variants={"v2": five_effects_v2})


def five_steps_with_a_transaction(ctx):
    """The five steps, step 3 a database transaction (``write_db`` is the model's transaction effect)."""
    for i, effect in enumerate(["charge_card", "send_email", "write_db", "reserve_inventory", "publish_event"], 1):
        yield ctx.tool(f"s{i}", effect=effect)


def model_error_name(summary) -> str | None:
    text = summary.error or summary.stalled or ""
    return "DBOSUnexpectedStepError" if "DBOSUnexpectedStepError" in text else (text.split(":")[0] or None)


def test_crash_after_step_3_effect_reruns_only_step_3(workdir):
    """Recorded steps 1-2 are skipped on recovery; step 3 ran but had no saved output, so it runs again."""
    model = model_or_skip("dbos")
    args, ledger = crash_step_3(workdir)
    recovered = app(*args, "--mode", "recover", cwd=workdir)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    out = recovered.json()
    real = per_step(ledger)

    sim = simulate_crash("five-effects", model, 3)
    assert_agree("DBOS on SQLite, crash after step 3's effect, then DBOS.launch() in a new process", [
        ("runs per step", real, executions(sim, 5)),
        ("effects per step", real, effects(sim, 5)),
        ("duplicate effects", sum(real) - len(STEPS), sim.summary.duplicate_effects),
        ("finished", out["status"] == "SUCCESS", sim.summary.completed),
    ])


def test_transaction_step_writes_exactly_once(workdir):
    """Step 3 is a ``@ds.transaction()``: killed after its INSERT but before the commit, it rolls back
    with its checkpoint; recovery runs it again and the row is written once."""
    from simlib.scenarios import Scenario

    model = model_or_skip("dbos")
    args, ledger = crash_step_3(workdir, "--txn-db", str(workdir / "app.sqlite"))
    recovered = app(*args, "--mode", "recover", cwd=workdir)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    out = recovered.json()
    runs = per_step(ledger)
    written = [1 if s != "s3" else out["rows"] for s in STEPS]
    scenario = Scenario(name="five-steps-txn-conformance", description="step 3 is a DB transaction",
                        workflow=five_steps_with_a_transaction, max_steps=5)
    sim = simulate_crash(scenario, model, 3)
    assert_agree("DBOS, step 3 a datasource transaction, crash before its commit", [
        ("runs per step", runs, executions(sim, 5)),
        ("committed effects per step", written, effects(sim, 5)),
        ("finished", out["status"] == "SUCCESS", sim.summary.completed),
    ])


def test_code_change_with_default_app_version_leaves_the_workflow_pending(workdir):
    """New workflow code means a new application version (a hash of the source): the new process
    does not recover the old version's workflow at all. It stays PENDING; no step runs again."""
    from simlib import CodeChange

    model = model_or_skip("dbos")
    args, ledger = crash_step_3(workdir)
    after = app(*args, "--mode", "recover", "--variant", "v2", "--wait-s", "4", cwd=workdir)
    assert after.returncode == 0, after.stderr[-2000:]
    out = after.json()
    sim = simulate_crash(scenario_with_v2(), model, 3, code_change=CodeChange("v2"))
    assert_agree("DBOS, crash after step 3's effect, restart with changed code (version not pinned)", [
        ("runs per step after the restart", per_step(ledger), executions(sim, 5)),
        ("finished", out["status"] == "SUCCESS", sim.summary.completed),
        ("ended in a terminal error", out["status"] == "ERROR", sim.summary.error is not None),
    ])


def test_code_change_with_pinned_app_version_fails_the_workflow(workdir):
    """With the version pinned, recovery replays the new code, which calls step s0 where s1 was recorded."""
    from simlib import CodeChange

    model = model_or_skip("dbos").with_config(application_version_pinned=True)
    args, ledger = crash_step_3(workdir, "--app-version", "pinned-1")
    after = app(*args, "--mode", "recover", "--variant", "v2", "--wait-s", "20", cwd=workdir)
    assert after.returncode == 0, after.stderr[-2000:]
    out = after.json()
    assert out["status"] != "PENDING", "the pinned-version workflow was never recovered"
    sim = simulate_crash(scenario_with_v2(), model, 3, code_change=CodeChange("v2"))
    assert_agree("DBOS, crash after step 3's effect, restart with changed code (version pinned)", [
        ("runs per step after the restart", per_step(ledger), executions(sim, 5)),
        ("finished", out["status"] == "SUCCESS", sim.summary.completed),
        ("error raised", out["error"], model_error_name(sim.summary)),
        ("ended in a terminal error", out["status"] == "ERROR", sim.summary.error is not None),
    ])
