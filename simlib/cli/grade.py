"""``python -m simlib grade``: grade a folder of submitted notebooks, each in its own sandbox."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from ..core.errors import ConfigError
from ..grading.batch import BWRAP_INSTALL, grade_dir
from ..grading.runner import Limits
from ..grading.submission import BATCH_SEED
from .parser import Parser

__all__ = ["main"]


def _positive(name: str, value, integer: bool = False):
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or value <= 0:
        kind = "a whole number" if integer else "a finite number"
        raise ConfigError(f"{name} must be {kind} > 0, got {value!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """``python -m simlib grade DIR --out OUTDIR [options]``; returns the exit status."""
    p = Parser(prog="python -m simlib grade",
                description="grade a folder of submitted notebooks, each in its own bubblewrap sandbox "
                            f"(install it with: {BWRAP_INSTALL})")
    p.add_argument("dir", help="folder of submitted .ipynb files (searched recursively, links not followed)")
    p.add_argument("--out", required=True,
                   help="folder for results/, grades.csv, pass_rates.csv, manifest.json and report.html")
    p.add_argument("--timeout", type=float, default=120.0, help="wall-clock seconds per submission (120)")
    p.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per notebook cell (30)")
    p.add_argument("--step-timeout", type=float, default=5.0,
                   help="seconds a workflow may run between two steps (5)")
    p.add_argument("--memory-mb", type=int, default=2048,
                   help="memory of one submission's sandbox, all its processes together, in MB (2048)")
    p.add_argument("--processes", type=int, default=64, help="processes and threads a sandbox may run (64)")
    p.add_argument("--output-kb", type=int, default=1024, help="cap on a submission's printed output (1024)")
    p.add_argument("--event-budget", type=int, default=2_000, help="simulated events per Part B run (2000; a correct run needs about 44)")
    p.add_argument("--seed", type=int, default=BATCH_SEED, help="Part B campaign seed (keep it private)")
    p.add_argument("--random-runs", type=int, default=8, help="random-crash runs per order kind in Part B (8)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (1)")
    p.add_argument("--resume", action="store_true",
                   help="skip submissions this grader already recorded in OUTDIR's manifest")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no per-submission lines")
    p.add_argument("--no-report", action="store_true", help="do not write report.html and report.png")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run submissions WITHOUT isolation when bubblewrap is not available: a submission "
                        "can then read the answer key and solutions, the network and your files; use only "
                        "for code you trust")
    try:
        args = p.parse_args(argv)
        for opt, v in (("--timeout", args.timeout), ("--cell-timeout", args.cell_timeout),
                       ("--step-timeout", args.step_timeout)):
            _positive(opt, v)
        for opt, v in (("--memory-mb", args.memory_mb), ("--processes", args.processes),
                       ("--output-kb", args.output_kb), ("--event-budget", args.event_budget)):
            _positive(opt, v, integer=True)
        if args.seed < 0:
            raise ConfigError(f"--seed must be >= 0, got {args.seed}")
        if args.random_runs < 0:
            raise ConfigError(f"--random-runs must be >= 0, got {args.random_runs}")
        if args.jobs < 1:
            raise ConfigError(f"--jobs must be >= 1, got {args.jobs}")
        limits = Limits(wall_s=args.timeout, cell_s=args.cell_timeout, step_s=args.step_timeout,
                        memory_mb=args.memory_mb, output_kb=args.output_kb, event_budget=args.event_budget,
                        processes=args.processes)
        bar = not args.quiet and sys.stderr.isatty()
        progress = (lambda *_a: None) if args.quiet else print
        grade_dir(Path(args.dir), Path(args.out), limits, args.seed, args.random_runs, args.jobs, args.resume,
                  progress=progress, isolated=not args.unsafe_no_sandbox, bar=bar, report=not args.no_report)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
