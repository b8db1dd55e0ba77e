"""Speed of the simulator, printed as ratios and rates (never asserted in unit tests).

1. Overhead against bare SimPy. simlib's unit of work is a workflow step (an LLM
   call: latency, answer, bill, durable record, history). A bare SimPy model of the
   same workflow needs one timeout per step, so the bare loop gets the same number
   of timeouts as simlib simulates steps. Two ratios of wall time:
   - event rate: a long chain (``--steps`` LLM calls in one run), so per-run set-up
     does not count: simlib steps/s against bare-SimPy timeouts/s;
   - per run: the Q1 workflow (20 steps) against a bare run of 20 timeouts, where
     simlib's per-run work (two seeded random streams, the summary) counts too.
   Target: at most 1.5x.
2. Throughput: a 10,000-run Monte Carlo of Q1 with random crashes (MTBF
   ``--mtbf`` seconds), per model, on one core. Target: at least 5,000 runs/s.

Timings are the best of ``--repeat`` tries, measured alternately with the bare
loop (and, for the Monte Carlo, going round the models), because a shared
machine's speed drifts between minutes.

Usage: python benchmarks/bench_core.py [--runs N] [--models m1 m2 ...] [--repeat K]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simlib import FaultSchedule, get_model, get_scenario, simulate  # noqa: E402
from simlib.models import model_names  # noqa: E402
from simlib.core.sweep import sweep  # noqa: E402

TARGET_RATIO = 1.5
TARGET_RUNS_PER_S = 5000


def _bare_run(timeouts: int) -> None:
    def proc(env, n):
        for _ in range(n):
            yield env.timeout(45.0)

    env = simpy.Environment()
    env.process(proc(env, timeouts))
    env.run()


def _timed(fn, n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return time.perf_counter() - t


def overhead(model_name: str, steps: int, runs: int, repeat: int) -> dict:
    """Best-of-``repeat`` wall times of simlib and bare SimPy, per step and per run."""
    model = get_model(model_name)
    sc = get_scenario("q1")
    free = FaultSchedule()
    long_run = lambda i: simulate(sc, model, seed=i, faults=free, record=False, params={"calls": steps})  # noqa: E731
    q1_run = lambda i: simulate(sc, model, seed=i, faults=free, record=False)  # noqa: E731
    check = simulate(sc, model, seed=0, faults=free, record=False, params={"calls": steps}).summary
    if check.steps_executed != steps:
        raise SystemExit(f"the long chain ran {check.steps_executed} steps, not {steps} (horizon too short?)")
    best = {"long": float("inf"), "long_bare": float("inf"), "q1": float("inf"), "q1_bare": float("inf")}
    for _ in range(repeat):
        best["long"] = min(best["long"], _timed(long_run, 1))
        best["long_bare"] = min(best["long_bare"], _timed(lambda i: _bare_run(steps), 1))
        best["q1"] = min(best["q1"], _timed(q1_run, runs))
        best["q1_bare"] = min(best["q1_bare"], _timed(lambda i: _bare_run(20), runs))
    return {
        "steps_per_s": steps / best["long"],
        "timeouts_per_s": steps / best["long_bare"],
        "event_ratio": best["long"] / best["long_bare"],
        "q1_us": best["q1"] / runs * 1e6,
        "q1_bare_us": best["q1_bare"] / runs * 1e6,
        "run_ratio": best["q1"] / best["q1_bare"],
    }


def monte_carlo(models: list, runs: int, mtbf_s: float, repeat: int) -> dict:
    """Runs per second of a ``runs``-run Q1 sweep with random crashes, per model (best of ``repeat``).

    The tries go round the models (model 1, 2, ..., then 1, 2, ... again), so each model's
    tries fall at different moments and one slow minute of the machine cannot spoil all of them.
    """
    best = {name: float("inf") for name in models}
    aggs = {}
    for _ in range(repeat):
        for name in models:
            t = time.perf_counter()
            aggs[name] = sweep("q1", name, runs=runs, mtbf_s=mtbf_s, seed=0)
            best[name] = min(best[name], time.perf_counter() - t)
    return {name: (runs / best[name], aggs[name]) for name in models}


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000, help="runs per Monte Carlo (default 10,000)")
    ap.add_argument("--overhead-runs", type=int, default=2000, help="Q1 runs per overhead try")
    ap.add_argument("--steps", type=int, default=2000, help="steps in the long chain")
    ap.add_argument("--models", nargs="+", default=None, help="models for the Monte Carlo (default: all)")
    ap.add_argument("--overhead-model", default="temporal")
    ap.add_argument("--mtbf", type=float, default=3600.0, help="mean seconds between random crashes")
    ap.add_argument("--repeat", type=int, default=3, help="tries per measurement; the best counts")
    args = ap.parse_args()

    o = overhead(args.overhead_model, args.steps, args.overhead_runs, args.repeat)
    print(f"overhead ({args.overhead_model}, fault-free, no history kept)")
    print(f"  event rate: simlib {o['steps_per_s']:,.0f} steps/s, bare SimPy {o['timeouts_per_s']:,.0f} "
          f"timeouts/s -> ratio {o['event_ratio']:.2f}x   target <= {TARGET_RATIO}x: "
          f"{_verdict(o['event_ratio'] <= TARGET_RATIO)}")
    print(f"  per Q1 run: simlib {o['q1_us']:.0f} us, bare SimPy (20 timeouts) {o['q1_bare_us']:.0f} us "
          f"-> ratio {o['run_ratio']:.2f}x   target <= {TARGET_RATIO}x: {_verdict(o['run_ratio'] <= TARGET_RATIO)}")
    print(f"monte carlo: q1, {args.runs:,} runs, random crashes MTBF {args.mtbf:g} s, one core")
    for name, (rate, agg) in monte_carlo(args.models or model_names(), args.runs, args.mtbf, args.repeat).items():
        print(f"  {name:24s} {rate:8,.0f} runs/s   crashes/run={agg.mean('crashes'):.3f}  "
              f"usd re-spent per 10k runs={agg.per_10k('llm_cost_reexecuted_usd'):.2f}   "
              f"target >= {TARGET_RUNS_PER_S:,}: {_verdict(rate >= TARGET_RUNS_PER_S)}")


if __name__ == "__main__":
    main()
