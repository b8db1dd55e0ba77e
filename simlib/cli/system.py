"""``python -m simlib system``: run one of the ready-made multi-engine systems."""

from __future__ import annotations

import argparse

from ..core.errors import ConfigError
from ..core.faults import NO_FAULTS
from ..core.rng import DEFAULT_SEED
from ..models.systems import format_recovery_table, recovery_table, run_system
from ..scenarios.compose import SYSTEMS
from .jsonio import dumps
from .numbers import MAX_SEED, whole
from .parser import Parser, fail

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """``python -m simlib system NAME [--seed N] [--no-faults] [--json]``: run a ready-made system.

    Prints the run's summary line and the recovery table (or JSON with both). Returns 0, or 2
    after one line on stderr for bad input.
    """
    p = Parser(prog="python -m simlib system", description="run a ready-made multi-engine system")
    p.add_argument("name", help=f"one of: {', '.join(SYSTEMS)}")
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=DEFAULT_SEED)
    p.add_argument("--no-faults", action="store_true", help="ignore the system's default faults")
    p.add_argument("--json", action="store_true", help="print strict JSON")
    try:
        args = p.parse_args(argv)
        if args.name not in SYSTEMS:
            raise ConfigError(f"unknown system {args.name!r}; allowed: {', '.join(SYSTEMS)}")
        res = run_system(SYSTEMS[args.name](), seed=args.seed, faults=NO_FAULTS if args.no_faults else None)
    except (ConfigError, argparse.ArgumentError) as e:
        return fail(e)
    rows = recovery_table(res)
    s = res.summary
    if args.json:
        print(dumps({"summary": s.to_dict(), "recovery": rows}, sort_keys=True, default=str))
    else:
        print(f"{s.model}: completed={s.completed} runs={len(res.run.instances)} crashes={s.crashes} "
              f"effects={s.effects} duplicate_effects={s.duplicate_effects}")
        print(format_recovery_table(rows))
    return 0
