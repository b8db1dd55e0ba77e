"""LangGraph's durability modes: a run that fails is named as a failure, never printed as "0 steps lost"."""

import pytest

from simlib import ConfigError, CrashAt, FaultSchedule, get_scenario
from simlib.course.durability_modes import durability_table

CRASHES = {"in step 15": get_scenario("q1").default_faults,
           "as step 10 returns": FaultSchedule(crashes=(CrashAt(10, "after-record"),))}


def test_exit_mode_without_the_input_fails_with_empty_input_error():
    t = durability_table("q1", CRASHES, seed=3)
    assert list(t.index) == ["sync", "async", "exit"]
    assert set(t.loc["exit"]) == {"fails (EmptyInputError)"}
    assert set(t.loc["sync"]) == {"0 steps again"}


def test_async_loses_the_checkpoint_still_being_written():
    """A crash just as a step returns hits async's write window: that one step runs again."""
    t = durability_table("q1", CRASHES, seed=3)
    assert t.loc["async", "as step 10 returns"] == "1 step again"


def test_exit_mode_with_the_input_sent_again_reruns_every_finished_step():
    t = durability_table("q1", CRASHES, modes=("exit",), seed=3, resume_with="input")
    assert t.loc["exit", "as step 10 returns"] == "10 steps again"


def test_unknown_mode_is_named():
    with pytest.raises(ConfigError, match="'fast'.*sync, async, exit"):
        durability_table("q1", CRASHES, modes=("fast",))
