"""Speed of the crash lab: from a control change to the redrawn figure (target: median <= 250 ms).

The crash lab shows one scenario under three models. Each redraw runs the
three simulations, draws the timeline, encodes it (SVG, the widgets' default,
or PNG) and replaces the widget's output. This script changes a control N times
(alternating the crash step and the seed, so every redraw is new work) and
prints the median and 90th percentile wall time per image format, then one
redraw split into its parts.

This is the kernel side only; benchmarks/bench_browser.py measures the whole trip in Chromium
(input event to the new figure loaded on screen) for all four panels.

Numbers depend on the machine and on what else it is doing, so the load
average is printed alongside. This is a benchmark, not a test: nothing is
asserted.

Usage: python benchmarks/bench_widgets.py [--redraws 30] [--formats svg png] [--models none app-checkpoint temporal]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from simlib import FaultSchedule, parse_crash, simulate  # noqa: E402
from simlib.viz.timeline import timeline  # noqa: E402
from simlib.widgets import CrashLab  # noqa: E402
from simlib.widgets.base import figure_output  # noqa: E402


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _redraws(lab, n):
    wall, cpu = [], []
    for i in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        if i % 2:
            lab.seed.value = 10 + i
        else:
            lab.step.value = 10 + (i // 2) % 10
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if lab.last_error is not None:
            raise SystemExit(f"redraw {i} failed: {lab.last_error}")
    return wall, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--redraws", type=int, default=30)
    ap.add_argument("--formats", nargs="+", default=["svg", "png"], choices=["png", "svg"])
    ap.add_argument("--models", nargs="+", default=["none", "app-checkpoint", "temporal"])
    ap.add_argument("--scenario", default="q1")
    args = ap.parse_args(argv)

    lab = CrashLab(models=args.models, scenario=args.scenario)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"crash lab, scenario {args.scenario}, models {', '.join(args.models)}; {args.redraws} control "
          f"changes per format (load average {load:.2f} on {os.cpu_count()} CPUs)")
    for fmt in args.formats:
        lab.image_format = fmt
        _redraws(lab, 3)  # warm-up: font caches, first-use imports
        wall, cpu = _redraws(lab, args.redraws)
        print(f"  {fmt}: control change -> redrawn figure: median {statistics.median(wall):.0f} ms, "
              f"p90 {_pct(wall, 0.9):.0f} ms (CPU time median {statistics.median(cpu):.0f} ms); target <= 250 ms")

    faults = FaultSchedule(crashes=(parse_crash("15:after-effect"),))
    parts = {"simulate": [], "draw": [], **{f"encode {f}": [] for f in args.formats}}
    for seed in range(10):
        t0 = time.perf_counter()
        runs = {m: simulate(args.scenario, m, seed=seed, faults=faults) for m in args.models}
        t1 = time.perf_counter()
        fig = timeline(runs, compact=True)
        parts["simulate"].append((t1 - t0) * 1000)
        parts["draw"].append((time.perf_counter() - t1) * 1000)
        for fmt in args.formats:
            t2 = time.perf_counter()
            figure_output(fig, fmt=fmt)
            parts[f"encode {fmt}"].append((time.perf_counter() - t2) * 1000)
    print("  one redraw in parts (median): " + ", ".join(f"{k} {statistics.median(v):.0f} ms"
                                                        for k, v in parts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
