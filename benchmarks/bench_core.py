"""Speed of the simulator, printed as ratios (never asserted in unit tests).

1. Overhead: simlib runs the fault-free Q1 workflow (20 LLM steps) and counts
   the SimPy events it processed; a bare SimPy loop then processes the same
   number of timeouts, one process per run, as simlib does. The ratio of the
   two times is simlib's overhead (target: at most 1.5x).
2. Throughput: a 10,000-run Monte Carlo of Q1 with random crashes, per model,
   in runs per second on one core (target: at least 5,000).

Usage: python benchmarks/bench_core.py [--runs N] [--models m1 m2 ...]
"""

from __future__ import annotations

import argparse
import sys
import time

import simpy

sys.path.insert(0, ".")

from simlib import FaultSchedule, get_model, get_scenario, simulate  # noqa: E402
from simlib.sweep import sweep  # noqa: E402


def _bare(n_runs: int, timeouts_per_run: int) -> float:
    def proc(env, n):
        for _ in range(n):
            yield env.timeout(45.0)

    t = time.perf_counter()
    for _ in range(n_runs):
        env = simpy.Environment()
        env.process(proc(env, timeouts_per_run))
        env.run()
    return time.perf_counter() - t


def _count_events(model) -> int:
    from simlib.engine import Run

    sc = get_scenario("q1")
    run = Run(sc, model, 1, FaultSchedule(), record=False)
    run.execute(event_budget=10**6)
    return run.stats.events


def overhead(n_runs: int, model_name: str = "temporal") -> tuple[float, float, int]:
    model = get_model(model_name)
    sc = get_scenario("q1")
    events = _count_events(model)
    # Timeouts in the bare loop = events simlib processed, minus the process's own
    # start and end events, which the bare loop also has.
    per_run = events - 2
    best_sim = best_bare = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for seed in range(n_runs):
            simulate(sc, model, seed=seed, faults=FaultSchedule(), record=False)
        best_sim = min(best_sim, time.perf_counter() - t)
        best_bare = min(best_bare, _bare(n_runs, per_run))
    return best_sim / best_bare, n_runs / best_sim, events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--overhead-runs", type=int, default=3000)
    ap.add_argument("--models", nargs="+", default=None)
    ap.add_argument("--mtbf", type=float, default=3600.0)
    args = ap.parse_args()
    ratio, rate, events = overhead(args.overhead_runs)
    print(f"overhead: simlib/bare SimPy = {ratio:.2f}x  ({events} events per Q1 run, "
          f"{rate:,.0f} fault-free runs/s)   target <= 1.5x")
    from simlib.models import model_names

    for name in args.models or model_names():
        t = time.perf_counter()
        agg = sweep("q1", name, runs=args.runs, mtbf_s=args.mtbf, seed=0)
        dt = time.perf_counter() - t
        print(f"monte-carlo q1 {name:24s} {args.runs / dt:8,.0f} runs/s   "
              f"crashes/run={agg.mean('crashes'):.3f}  usd re-spent/10k runs={agg.per_10k('llm_cost_reexecuted_usd'):.2f}"
              f"   target >= 5,000 runs/s")


if __name__ == "__main__":
    main()
