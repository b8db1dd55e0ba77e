"""``python -m simlib recommend``: rank durable-execution engines for a workload profile."""

from __future__ import annotations

import json
import sys

from ..core.errors import ConfigError
from ..course.evidence import evidence
from ..course.recommend import Profile, recommend
from .parser import Parser

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Run ``python -m simlib recommend --profile FILE.json [--json]``.

    Args:
        argv: Arguments after the ``recommend`` sub-command.

    Returns:
        0 on success; 2 on bad usage or bad input, after printing one line
        naming the problem to stderr.
    """
    parser = Parser(prog="python -m simlib recommend",
                    description="Rank durable-execution engines for a workload profile.")
    parser.add_argument("--profile", required=True, metavar="FILE.json",
                        help="JSON object with Profile fields; missing fields take defaults")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--no-evidence", action="store_true",
                        help="skip the simulation evidence for the top two engines")
    parser.add_argument("--samples", type=int, default=200,
                        help="sampled runs per engine for the evidence (default 200)")
    try:
        args = parser.parse_args(argv)
        if args.samples < 1:
            raise ConfigError(f"--samples must be >= 1, got {args.samples}")
        try:
            with open(args.profile, encoding="utf-8") as fh:
                raw = fh.read()
        except FileNotFoundError:
            raise ConfigError(f"profile file not found: {args.profile}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read profile file {args.profile}: {exc}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"profile file {args.profile} is not valid JSON: {exc}") from None
        try:
            hook = None
            if not args.no_evidence:
                hook = lambda p, engines: evidence(p, engines, samples=args.samples)  # noqa: E731
            rec = recommend(Profile.from_dict(data), evidence=hook)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"invalid profile {args.profile}: {exc}") from None
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(json.dumps(rec.to_dict(), indent=2) if args.json else rec.format_text())
    return 0
