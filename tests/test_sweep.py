"""Monte Carlo sweeps aggregate while streaming and do not depend on the executor."""

import time
import tracemalloc
from concurrent.futures import Executor, Future, ThreadPoolExecutor

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


class _EarlierFinishesLater(ThreadPoolExecutor):
    """A thread pool in which each task submitted later in a group of four finishes sooner."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self._count = 0

    def submit(self, fn, /, *args, **kwargs):
        self._count += 1
        delay = 0.003 * (4 - self._count % 4)
        return super().submit(_after, delay, fn, *args)


def _after(delay, fn, *args):
    time.sleep(delay)
    return fn(*args)


def test_aggregates_are_bit_identical_whatever_the_completion_order():
    """Chunks are merged in the order they were submitted, so every float is added in the same order.

    Merged in the order they finish here (2, 1, 0, 3, 5, ...), three of the sums differ in their last bits.
    """
    here = sweep("q1", "temporal", runs=90, mtbf_s=600.0, seed=3, chunk=7)
    with _EarlierFinishesLater() as ex:
        shuffled = sweep("q1", "temporal", runs=90, mtbf_s=600.0, seed=3, chunk=7, executor=ex, window=5)
    assert shuffled.to_dict() == here.to_dict()   # exact: no approx


class _OnDemand(Executor):
    """Runs each task only when its result is asked for, and counts the tasks submitted but not yet merged."""

    def __init__(self, simulate: bool = True) -> None:
        self.simulate = simulate
        self.pending = 0
        self.most_pending = 0

    def submit(self, fn, /, *args, **kwargs):
        self.pending += 1
        self.most_pending = max(self.most_pending, self.pending)
        return _Later(self, fn, args)


class _Later(Future):
    def __init__(self, owner, fn, args):
        super().__init__()
        self.owner, self.fn, self.args = owner, fn, args

    def result(self, timeout=None):
        if not self.done():
            self.owner.pending -= 1
            # Without simulating, a chunk's aggregate is an empty one of the right size.
            scenario, model, seeds, _ = self.args
            self.set_result(self.fn(*self.args) if self.owner.simulate else Aggregate(scenario, model, runs=len(seeds)))
        return super().result(timeout)


def test_at_most_window_chunks_are_in_flight():
    ex = _OnDemand()
    agg = sweep("q1", "none", runs=50, mtbf_s=None, seed=0, chunk=3, executor=ex, window=4)
    assert agg.runs == 50 and ex.pending == 0 and ex.most_pending == 4


def test_the_sweep_s_own_memory_does_not_grow_with_the_run_count():
    """The bookkeeping of a 10^6-run sweep (2,000 chunks) takes no more memory than that of 10^4 runs (20 chunks).

    The chunks are answered without simulating, so this measures only what the sweep itself keeps;
    each simulated run is dropped once summarised (benchmarks/bench_sweep_memory.py measures real sweeps).
    """
    def peak(runs):
        tracemalloc.start()
        try:
            agg = sweep("q1", "none", runs=runs, mtbf_s=3600.0, executor=_OnDemand(simulate=False), window=8)
            most = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert agg.runs == runs
        return most

    small, big = peak(10_000), peak(1_000_000)
    assert big < small * 1.2 + 4096, (small, big)   # about 20 KB each; each kept chunk would add about 8 KB


def test_a_dask_cluster_gives_the_local_aggregate():
    """Any `concurrent.futures.Executor` works; Dask's turns a cluster into one (the optional ``dask`` extra)."""
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    here = sweep("q1", "dbos", runs=40, mtbf_s=900.0, seed=7, chunk=6)
    # processes=False: scheduler and worker talk in memory (inproc://), so no port is opened.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = sweep("q1", "dbos", runs=40, mtbf_s=900.0, seed=7, chunk=6, executor=client.get_executor())
    assert remote.to_dict() == here.to_dict()


@pytest.mark.parametrize("field, value", [("chunk", 0), ("window", 0)])
def test_bad_chunk_or_window(field, value):
    with pytest.raises(ConfigError, match=f"{field} must be >= 1, got {value}"):
        sweep("q1", "none", runs=5, **{field: value})
