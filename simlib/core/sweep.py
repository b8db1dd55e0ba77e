"""Monte Carlo sweeps: many seeds under random crashes, aggregated while streaming.

Runs are cut into chunks; each chunk returns a small `Aggregate` (counts, sums,
sums of squares and a histogram), and chunks are merged as they finish, so a
million-run sweep holds only one aggregate per chunk in flight. Any
`concurrent.futures.Executor` spreads the chunks: a process pool over cores, or
a Dask or Ray executor over machines.
"""

from __future__ import annotations

from typing import Any

import math
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from collections.abc import Callable

from .faults import FaultSchedule, RandomCrashes
from .rng import DEFAULT_SEED

__all__ = ["Aggregate", "sweep", "run_chunk", "METRICS"]

METRICS = ("duplicate_effects", "llm_cost_reexecuted_usd", "llm_cost_usd", "steps_reexecuted",
           "completed_steps_lost", "crashes", "duration_s", "time_to_recover_s", "work_lost_s",
           "time_stalled_s")
_HIST_BINS = 60  # recovery-time histogram: 10 s bins up to 600 s


@dataclass
class Aggregate:
    """Streaming statistics of many runs of one model."""

    scenario: str
    model: str
    runs: int = 0
    completed: int = 0
    sums: dict[Any, Any] = field(default_factory=lambda: {m: 0.0 for m in METRICS})
    squares: dict[Any, Any] = field(default_factory=lambda: {m: 0.0 for m in METRICS})
    recovery_hist: list[Any] = field(default_factory=lambda: [0] * (_HIST_BINS + 1))

    def add(self, s: Any) -> None:
        """Fold one `Summary` in."""
        self.runs += 1
        self.completed += s.completed
        for m in METRICS:
            v = getattr(s, m)
            self.sums[m] += v
            self.squares[m] += v * v
        if s.crashes:
            b = min(int(s.time_to_recover_s / s.crashes / 10.0), _HIST_BINS)
            self.recovery_hist[b] += 1

    def merge(self, other: "Aggregate") -> "Aggregate":
        """Fold another aggregate (of the same model) in."""
        self.runs += other.runs
        self.completed += other.completed
        for m in METRICS:
            self.sums[m] += other.sums[m]
            self.squares[m] += other.squares[m]
        self.recovery_hist = [a + b for a, b in zip(self.recovery_hist, other.recovery_hist)]
        return self

    def mean(self, metric: str) -> float:
        return self.sums[metric] / self.runs if self.runs else math.nan

    def stderr(self, metric: str) -> float:
        if self.runs < 2:
            return math.nan
        m = self.mean(metric)
        var = max(0.0, self.squares[metric] / self.runs - m * m) * self.runs / (self.runs - 1)
        return math.sqrt(var / self.runs)

    def per_10k(self, metric: str) -> float:
        """Expected total of ``metric`` over 10,000 runs."""
        return self.mean(metric) * 10_000

    def to_dict(self) -> dict[Any, Any]:
        return {
            "scenario": self.scenario, "model": self.model, "runs": self.runs,
            "completed_rate": self.completed / self.runs if self.runs else math.nan,
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
          chunk: int = 500, progress: Callable[[int], object] | None = None) -> Aggregate:
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
        progress: called with the number of runs in each chunk as it finishes (a progress bar's update).
    """
    if runs < 1:
        from .errors import ConfigError
        raise ConfigError(f"runs must be >= 1, got {runs}")
    sc_name = scenario if isinstance(scenario, str) else scenario.name
    m_name = model if isinstance(model, str) else model.name
    base = faults or FaultSchedule()
    if mtbf_s is not None:
        base = FaultSchedule(crashes=base.crashes, timed=base.timed, random=RandomCrashes(mtbf_s),
                             outages=base.outages, restart_delay_s=base.restart_delay_s,
                             code_change=base.code_change)
    chunks = [range(s, min(s + chunk, seed + runs)) for s in range(seed, seed + runs, chunk)]
    total = Aggregate(sc_name, m_name)
    own = None
    if executor is None and workers > 1:
        executor = own = ProcessPoolExecutor(max_workers=workers)
    try:
        if executor is None:
            for c in chunks:
                total.merge(run_chunk(sc_name, model, c, base))
                if progress is not None:
                    progress(len(c))
        else:
            futures = {executor.submit(run_chunk, sc_name, model, c, base): len(c) for c in chunks}
            for fut in as_completed(futures):
                total.merge(fut.result())
                if progress is not None:
                    progress(futures[fut])
    finally:
        if own is not None:
            own.shutdown()
    return total
