"""The argument parser every subcommand uses, and the one-line error every command prints.

A usage error never prints usage text or a traceback: the parser raises `ConfigError`,
the command prints ``error: <message>`` as one line of at most `LINE_MAX` characters
(a long value inside it is cut to `VALUE_MAX` characters and ``...``), and exits with 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Callable, NoReturn

from ..core.errors import ConfigError

__all__ = ["Parser", "one_line", "fail", "LINE_MAX", "VALUE_MAX"]

LINE_MAX = 200
VALUE_MAX = 80
_VALUE_MIN = 24    # a second, tighter cut when the allowed values would not fit otherwise


def _long(limit: int) -> re.Pattern:
    """A quoted value (no quote of its kind inside) or a run of non-blanks, longer than ``limit``.

    Plain character classes only: the pattern must stay fast on a value of megabytes.
    """
    q = limit - 1
    return re.compile(f"'[^'\\n]{{{q},}}'|\"[^\"\\n]{{{q},}}\"|\\S{{{limit + 1},}}")


_LONG = {n: _long(n) for n in (VALUE_MAX, _VALUE_MIN)}


def _shorten(text: str, limit: int) -> str:
    def cut(match: re.Match) -> str:
        value = match.group(0)
        if value[0] in "'\"" and value[-1] == value[0]:
            return value[0] + value[1:limit - 4] + "..." + value[0]
        return value[:limit - 3] + "..."
    return _LONG[limit].sub(cut, text)


def one_line(message: object) -> str:
    """``message`` as one line: long values shortened, whitespace runs made single spaces, at most LINE_MAX."""
    raw = str(message)
    line = "error: " + " ".join(_shorten(raw, VALUE_MAX).split())
    if len(line) > LINE_MAX:   # keep room for what is allowed, which comes after the value
        line = "error: " + " ".join(_shorten(raw, _VALUE_MIN).split())
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

    positional_hints: dict[str, Callable[[str], bool]] = {}
    """Option -> whether a bare word looks like its value (``"--scenario"``: is it a scenario name?).

    A command that takes only options sets it, so ``run q1 temporal`` is answered with
    ``did you mean --scenario q1 --model temporal?`` instead of only "arguments are required".
    """

    _seen: list[str] = []

    def error(self, message: str) -> NoReturn:
        stray = self._stray() if self.positional_hints else []
        if stray:
            guesses = [f"{opt} {word}" for word in stray
                       for opt, looks in self.positional_hints.items() if looks(word)][:len(stray)]
            hint = f"did you mean {' '.join(guesses)}?" if guesses else (
                "this command takes options only, e.g. " + " ".join(f"{o} NAME" for o in self.positional_hints))
            # no quotes around the words: a quote here would pair with one in ``message`` when the line is shortened
            raise ConfigError(f"not understood: {' '.join(stray)} ({hint}); {message}")
        raise ConfigError(message)

    def parse_known_args(self, args=None, namespace=None):
        """As argparse's, after gluing dash-leading values to their option (``--crash=-1:x``)."""
        if args is not None:
            args = self._glue(list(args))
            self._seen = args
        return super().parse_known_args(args, namespace)

    def _stray(self) -> list[str]:
        """The bare words of the last parsed arguments that are no option's value."""
        known = self._option_string_actions
        out, takes = [], 0
        for tok in self._seen:
            if tok.startswith("-"):
                action = known.get(tok)
                nargs = action.nargs if action is not None else 0
                takes = (1 if nargs is None else nargs if isinstance(nargs, int) else -1)
                continue
            if takes:
                takes -= 1 if takes > 0 else 0    # -1: a list option takes every word up to the next option
                continue
            out.append(tok)
        return out

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
