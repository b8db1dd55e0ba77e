"""Temporal's Replayer (no server) against simlib's ``temporal`` model, on a code change.

A Temporal worker that picks up a workflow after a crash replays the workflow
code against the event history. The history here is the one the server would
hold for a three-activity chain (Q1's shape) whose worker died in activity 2
after its effect: built by ``apps/temporal_history.py`` in the server's JSON
export format, since no server runs offline here. The new worker runs changed
code; the real SDK says whether the replay is deterministic. The simulator runs
Q1's workflow with three calls, a crash after step 2's effect and the same
``CodeChange``.
"""

import importlib.util
import json
from dataclasses import replace

from ._harness import APPS, assert_agree, model_or_skip, require, run_app, simulate_crash

require("temporalio")

CALLS = 3
CRASH_AT = 2
VARIANTS = ["v1", "v2", "v2-patched", "v2-append"]


def chain_history(calls, crash_at) -> dict:
    """``apps/temporal_history.chain_history``, loaded from its file (apps/ is not a package)."""
    spec = importlib.util.spec_from_file_location("temporal_history", APPS / "temporal_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chain_history(calls, crash_at)


def history_file(workdir, crash_at):
    path = workdir / f"history-{crash_at}.json"
    path.write_text(json.dumps(chain_history(CALLS, crash_at)))
    return path


def replay(workdir, crash_at, variants):
    run = run_app("temporal_replay.py", "--history", str(history_file(workdir, crash_at)),
                  *[a for v in variants for a in ("--variant", v)], cwd=workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.json()


def _append_moderation(ctx, calls: int = 20):
    """Q1's workflow with a moderation call added after the loop: past anything a crashed run recorded."""
    from simlib.scenarios.builtin import llm_chain

    answer = yield from llm_chain(ctx, calls)
    yield ctx.tool("moderate", effect=None)
    return answer


def outcome_real(r: dict) -> str:
    return "replays" if r["ok"] else r["error_type"]


def outcome_model(summary) -> str:
    if summary.completed:
        return "replays"
    text = summary.stalled or summary.error or "stopped"
    return text.split(":")[0]


def test_code_change_after_a_crash(workdir):
    """An incompatible change stalls the workflow with NondeterminismError; patched() or a change
    past the recorded history replays cleanly."""
    from simlib import CodeChange, get_scenario

    model = model_or_skip("temporal")
    finished = replay(workdir, None, ["v1"])
    assert finished["v1"]["ok"], f"the hand-built history of a finished run should replay with v1: {finished}"
    real = replay(workdir, CRASH_AT, VARIANTS)

    q1 = get_scenario("q1")
    scenario = replace(q1, name="q1-three-calls", params={"calls": CALLS},
                       variants={**q1.variants, "v2-append": _append_moderation})
    rows = []
    for v in VARIANTS:
        change = {} if v == "v1" else {"code_change": CodeChange(v)}
        sim = simulate_crash(scenario, model, CRASH_AT, **change)
        rows.append((f"new worker runs {v}", outcome_real(real[v]), outcome_model(sim.summary)))
    assert_agree(f"Temporal, crash in activity {CRASH_AT} of {CALLS}, new code on the next worker", rows)
