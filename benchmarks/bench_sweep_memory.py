"""Peak memory of a Monte Carlo sweep against its run count: flat memory means the same peak for 10x the runs.

Each sweep runs in a fresh Python process, so its peak resident set size (``ru_maxrss``) is its own and not
that of an earlier, larger measurement. Printed per run count: the sweeping process's peak RSS, the
largest pool worker's peak RSS (with ``--workers`` > 1), the peak of Python allocations the sweep made in
the sweeping process (tracemalloc, with ``--trace``; it slows the runs about threefold), and the wall time.

A 10^6-run sweep of Q1 takes about 90 s of one core (two workers: about 45 s on a quiet machine), so it
runs only when asked for: ``--runs 10000 100000 1000000``.

Usage: python benchmarks/bench_sweep_memory.py [--runs N ...] [--workers W] [--model M] [--trace]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time, tracemalloc
sys.path.insert(0, {root!r})
from simlib.core.sweep import sweep
runs, workers, model, trace = {runs}, {workers}, {model!r}, {trace}
if trace:
    tracemalloc.start()
t = time.perf_counter()
agg = sweep("q1", model, runs=runs, mtbf_s=3600.0, seed=0, workers=workers)
wall = time.perf_counter() - t
traced = tracemalloc.get_traced_memory()[1] if trace else None
print(json.dumps({{
    "runs": agg.runs, "wall_s": wall, "traced_peak_kb": traced and traced / 1024,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "crashes_per_run": agg.mean("crashes"),
}}))
"""


def measure(runs: int, workers: int = 2, model: str = "temporal", trace: bool = False) -> dict:
    """Sweep ``runs`` Q1 runs of ``model`` in a fresh process and return its peak memory and wall time."""
    code = _CHILD.format(root=str(ROOT), runs=runs, workers=workers, model=model, trace=trace)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(rows: list) -> None:
    for r in rows:
        traced = f", sweep's allocations peak {r['traced_peak_kb']:,.0f} KB" if r["traced_peak_kb"] else ""
        worker = f", largest worker {r['worker_rss_mb']:.1f} MB" if r["worker_rss_mb"] > 0 else ""
        print(f"  {r['runs']:>9,} runs: {r['wall_s']:6.1f} s ({r['runs'] / r['wall_s']:,.0f} runs/s), "
              f"peak RSS: sweeping process {r['rss_mb']:.1f} MB{worker}{traced}")
    first, last = rows[0], rows[-1]
    if last["runs"] > first["runs"]:
        grow = max(last["rss_mb"] - first["rss_mb"], last["worker_rss_mb"] - first["worker_rss_mb"])
        print(f"  {last['runs'] / first['runs']:g}x the runs: peak RSS grew by {grow:+.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[10_000, 100_000],
                    help="run counts to compare (default 10,000 and 100,000)")
    ap.add_argument("--workers", type=int, default=2, help="pool processes (1: the sweep runs in-process)")
    ap.add_argument("--model", default="temporal")
    ap.add_argument("--trace", action="store_true", help="also trace the sweeping process's Python allocations")
    args = ap.parse_args()
    for n in args.runs:
        if n < 1:
            raise SystemExit(f"--runs {n}: each run count must be >= 1")
    print(f"sweep memory: q1 under {args.model}, random crashes MTBF 3600 s, {args.workers} worker(s)")
    report([measure(n, args.workers, args.model, args.trace) for n in sorted(args.runs)])


if __name__ == "__main__":
    main()
