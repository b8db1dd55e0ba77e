"""Finishing a step inline (without a trip through SimPy's queue) never changes what a run does.

The context finishes a step at once when nothing else is scheduled before the
step ends (see `simlib.core.context.Context.can_finish_inline`). These tests run every
model on every scenario twice, once as usual and once with inlining switched
off (every step a queued SimPy event), and require the same history byte for
byte and the same summary.
"""

import pytest
from hypothesis import given, settings

from simlib import FaultSchedule, RandomCrashes, get_model, get_scenario, model_names, scenario_names
from simlib.core.engine import Run
from simlib.core.errors import ConfigError
from simlib.models.langgraph import LangGraphContext
from simlib.scenarios import Scenario
from simlib.core.summary import summarize
from strategies import SMALL_Q1, schedule_st, seed_st

UNTIL = 50_000.0
MODELS = model_names()


def _run(scenario, model, seed, faults, inline: bool, params=None, budget=None):
    run = Run(scenario, model, seed, faults, True, params)
    if not inline:
        run.inline_left = 0
    run.execute(until=UNTIL, event_budget=budget)
    if not inline:
        assert run.inline_left == 0
    run.history.sort(key=lambda r: r.time)
    return run


def _same(scenario, model, seed, faults, params=None):
    fast = _run(scenario, model, seed, faults, True, params)
    slow = _run(scenario, model, seed, faults, False, params)
    assert fast.history.sha256() == slow.history.sha256(), (model.name, scenario.name, faults)
    a, b = summarize(fast).to_dict(), summarize(slow).to_dict()
    assert a == b
    return fast, slow


def _cases():
    for sc in scenario_names():
        for m in MODELS:
            yield m, sc


@pytest.mark.parametrize("model,scenario", list(_cases()))
def test_every_model_on_every_scenario_gives_the_same_history_inline_or_queued(model, scenario):
    sc, mdl = get_scenario(scenario), get_model(model)
    for faults in (sc.default_faults, FaultSchedule(), FaultSchedule(random=RandomCrashes(400.0))):
        try:
            _same(sc, mdl, 3, faults)
        except ConfigError:
            pytest.skip(f"{model} does not run {scenario}")


@settings(max_examples=25, deadline=None)
@given(faults=schedule_st, seed=seed_st)
def test_under_random_schedules_inline_and_queued_runs_agree(faults, seed):
    for name in MODELS:
        _same(get_scenario("q1"), get_model(name), seed, faults, SMALL_Q1)
        _same(get_scenario("five-effects"), get_model(name), seed, faults)


def test_the_fast_path_really_is_taken():
    """A fault-free Q1 run finishes all 20 steps inline: SimPy only starts and ends the process."""
    run = _run(get_scenario("q1"), get_model("temporal"), 1, FaultSchedule(), True)
    used = (1 << 62) - run.inline_left
    assert used == 20
    assert summarize(run).steps_executed == 20


def test_an_event_budget_counts_inline_steps():
    from simlib.core.errors import BudgetExceeded

    sc, m = get_scenario("q1"), get_model("temporal")
    with pytest.raises(BudgetExceeded):
        _run(sc, m, 1, FaultSchedule(), True, budget=10)
    budgeted = _run(sc, m, 1, FaultSchedule(), True, budget=1000)
    assert budgeted.history.sha256() == _run(sc, m, 1, FaultSchedule(), True).history.sha256()


def _superstep_workflow(ctx):
    a, b = yield ctx.superstep(lambda: ctx.llm("left"), lambda: ctx.llm("right"))
    c = yield ctx.llm("join", prompt=a + b)
    return c


def test_parallel_nodes_of_a_superstep_start_together():
    """Branches of a LangGraph super-step are issued before anything is yielded: none may run inline."""
    sc = Scenario("superstep-inline", "two parallel nodes, then a join", _superstep_workflow, max_steps=3)
    m = get_model("langgraph")
    assert issubclass(m.context_class, LangGraphContext)
    fast, _ = _same(sc, m, 5, FaultSchedule())
    starts = [r.time for r in fast.history if r.event == "llm" and r.kind == "invoke"]
    assert starts[0] == starts[1] == 0.0 and starts[2] > 0.0
