"""A bug inside the simulator ends the run with `SimulatorError`, whether the step ran inline or queued.

Before, a bug hit while a step was finished inline (inside the workflow's own ``yield ctx.llm(...)``)
became the workflow's error: the run just looked failed and a sweep reported a completion rate of 0.
"""

import pytest

from simlib import FaultSchedule, Scenario, get_model, get_scenario, simulate
from simlib.core.context import Context
from simlib.core.engine import Run
from simlib.core.errors import SimulatorError
from simlib.core.sweep import sweep


def _boom(*_args, **_kw):
    raise RuntimeError("injected bug")


def _run(inline: bool, model: str = "temporal"):
    run = Run(get_scenario("q1"), get_model(model), 1, FaultSchedule(), True, None)
    if not inline:
        run.inline_left = 0      # every step becomes a queued SimPy event
    run.execute(until=10_000.0)
    return run


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "queued"])
@pytest.mark.parametrize("model", ["none", "temporal", "langgraph", "inngest"])
def test_a_bug_in_the_step_pipeline_raises_the_same_way_on_both_paths(monkeypatch, inline, model):
    _run(inline, model)          # without the bug the run is fine on this path
    monkeypatch.setattr(Context, "perform_step", _boom)
    with pytest.raises(SimulatorError, match="injected bug") as info:
        _run(inline, model)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_the_queued_path_really_queues_and_the_inline_path_really_inlines():
    assert _run(inline=True).inline_left < (1 << 62)
    assert _run(inline=False).inline_left == 0


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "queued"])
def test_a_bug_in_a_model_hook_raises_too(monkeypatch, inline):
    monkeypatch.setattr(type(get_model("temporal")), "on_complete", _boom)
    with pytest.raises(SimulatorError, match="injected bug"):
        _run(inline)


def test_workflow_code_catching_exception_cannot_swallow_a_simulator_bug(monkeypatch):
    def careless(ctx):
        try:
            yield ctx.llm("only")
        except Exception:   # noqa: BLE001 - the point of the test
            return "swallowed"
        return "ok"

    monkeypatch.setattr(Context, "perform_step", _boom)
    with pytest.raises(SimulatorError):
        simulate(Scenario("careless", "catches everything", careless, max_steps=1), "temporal")


def test_an_error_in_workflow_code_is_still_the_workflow_s_failure():
    def buggy_workflow(ctx):
        yield ctx.llm("first")
        raise ValueError("the learner's bug")

    res = simulate(Scenario("buggy", "fails after one step", buggy_workflow, max_steps=1), "temporal")
    assert not res.summary.completed and "the learner's bug" in res.summary.error


def test_a_sweep_raises_instead_of_reporting_nothing_completed(monkeypatch):
    # Without a history an LLM step skips `perform_step`; `call_llm` runs on every path.
    monkeypatch.setattr(Context, "call_llm", _boom)
    with pytest.raises(SimulatorError):
        sweep("q1", "temporal", runs=3, mtbf_s=None)
