"""Monte Carlo sweeps aggregate while streaming and do not depend on the executor."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from simlib import ConfigError
from simlib.core.sweep import Aggregate, sweep


def test_sweep_is_deterministic_and_executor_independent():
    a = sweep("q1", "none", runs=60, mtbf_s=900.0, seed=10, chunk=7)
    with ThreadPoolExecutor(max_workers=2) as ex:
        b = sweep("q1", "none", runs=60, mtbf_s=900.0, seed=10, chunk=13, executor=ex)
    assert a.sums == pytest.approx(b.sums) and a.squares == pytest.approx(b.squares)
    assert a.recovery_hist == b.recovery_hist and a.completed == b.completed
    assert a.runs == b.runs == 60


def test_durability_pays_less_again_under_random_crashes():
    none = sweep("q1", "none", runs=150, mtbf_s=900.0, seed=1)
    temporal = sweep("q1", "temporal", runs=150, mtbf_s=900.0, seed=1)
    assert none.mean("crashes") > 0.3
    assert none.mean("llm_cost_reexecuted_usd") > 3 * temporal.mean("llm_cost_reexecuted_usd")
    assert temporal.mean("completed_steps_lost") == 0


def test_merge_matches_one_pass():
    from simlib import FaultSchedule, RandomCrashes, simulate
    f = FaultSchedule(random=RandomCrashes(600.0))
    one = Aggregate("q1", "temporal")
    left, right = Aggregate("q1", "temporal"), Aggregate("q1", "temporal")
    for seed in range(20):
        s = simulate("q1", "temporal", seed=seed, faults=f, record=False).summary
        one.add(s)
        (left if seed % 2 else right).add(s)
    merged = left.merge(right)
    assert merged.runs == one.runs and merged.sums == pytest.approx(one.sums)
    assert merged.recovery_hist == one.recovery_hist


def test_bad_run_count():
    with pytest.raises(ConfigError, match="runs"):
        sweep("q1", "none", runs=0)
