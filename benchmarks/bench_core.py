"""Speed of the simulator, printed as ratios and rates measured in one run (never asserted in unit tests).

What is compared with what:

1. Per step and per run, against a plain SimPy loop that does the same work. A simulated LLM step draws
   a latency, draws an answer (text, tokens, dollars), bills the call (a count, dollars, and whether the
   step was billed before) and appends the result to a durable journal. The baseline loop does exactly
   that with the same seeded named streams (`simlib.core.rng.RunRandom`) and one SimPy timeout per step;
   simlib adds its engine model, crash bookkeeping and summary on top. Two ratios of time:
   - per step: a long chain (``--steps`` calls in one run), so per-run set-up does not count;
   - per Q1 run: the 20-call Q1 workflow, so per-run set-up counts too.
   Targets: per step <= 1.15x, per run <= 1.25x. Bare SimPy timeouts are printed too, for reference only:
   they do none of the work a step must do.
2. Building a `Run` (environment, random generator, fault plan, fake LLM, instances): target <= 5 us.
   A named random stream is seeded at its first draw, so the two a Q1 run draws from are paid for
   inside the run (and inside the same-work loop); their cost is printed beside.
3. Monte Carlo: a ``--runs``-run sweep of Q1 with random crashes (MTBF ``--mtbf`` s) per model on one
   core, printed beside this machine's bare-SimPy rate (20-timeout runs per second) so that the ratio,
   not the machine, is what counts. Target: >= 12,000 runs/s per model on a quiet machine.
4. Scaling: the same sweep with ``--workers 2`` against one worker (target >= 1.8x), and, with
   ``--million``, the peak memory of 10^4-, 10^5- and 10^6-run sweeps, each in a fresh process
   (flat memory: the same peak; `bench_sweep_memory.py` measures other sizes).

Timings are the best of ``--repeat`` tries, each try alternating the two loops (and going round the models),
because a shared machine's speed drifts between minutes; ``--cpu`` times this process's CPU time instead of
wall time, which leaves out the time spent waiting for a core on a busy machine.

Usage: python benchmarks/bench_core.py [--runs N] [--models m1 m2 ...] [--repeat K] [--cpu] [--million]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simlib import FaultSchedule, get_model, get_scenario, simulate  # noqa: E402
from simlib.core.engine import Run  # noqa: E402
from simlib.core.rng import RunRandom  # noqa: E402
from simlib.core.sweep import sweep  # noqa: E402
from simlib.models import model_names  # noqa: E402

clock = time.perf_counter   # wall time; --cpu: this process's CPU time (a busy machine's queue left out)

TARGET_STEP_RATIO = 1.15
TARGET_RUN_RATIO = 1.25
TARGET_RUN_BUILD_US = 5.0
TARGET_RUNS_PER_S = 12_000
TARGET_SCALING = 1.8


def same_work_run(steps: int, seed: int, llm) -> tuple[int, float]:
    """One workflow of ``steps`` LLM calls in plain SimPy, doing a simulated step's work; returns its bill.

    The work per step is what simlib's LLM step does besides its engine model: name the call (as Q1's
    workflow code does), draw its latency and wait for it, draw the answer (text, tokens, dollars), bill
    it (count the call and its dollars, and note whether the step was billed before) and append the
    result to the durable journal.
    """
    env = simpy.Environment()
    rng = RunRandom(seed)
    lat, out = rng.stream("latency").random, rng.stream("llm").random
    lo, span = llm.mean_latency_s * (1 - llm.jitter), llm.mean_latency_s * 2 * llm.jitter
    in_cost, out_price, tokens_out = llm.tokens_in * llm.usd_per_mtok_in / 1e6, llm.usd_per_mtok_out / 1e6, llm.tokens_out
    journal: list = []
    billed: set = set()
    bill = [0, 0.0, 0]   # calls, dollars, repeated calls

    def workflow():
        text = ""
        for step in range(1, steps + 1):
            name = f"llm-{step:02d}"                                  # the workflow names the call
            yield env.timeout(lo + span * lat())                       # the call's latency
            u = out()                                                   # the answer ...
            tokens = int(tokens_out * (0.5 + u))
            usd = in_cost + tokens * out_price
            text = "%s:answer-%06d" % (name, u * 1e6)
            bill[0] += 1                                                # ... and its bill
            bill[1] += usd
            if step in billed:
                bill[2] += 1
            else:
                billed.add(step)
            journal.append(("llm", name, text))                        # the durable record
        return text

    env.process(workflow())
    env.run()
    return bill[0], bill[1]


def bare_run(timeouts: int) -> None:
    """``timeouts`` SimPy timeouts and nothing else (reference only)."""
    env = simpy.Environment()

    def proc():
        for _ in range(timeouts):
            yield env.timeout(45.0)

    env.process(proc())
    env.run()


def best_of(repeat: int, fns: dict, timer=None) -> dict:
    """Best time of each callable over ``repeat`` rounds, the callables alternating within a round."""
    timer = timer or clock
    best = {k: float("inf") for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = timer()
            fn()
            best[k] = min(best[k], timer() - t)
    return best


def overhead(model_name: str, steps: int, runs: int, repeat: int) -> dict:
    model, sc, free = get_model(model_name), get_scenario("q1"), FaultSchedule()
    llm = sc.llm
    check = simulate(sc, model, seed=0, faults=free, record=False, params={"calls": steps}).summary
    if check.steps_executed != steps:
        raise SystemExit(f"the long chain ran {check.steps_executed} steps, not {steps} (horizon too short?)")
    q1 = simulate(sc, model, seed=0, faults=free, record=False).summary
    q1_steps = q1.steps_executed
    if same_work_run(q1_steps, 0, llm) != (q1.llm_calls, q1.llm_cost_usd):
        raise SystemExit("the same-work loop's bill differs from simlib's: it does not do the same work")

    def many(fn):
        # Each result is dropped at once, as a sweep drops it: a list of 2,000 kept runs would make
        # every garbage collection walk all of them (about 30 us a run) and time the collector instead.
        def loop():
            for i in range(runs):
                fn(i)
        return loop

    best = best_of(repeat, {
        "long": lambda: simulate(sc, model, seed=1, faults=free, record=False, params={"calls": steps}),
        "long_same": lambda: same_work_run(steps, 1, llm),
        "long_bare": lambda: bare_run(steps),
        "q1": many(lambda i: simulate(sc, model, seed=i, faults=free, record=False)),
        "q1_same": many(lambda i: same_work_run(q1_steps, i, llm)),
        "q1_bare": many(lambda i: bare_run(q1_steps)),
        "build": many(lambda i: Run(sc, model, i, free, False, None)),
        "rng": many(lambda i: (lambda r: (r.stream("latency"), r.stream("llm")))(RunRandom(i))),
    })
    return {
        "step_us": best["long"] / steps * 1e6, "step_same_us": best["long_same"] / steps * 1e6,
        "step_bare_us": best["long_bare"] / steps * 1e6,
        "q1_us": best["q1"] / runs * 1e6, "q1_same_us": best["q1_same"] / runs * 1e6,
        "q1_bare_us": best["q1_bare"] / runs * 1e6, "q1_steps": q1_steps,
        "build_us": best["build"] / runs * 1e6, "rng_us": best["rng"] / runs * 1e6,
    }


def monte_carlo(models: list, runs: int, mtbf_s: float, repeat: int) -> tuple[dict, float]:
    """Runs/s per model (best of ``repeat``, going round the models) and the bare 20-timeout runs/s."""
    best = {name: float("inf") for name in models}
    bare = float("inf")
    aggs = {}
    for _ in range(repeat):
        t = clock()
        for _ in range(runs):
            bare_run(20)
        bare = min(bare, clock() - t)
        for name in models:
            t = clock()
            aggs[name] = sweep("q1", name, runs=runs, mtbf_s=mtbf_s, seed=0)
            best[name] = min(best[name], clock() - t)
    return {name: (runs / best[name], aggs[name]) for name in models}, runs / bare


def scaling(model: str, runs: int, mtbf_s: float, repeat: int) -> tuple[float, float]:
    best = best_of(repeat, {
        1: lambda: sweep("q1", model, runs=runs, mtbf_s=mtbf_s, seed=0, workers=1),
        2: lambda: sweep("q1", model, runs=runs, mtbf_s=mtbf_s, seed=0, workers=2),
    }, timer=time.perf_counter)   # wall time always: a pool's work is not this process's CPU time
    return runs / best[1], runs / best[2]


def verdict(ok: bool) -> str:
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
    ap.add_argument("--cpu", action="store_true",
                    help="time with this process's CPU time instead of wall time (a shared machine under load)")
    ap.add_argument("--million", action="store_true", help="also measure a 10^6-run sweep's memory (~1 min on 2 cores)")
    args = ap.parse_args()
    if args.cpu:
        global clock
        clock = time.process_time
    print(f"timing: best of {args.repeat}, {'CPU' if args.cpu else 'wall'} time")

    o = overhead(args.overhead_model, args.steps, args.overhead_runs, args.repeat)
    r_step, r_run = o["step_us"] / o["step_same_us"], o["q1_us"] / o["q1_same_us"]
    print(f"overhead ({args.overhead_model}, fault-free, no history kept)")
    print(f"  per step ({args.steps}-call chain): simlib {o['step_us']:.2f} us, same-work SimPy loop "
          f"{o['step_same_us']:.2f} us -> {r_step:.2f}x   target <= {TARGET_STEP_RATIO}x: "
          f"{verdict(r_step <= TARGET_STEP_RATIO)}   (bare timeout {o['step_bare_us']:.2f} us: "
          f"{o['step_us'] / o['step_bare_us']:.2f}x)")
    print(f"  per Q1 run ({o['q1_steps']} calls): simlib {o['q1_us']:.1f} us, same-work loop {o['q1_same_us']:.1f} us"
          f" -> {r_run:.2f}x   target <= {TARGET_RUN_RATIO}x: {verdict(r_run <= TARGET_RUN_RATIO)}   "
          f"(bare timeouts {o['q1_bare_us']:.1f} us: {o['q1_us'] / o['q1_bare_us']:.2f}x)")
    print(f"  building a Run: {o['build_us']:.1f} us   target <= {TARGET_RUN_BUILD_US:g} us: "
          f"{verdict(o['build_us'] <= TARGET_RUN_BUILD_US)}   (streams are seeded at their first draw: the "
          f"two a Q1 run draws from cost {o['rng_us']:.1f} us, inside the run, as in the same-work loop)")

    rates, bare = monte_carlo(args.models or model_names(), args.runs, args.mtbf, args.repeat)
    print(f"monte carlo: q1, {args.runs:,} runs, random crashes MTBF {args.mtbf:g} s, one core; "
          f"this machine's bare SimPy: {bare:,.0f} runs/s of 20 timeouts")
    for name, (rate, agg) in rates.items():
        print(f"  {name:24s} {rate:8,.0f} runs/s ({bare / rate:4.1f}x a bare run)  "
              f"crashes/run={agg.mean('crashes'):.3f}   target >= {TARGET_RUNS_PER_S:,}: "
              f"{verdict(rate >= TARGET_RUNS_PER_S)}")

    one, two = scaling(args.overhead_model, max(args.runs, 20_000), args.mtbf, args.repeat)
    print(f"sweep scaling ({args.overhead_model}): 1 worker {one:,.0f} runs/s, 2 workers {two:,.0f} runs/s -> "
          f"{two / one:.2f}x   target >= {TARGET_SCALING}x: {verdict(two / one >= TARGET_SCALING)}")
    if args.million:
        from bench_sweep_memory import measure, report   # this folder; each sweep in a fresh process
        print(f"sweep memory ({args.overhead_model}, 2 workers, peak RSS):")
        report([measure(n, 2, args.overhead_model) for n in (10_000, 100_000, 1_000_000)])


if __name__ == "__main__":
    main()
