"""``python -m simlib exercises``: generate exercises/ and the answer key from solutions/."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError
from ..grading.generate import KEY_PATH, generate
from .parser import Parser, fail

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """``python -m simlib exercises [--check] [--solutions DIR] [--exercises DIR]``."""
    p = Parser(prog="python -m simlib exercises",
                description="generate exercises/ and the answer key from solutions/")
    p.add_argument("--solutions", default="solutions", help="reference notebooks (default: solutions)")
    p.add_argument("--exercises", default="exercises", help="where learner notebooks go (default: exercises)")
    p.add_argument("--key", default=str(KEY_PATH), help="the answer key module to write")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 when anything differs")
    try:
        args = p.parse_args(argv)
        differ = generate(Path(args.solutions), Path(args.exercises), Path(args.key), check=args.check)
    except ConfigError as e:
        return fail(e)
    if args.check:
        if differ:
            print("out of date (run `python -m simlib exercises`): " + ", ".join(differ))
            return 1
        print("exercises/ and the answer key match solutions/")
        return 0
    print(f"wrote {len(differ)} file(s)" + (": " + ", ".join(differ) if differ else " (all up to date)"))
    return 0
