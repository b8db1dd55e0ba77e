"""``python -m simlib recommend``: rank durable-execution engines for a workload profile."""

from __future__ import annotations

import math

from ..core.errors import ConfigError
from ..course.evidence import evidence
from ..course.recommend import Profile, recommend
from .jsonio import dumps, read_json
from .numbers import MAX_CRASH_RATE_PER_HOUR, MAX_SAMPLES, whole
from .parser import Parser, fail
from .progress import bar

__all__ = ["main"]


def _check_rate(data) -> None:
    """Refuse a crash rate the evidence runs could not finish in reasonable time (ints of any size too)."""
    if not isinstance(data, dict):
        return
    rate = data.get("crash_rate_per_hour")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        return      # Profile names the wrong type
    if not (0 <= rate <= MAX_CRASH_RATE_PER_HOUR):   # exact for ints of any size; False for NaN
        shown = rate if isinstance(rate, int) or not math.isnan(rate) else "NaN"
        raise ConfigError(f"invalid value {shown!r} for field 'crash_rate_per_hour'; allowed: a number in "
                          f"0..{MAX_CRASH_RATE_PER_HOUR:g} (crashes per hour)")


def main(argv: list[str]) -> int:
    """Run ``python -m simlib recommend --profile FILE.json [--json] [--samples N] [--quiet]``.

    Args:
        argv: Arguments after the ``recommend`` sub-command.

    Returns:
        0 on success; 2 on bad usage or bad input, after printing one line
        naming the problem to stderr.
    """
    parser = Parser(prog="python -m simlib recommend",
                    description="Rank durable-execution engines for a workload profile.")
    parser.add_argument("--profile", required=True, metavar="FILE.json",
                        help="JSON object with Profile fields; missing fields take defaults; "
                             f"crash_rate_per_hour at most {MAX_CRASH_RATE_PER_HOUR:g}")
    parser.add_argument("--json", action="store_true", help="print strict JSON instead of text")
    parser.add_argument("--no-evidence", action="store_true",
                        help="skip the simulation evidence for the top two engines")
    parser.add_argument("--samples", type=whole(1, MAX_SAMPLES), default=200,
                        help=f"sampled runs per engine for the evidence (default 200, at most {MAX_SAMPLES})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar for the evidence")
    try:
        args = parser.parse_args(argv)
        data = read_json(args.profile, "profile")
        _check_rate(data)
        try:
            profile = Profile.from_dict(data)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ConfigError(f"invalid profile {args.profile!r}: {exc}") from None
        if args.no_evidence:
            rec = recommend(profile)
        else:
            with bar(2 * args.samples, "evidence", args.quiet) as progress:
                rec = recommend(profile, evidence=lambda p, engines: evidence(
                    p, list(engines), samples=args.samples, progress=progress.update))
    except ConfigError as exc:
        return fail(exc)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(dumps(rec.to_dict(), indent=2) if args.json else rec.format_text())
    return 0
