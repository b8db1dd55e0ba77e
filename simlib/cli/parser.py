"""The argument parser every subcommand uses, and the one-line error every command prints.

A usage error never prints usage text or a traceback: the parser raises `ConfigError`,
the command prints ``error: <message>`` as one line of at most `LINE_MAX` characters
(a long value inside it is cut to `VALUE_MAX` characters and ``...``), and exits with 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from ..core.errors import ConfigError

__all__ = ["Parser", "one_line", "fail", "LINE_MAX", "VALUE_MAX"]

LINE_MAX = 200
VALUE_MAX = 80
# A quoted value (either quote, backslash escapes allowed) or a run of non-blanks longer than VALUE_MAX.
_LONG = re.compile(r"""'(?:[^'\\]|\\.){%d,}'|"(?:[^"\\]|\\.){%d,}"|\S{%d,}"""
                   % (VALUE_MAX - 1, VALUE_MAX - 1, VALUE_MAX + 1))


def _cut(match: re.Match) -> str:
    text = match.group(0)
    if text[0] in "'\"" and text[-1] == text[0]:
        return text[0] + text[1:VALUE_MAX - 4] + "..." + text[0]
    return text[:VALUE_MAX - 3] + "..."


def one_line(message: object) -> str:
    """``message`` as one line: long values shortened, whitespace runs made single spaces, at most LINE_MAX."""
    text = " ".join(_LONG.sub(_cut, str(message)).split())
    line = f"error: {text}"
    return line if len(line) <= LINE_MAX else line[:LINE_MAX - 3] + "..."


def fail(exc: BaseException | str) -> int:
    """Print the one-line error for ``exc`` on stderr and return the exit status 2."""
    print(one_line(exc), file=sys.stderr)
    return 2


class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` that raises `ConfigError` instead of printing usage and exiting.

    It also takes an option's value when the value starts with ``-`` (``--crash -1:before-step``,
    ``--mtbf -inf``), which plain argparse reads as another option; the value is then checked,
    and refused, by the option itself with a message that names it.
    """

    def error(self, message: str) -> NoReturn:  # noqa: D401 - argparse API
        raise ConfigError(message)

    def parse_known_args(self, args=None, namespace=None):  # noqa: D401 - argparse API
        """As argparse's, after gluing dash-leading values to their option (``--crash=-1:x``)."""
        if args is not None:
            args = self._glue(list(args))
        return super().parse_known_args(args, namespace)

    def _glue(self, argv: list[str]) -> list[str]:
        known = self._option_string_actions
        out: list[str] = []
        i = 0
        while i < len(argv):
            tok = argv[i]
            action = known.get(tok)
            if (action is not None and action.nargs is None and i + 1 < len(argv)
                    and argv[i + 1].startswith("-") and argv[i + 1] not in known and argv[i + 1] != "--"
                    and not argv[i + 1].startswith("--")):
                out.append(f"{tok}={argv[i + 1]}")
                i += 2
                continue
            out.append(tok)
            i += 1
        return out
