"""``python -m simlib grade``: grade a folder of submitted notebooks."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import ConfigError
from ..grading.batch import grade_dir
from ..grading.runner import Limits
from ..grading.submission import BATCH_SEED
from .parser import Parser

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """``python -m simlib grade DIR --out OUTDIR [options]``; returns the exit status."""
    p = Parser(prog="python -m simlib grade", description="grade a folder of submitted notebooks")
    p.add_argument("dir", help="folder of submitted .ipynb files (searched recursively)")
    p.add_argument("--out", required=True, help="folder for grades.csv, results/ and pass_rates.csv")
    p.add_argument("--timeout", type=float, default=120.0, help="wall-clock seconds per submission (120)")
    p.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per notebook cell (30)")
    p.add_argument("--step-timeout", type=float, default=5.0,
                   help="seconds a workflow may run between two steps (5)")
    p.add_argument("--memory-mb", type=int, default=2048, help="memory limit per submission in MB (2048)")
    p.add_argument("--output-kb", type=int, default=1024, help="cap on a submission's printed output (1024)")
    p.add_argument("--event-budget", type=int, default=20_000, help="simulated events per Part B run (20000)")
    p.add_argument("--seed", type=int, default=BATCH_SEED, help="Part B campaign seed (keep it private)")
    p.add_argument("--random-runs", type=int, default=8, help="random-crash runs per order kind in Part B (8)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (1)")
    p.add_argument("--resume", action="store_true", help="skip submissions already graded into OUTDIR")
    try:
        args = p.parse_args(argv)
        if args.seed < 0:
            raise ConfigError(f"--seed must be >= 0, got {args.seed}")
        if args.random_runs < 0:
            raise ConfigError(f"--random-runs must be >= 0, got {args.random_runs}")
        limits = Limits(wall_s=args.timeout, cell_s=args.cell_timeout, step_s=args.step_timeout,
                        memory_mb=args.memory_mb, output_kb=args.output_kb, event_budget=args.event_budget)
        grade_dir(Path(args.dir), Path(args.out), limits, args.seed, args.random_runs, args.jobs, args.resume)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
