"""The OpenAI Agents SDK's approval pause (``RunState``), live, against the ``openai-agents`` model.

A local stub model drafts a ``charge_card`` call that needs human approval
(``apps/agents_app.py``). The first process runs until the SDK stops for
approval, saves ``result.to_state().to_string()`` and ends; a second process
loads the ``RunState``, approves and finishes. The model runs the same agent
(draft, wait for the approval, charge, answer) with no session, the process
gone while the approval is pending, and the saved ``RunState`` resumed by the
approval handler when the decision arrives.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..core.engine import simulate
from ..core.faults import CrashAtTime, FaultSchedule
from ..models import get_model
from ..scenarios import Scenario
from .proc import Ledger, installed, run_app
from .rows import Row, exact, not_installed

__all__ = ["ENGINE", "REQUIRES", "rows"]

ENGINE = "OpenAI Agents SDK (RunState)"
REQUIRES = ("agents",)
APPROVAL_AT_S = 60.0      # the person approves a minute after the draft
PROCESS_GONE_AT_S = 30.0  # the process has ended by then (the pause)


def measure(work: Path) -> dict:
    """Pause for approval in one process, approve in another; count model calls and charges."""
    ledger = Ledger(work / "ledger.txt")
    args = ["--ledger", str(ledger.path), "--state", str(work / "state.json")]
    paused = run_app("agents_app.py", *args, "--mode", "pause", cwd=work)
    if paused.returncode != 0 or not paused.out or paused.out["interruptions"] != 1:
        raise RuntimeError(f"the agent should have stopped for one approval: {paused.stderr[-500:]}")
    done = run_app("agents_app.py", *args, "--mode", "approve", cwd=work)
    if done.returncode != 0 or not done.out:
        raise RuntimeError(f"the approved run failed: {done.stderr[-500:]}")
    entries = ledger.entries()
    return {"model_calls": sum(1 for e, _, _ in entries if e == "llm"),
            "charges": sum(1 for e, _, _ in entries if e == "effect")}


def _approval(ctx):
    """Draft a tool call, wait for a person's approval, charge, answer."""
    yield ctx.llm("draft", mean_latency_s=1.0)
    yield ctx.wait_event("approval", 3600.0)
    yield ctx.tool("charge", effect="charge_card")
    yield ctx.llm("answer", mean_latency_s=1.0)


def simulated() -> dict:
    """The model: the process is gone during the approval wait; the approval handler resumes the RunState."""
    scenario = Scenario(name="conformance-approval", description="a tool call that needs approval",
                        workflow=_approval, max_steps=4, signals={"approval": (APPROVAL_AT_S, True)})
    model = get_model("openai-agents").with_config(save_run_state=True)
    r = simulate(scenario, model, seed=1, faults=FaultSchedule(timed=(CrashAtTime(PROCESS_GONE_AT_S),),
                                                               restart_delay_s=0.0))
    return {"model_calls": r.summary.llm_calls, "charges": r.summary.effects}


def rows(work: Path | None = None) -> list[Row]:
    """Run the real SDK (if installed) and its model; one row per behaviour."""
    missing = installed(*REQUIRES)
    if missing:
        return [not_installed(ENGINE, missing)]
    with tempfile.TemporaryDirectory(prefix="conformance-agents-") as tmp:
        real = measure(Path(work or tmp))
    sim = simulated()
    return [
        exact(ENGINE, "approval pause across processes: model calls", real["model_calls"], sim["model_calls"]),
        exact(ENGINE, "approval pause across processes: charges", real["charges"], sim["charges"]),
    ]
