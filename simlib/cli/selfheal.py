"""``python -m simlib self-heal``: success rate and dollars of each retry policy for semantic failures."""

from __future__ import annotations

from dataclasses import fields

from ..core.errors import ConfigError
from ..core.rng import DEFAULT_SEED
from ..course.selfheal import POLICIES, SelfHealConfig, policy_sweep
from .jsonio import dumps
from .numbers import MAX_SEED, MAX_SELFHEAL_ATTEMPTS, MAX_SELFHEAL_RUNS, number, whole
from .parser import Parser, fail
from .progress import bar

__all__ = ["main"]

MAX_VALUE_USD = 1e6
# The option type of each SelfHealConfig field; the config itself checks the [0, 1] shares.
_TYPES = {
    "max_attempts": whole(1, MAX_SELFHEAL_ATTEMPTS),
    "value_usd": number(0.0, MAX_VALUE_USD),
}


def main(argv: list[str]) -> int:
    """``python -m simlib self-heal [--runs N] [--seed N] [--SETTING VALUE ...] [--json] [--quiet]``."""
    p = Parser(prog="python -m simlib self-heal",
               description="Success rate and dollars of each retry policy for semantic failures.")
    p.add_argument("--runs", type=whole(1, MAX_SELFHEAL_RUNS), default=500,
                   help=f"seeds per policy (default 500, at most {MAX_SELFHEAL_RUNS:,})")
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=DEFAULT_SEED)
    p.add_argument("--policies", nargs="+", default=list(POLICIES), help=f"some of: {', '.join(POLICIES)}")
    for f in fields(SelfHealConfig):
        if f.name != "policy":
            p.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, type=_TYPES.get(f.name, type(f.default)),
                           default=None, help=f"default {f.default}"
                           + (f", at most {MAX_SELFHEAL_ATTEMPTS}" if f.name == "max_attempts" else ""))
    p.add_argument("--json", action="store_true", help="print strict JSON (a cost per success of none is null)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    try:
        args = p.parse_args(argv)
        params = {f.name: getattr(args, f.name) for f in fields(SelfHealConfig)
                  if f.name != "policy" and getattr(args, f.name) is not None}
        for policy in args.policies:     # every setting checked before anything runs
            SelfHealConfig.from_params(dict(params, policy=policy))
        with bar(args.runs * len(args.policies), "self-heal", args.quiet) as progress:
            rows = policy_sweep(args.runs, args.seed, policies=tuple(args.policies), progress=progress.update,
                                **params)
    except ConfigError as e:
        return fail(e)
    if args.json:
        print(dumps(rows, sort_keys=True))
        return 0
    print(f"{'policy':20s} {'success':>8s} {'usd/run':>9s} {'attempts':>9s} {'usd/success':>12s}")
    for r in rows:
        print(f"{r['policy']:20s} {r['success_rate']:8.3f} {r['mean_usd']:9.4f} {r['mean_attempts']:9.2f} "
              f"{r['usd_per_success']:12.4f}")
    return 0
