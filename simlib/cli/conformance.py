"""``python -m simlib conformance``: run the real engines installed here next to their models.

Prints one row per behaviour: engine, behaviour, real value, simulated value,
whether they agree (within the stated tolerance) and the value's source. An
engine that cannot run here shows as one "skipped" row whose agree column says
why: a missing package (install the real extra) or a missing server binary.

Exit status: 0 when every row that ran agrees, 1 when any disagrees (rows the
model is known to get wrong today count: they are marked with the issue that
will fix them), 2 on bad input.
"""

from __future__ import annotations

import sys

from ..conformance import ENGINES, run, to_json, to_markdown, to_text
from ..core.errors import ConfigError
from .parser import Parser, fail

__all__ = ["main"]


def _engines(text: str | None) -> list[str]:
    if text is None:
        return list(ENGINES)
    names = [n.strip() for n in text.split(",")]
    for n in names:
        if n not in ENGINES:
            raise ConfigError(f"unknown engine {n!r} in --engines; allowed: {', '.join(ENGINES)}")
    return names


def main(argv: list[str] | None = None) -> int:
    """``python -m simlib conformance [--engines A,B] [--json | --markdown]``; returns the exit status."""
    p = Parser(prog="python -m simlib conformance",
               description="run the real engines that are installed (pip install -e '.[real]'; Restate also "
                           "needs RESTATE_SERVER_BIN) with the same crash as the simulator and compare "
                           "effects and times. Exit 0: every row agrees; 1: some row disagrees; 2: bad input.")
    p.add_argument("--engines", help=f"comma-separated subset of: {', '.join(ENGINES)} (default: all)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="strict JSON: {meta, rows}")
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table with the date and machine")
    try:
        args = p.parse_args(argv)
        engines = _engines(args.engines)
    except ConfigError as e:
        return fail(e)
    quiet = args.json or args.markdown
    rows, meta = run(engines, progress=None if quiet else lambda n: print(f"running {n} ...", file=sys.stderr))
    if args.json:
        print(to_json(rows, meta))
    elif args.markdown:
        print(f"Measured {meta['date']} on {meta['machine']}, Python {meta['python']} "
              f"(`python -m simlib conformance --markdown`).\n")
        print(to_markdown(rows))
    else:
        print(to_text(rows))
        print(f"\n{meta['date']}, {meta['machine']}; seconds per engine: "
              + ", ".join(f"{k} {v:g}" for k, v in meta["seconds"].items()))
    return 1 if any(r.agree is False for r in rows) else 0
