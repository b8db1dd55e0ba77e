"""``python -m simlib self-heal``: success rate and dollars of each retry policy for semantic failures."""

from __future__ import annotations

import json
import sys
from dataclasses import fields

from ..core.errors import ConfigError
from ..core.rng import DEFAULT_SEED
from ..course.selfheal import POLICIES, SelfHealConfig, policy_sweep
from .parser import Parser

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """``python -m simlib self-heal [--runs N] [--seed N] [--SETTING VALUE ...] [--json]``."""
    p = Parser(prog="python -m simlib self-heal",
                description="Success rate and dollars of each retry policy for semantic failures.")
    p.add_argument("--runs", type=int, default=500, help="seeds per policy (default 500)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--policies", nargs="+", default=list(POLICIES), help=f"some of: {', '.join(POLICIES)}")
    for f in fields(SelfHealConfig):
        if f.name != "policy":
            p.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, type=type(f.default), default=None)
    p.add_argument("--json", action="store_true")
    try:
        args = p.parse_args(argv)
        if args.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {args.seed}")
        params = {f.name: getattr(args, f.name) for f in fields(SelfHealConfig)
                  if f.name != "policy" and getattr(args, f.name) is not None}
        rows = policy_sweep(args.runs, args.seed, policies=tuple(args.policies), **params)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows, sort_keys=True))
        return 0
    print(f"{'policy':20s} {'success':>8s} {'usd/run':>9s} {'attempts':>9s} {'usd/success':>12s}")
    for r in rows:
        print(f"{r['policy']:20s} {r['success_rate']:8.3f} {r['mean_usd']:9.4f} {r['mean_attempts']:9.2f} "
              f"{r['usd_per_success']:12.4f}")
    return 0
