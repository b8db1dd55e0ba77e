"""Progress bars for long commands: tqdm on stderr, only for a person watching a terminal.

A bar is off with ``--quiet`` and whenever stderr is not a terminal (a pipe, a file, a test),
so captured output and ``--json`` stay clean.
"""

from __future__ import annotations

import sys

__all__ = ["bar"]


def bar(total: int, desc: str, quiet: bool = False, unit: str = "run"):
    """A tqdm bar over ``total`` units, or a disabled one; use it as a context manager."""
    from tqdm import tqdm

    stream = sys.stderr
    off = quiet or not (hasattr(stream, "isatty") and stream.isatty())
    return tqdm(total=total, desc=desc, unit=unit, file=stream, disable=off, leave=False,
                dynamic_ncols=True, mininterval=0.5)
