"""One crash per run, uniformly in time: the estimator the course uses for claims about averages."""

import pytest

from simlib.errors import ConfigError
from simlib.timed_crashes import compare_one_crash, one_crash_each, top_two_evidence


def test_same_seed_same_sample():
    a = [s.history_sha256 for s in one_crash_each("five-effects", "temporal", samples=5, seed=3)]
    b = [s.history_sha256 for s in one_crash_each("five-effects", "temporal", samples=5, seed=3)]
    assert a == b


def test_every_sampled_run_crashed_exactly_once():
    assert all(s.crashes == 1 for s in one_crash_each("five-effects", "temporal", samples=20, seed=1))


def test_no_durability_repeats_far_more_effects_than_a_durable_engine():
    t = compare_one_crash("five-effects", {"none": "none", "temporal": "temporal"}, samples=200, seed=5)
    assert t.loc["none", "dup low"] > t.loc["temporal", "dup high"]
    assert 0.0 <= t.loc["temporal", "dup low"] <= t.loc["temporal", "dup/crash"] <= t.loc["temporal", "dup high"]
    assert t.loc["temporal", "share low"] <= t.loc["temporal", "share dup"] <= t.loc["temporal", "share high"]


def test_top_two_evidence_names_the_measures_that_differ():
    table = top_two_evidence({"LangGraph team": {"uses_langgraph": True, "needs_hitl": True,
                                                 "cost_of_failure": "medium"}}, samples=40, seed=2)
    assert list(table.index.get_level_values("engine")) == ["langgraph", "inngest"]
    assert set(table["differs"]) == {"done"}   # LangGraph without a supervisor stops; $ and dups agree


def test_too_few_samples_is_a_config_error():
    with pytest.raises(ConfigError, match="samples must be >= 2, got 1"):
        one_crash_each("q1", "temporal", samples=1)
