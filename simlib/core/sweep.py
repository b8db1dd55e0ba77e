"""Monte Carlo sweeps: many seeds under random crashes, aggregated while streaming.

Runs are cut into chunks; each chunk returns a small `Aggregate` (counts, sums,
sums of squares and a histogram). Any `concurrent.futures.Executor` spreads the
chunks: a process pool over cores, or a Dask executor
(``distributed.Client.get_executor()``) over machines.

Two promises hold whatever the executor:

- The result does not depend on it. Chunks are merged in the order they were
  submitted, never in the order they finish, so every float sum is added up in
  the same order and one worker, two workers or a cluster give bit-identical
  aggregates (for the same ``chunk`` size: other sizes group the additions
  differently and agree only to rounding).
- Memory stays flat. At most ``window`` chunks are in flight at once; the next
  chunk is submitted only when the oldest one has been merged, and chunks are
  made one at a time, so a million-run sweep holds no more than a thousand-run
  one (`benchmarks/bench_sweep_memory.py` measures it).
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .faults import FaultSchedule, RandomCrashes
from .rng import DEFAULT_SEED

__all__ = ["Aggregate", "sweep", "run_chunk", "METRICS"]

METRICS = ("duplicate_effects", "llm_cost_reexecuted_usd", "llm_cost_lost_usd", "llm_cost_wasted_usd", "llm_cost_usd", "steps_reexecuted",
           "completed_steps_lost", "crashes", "duration_s", "time_to_recover_s", "work_lost_s",
           "time_stalled_s")
_HIST_BINS = 60  # recovery-time histogram: 10 s bins up to 600 s
RECOVERY = "time_to_recover_s"   # the one metric not every run has


@dataclass
class Aggregate:
    """Streaming statistics of many runs of one model.

    Every metric is averaged over all runs except ``time_to_recover_s``: it is averaged over the
    runs that crashed and recovered from every crash (``recovered``). A run that never recovered
    has no recovery time (counting it as 0 s would make it look fastest), and a run without crashes
    had nothing to recover from. ``recovery_crashes`` counts the crashes of the recovered runs, so
    ``recovery_per_crash_s`` is the mean time from a crash to the resume.
    """

    scenario: str
    model: str
    runs: int = 0
    completed: int = 0
    recovered: int = 0
    recovery_crashes: int = 0
    sums: dict[Any, Any] = field(default_factory=lambda: {m: 0.0 for m in METRICS})
    squares: dict[Any, Any] = field(default_factory=lambda: {m: 0.0 for m in METRICS})
    recovery_hist: list[Any] = field(default_factory=lambda: [0] * (_HIST_BINS + 1))

    def add(self, s: Any) -> None:
        """Fold one `Summary` in."""
        self.runs += 1
        self.completed += s.completed
        sums, squares = self.sums, self.squares
        for m in METRICS:
            if m == RECOVERY:
                continue
            v = getattr(s, m)
            sums[m] += v
            squares[m] += v * v
        v = s.time_to_recover_s
        if s.crashes and v is not None:
            self.recovered += 1
            self.recovery_crashes += s.crashes
            sums[RECOVERY] += v
            squares[RECOVERY] += v * v
            self.recovery_hist[min(int(v / s.crashes / 10.0), _HIST_BINS)] += 1

    def merge(self, other: "Aggregate") -> "Aggregate":
        """Fold another aggregate (of the same model) in."""
        self.runs += other.runs
        self.completed += other.completed
        self.recovered += other.recovered
        self.recovery_crashes += other.recovery_crashes
        for m in METRICS:
            self.sums[m] += other.sums[m]
            self.squares[m] += other.squares[m]
        self.recovery_hist = [a + b for a, b in zip(self.recovery_hist, other.recovery_hist)]
        return self

    def count(self, metric: str) -> int:
        """How many runs ``metric`` is averaged over (the recovered runs for ``time_to_recover_s``)."""
        return self.recovered if metric == RECOVERY else self.runs

    def mean(self, metric: str) -> float:
        """Mean of ``metric`` per run it is averaged over (NaN over no runs)."""
        n = self.count(metric)
        return self.sums[metric] / n if n else math.nan

    def stderr(self, metric: str) -> float:
        """Standard error of `mean` (NaN under two runs)."""
        n = self.count(metric)
        if n < 2:
            return math.nan
        m = self.mean(metric)
        var = max(0.0, self.squares[metric] / n - m * m) * n / (n - 1)
        return math.sqrt(var / n)

    def per_10k(self, metric: str) -> float:
        """Expected total of ``metric`` over 10,000 runs (10,000 recovered runs for ``time_to_recover_s``)."""
        return self.mean(metric) * 10_000

    def recovery_per_crash_s(self) -> float:
        """Mean seconds from a crash to the resume, over the recovered runs' crashes (NaN without any)."""
        return self.sums[RECOVERY] / self.recovery_crashes if self.recovery_crashes else math.nan

    def to_dict(self) -> dict[Any, Any]:
        """JSON-ready statistics; ``recovered_runs`` says how many runs the recovery numbers cover."""
        return {
            "scenario": self.scenario, "model": self.model, "runs": self.runs,
            "completed_rate": self.completed / self.runs if self.runs else math.nan,
            "recovered_runs": self.recovered,
            "recovery_per_crash_s": self.recovery_per_crash_s(),
            "mean": {m: self.mean(m) for m in METRICS},
            "stderr": {m: self.stderr(m) for m in METRICS},
            "per_10k": {m: self.per_10k(m) for m in METRICS},
            "recovery_hist_10s": list(self.recovery_hist),
        }


def run_chunk(scenario: Any, model: Any, seeds: range, faults: FaultSchedule) -> Aggregate:
    """Run one chunk of seeds without histories; picklable for process pools."""
    from .engine import run_to_end
    from .registry import get_model
    from .scenario import get_scenario
    from .summary import summarize

    sc = get_scenario(scenario)
    mdl = get_model(model)
    sc.validate_faults(faults)
    agg = Aggregate(sc.name, mdl.name)
    add = agg.add
    for seed in seeds:
        add(summarize(run_to_end(sc, mdl, seed, faults)))
    return agg


def sweep(scenario: Any, model: Any, runs: int = 1000, mtbf_s: float | None = 3600.0, faults: FaultSchedule | None = None,
          seed: int = DEFAULT_SEED, executor: Executor | None = None, workers: int = 1,
          chunk: int = 500, progress: Callable[[int], object] | None = None,
          window: int | None = None) -> Aggregate:
    """Monte Carlo of ``runs`` seeds (seed, seed+1, ...) of one scenario under one model.

    Args:
        scenario: scenario name (names keep the work picklable for executors).
        model: model name, or a model instance (a configured one, as ``--set`` makes; it is
            pickled to each process, so its config must be picklable, as dataclasses are).
        runs: how many runs.
        mtbf_s: random worker crashes with this mean time between failures (None = none).
        faults: a base schedule to add the random crashes to (default: no other faults).
        seed: the first seed.
        executor: any `concurrent.futures.Executor`; None runs in this process
            unless ``workers`` > 1, which makes a process pool.
        workers: process count when no executor is given.
        chunk: runs per task.
        progress: called with the number of runs in each chunk as it is merged (a progress bar's update).
        window: most chunks in flight at once on an executor (default: four per worker, counting
            ``workers`` or this machine's cores, whichever is more; raise it for a large cluster).

    Returns:
        The `Aggregate` of all runs, merged in seed order.
    """
    from .errors import ConfigError
    if runs < 1:
        raise ConfigError(f"runs must be >= 1, got {runs}")
    if chunk < 1:
        raise ConfigError(f"chunk must be >= 1, got {chunk}")
    if window is not None and window < 1:
        raise ConfigError(f"window must be >= 1, got {window}")
    sc_name = scenario if isinstance(scenario, str) else scenario.name
    m_name = model if isinstance(model, str) else model.name
    base = faults or FaultSchedule()
    if mtbf_s is not None:
        base = FaultSchedule(crashes=base.crashes, timed=base.timed, random=RandomCrashes(mtbf_s),
                             outages=base.outages, restart_delay_s=base.restart_delay_s,
                             code_change=base.code_change)
    end = seed + runs
    chunks = (range(s, min(s + chunk, end)) for s in range(seed, end, chunk))
    total = Aggregate(sc_name, m_name)
    if executor is None and workers <= 1:
        for c in chunks:
            total.merge(run_chunk(sc_name, model, c, base))
            if progress is not None:
                progress(len(c))
        return total
    own = None
    if executor is None:
        executor = own = ProcessPoolExecutor(max_workers=workers)
    if window is None:
        window = 4 * max(workers, os.cpu_count() or 1)
    try:
        _merge_in_order(executor, total, model, chunks, base, window, progress)
    finally:
        if own is not None:
            own.shutdown()
    return total


def _merge_in_order(executor: Executor, total: Aggregate, model: Any, chunks: Iterator[range],
                    base: FaultSchedule, window: int, progress: Callable[[int], object] | None) -> None:
    """Keep ``window`` chunks in flight and fold each into ``total`` in submission order.

    Waiting for the oldest chunk (rather than whichever finishes first) fixes the order of the
    float additions; a slow chunk holds back at most ``window`` finished ones.
    """
    flight: deque[tuple[int, Future[Aggregate]]] = deque()

    def merge_oldest() -> None:
        n, fut = flight.popleft()
        total.merge(fut.result())
        if progress is not None:
            progress(n)

    try:
        for c in chunks:
            if len(flight) >= window:
                merge_oldest()
            flight.append((len(c), executor.submit(run_chunk, total.scenario, model, c, base)))
        while flight:
            merge_oldest()
    finally:
        for _, fut in flight:   # after an error (or Ctrl-C) no queued chunk is left to run
            fut.cancel()
