"""The command line: ``python -m simlib COMMAND ...`` (``--help`` lists every command).

Commands: ``models``, ``scenarios``, ``run``, ``compare``, ``sweep`` (in `simlib.cli.simulate`),
plus the commands that live in their own modules (`EXTRA_COMMANDS`). Bad input prints one line
naming the bad value (shortened when long) and what is allowed, and exits with status 2; there is
never a traceback for it. ``--json`` output is strict JSON.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..core.errors import ConfigError
from .parser import Parser, fail
from .simulate import HANDLERS, add_commands

__all__ = ["main", "EXTRA_COMMANDS", "COMMAND_HELP", "version"]

# name -> "module:function(argv) -> int", for commands that live with their feature.
EXTRA_COMMANDS: dict[str, str] = {
    "recommend": "simlib.cli.recommend:main",
    "system": "simlib.cli.system:main",
    "self-heal": "simlib.cli.selfheal:main",
    "grade": "simlib.cli.grade:main",
    "exercises": "simlib.cli.exercises:main",
    "conformance": "simlib.cli.conformance:main",
    "sources": "simlib.cli.sources:main",
    "app": "simlib.widgets.app:main",
}
# One line each for the top-level --help.
COMMAND_HELP: dict[str, str] = {
    "recommend": "rank durable-execution engines for a workload profile",
    "system": "run a ready-made multi-engine system",
    "self-heal": "retry policies for wrong LLM answers: success and dollars",
    "grade": "grade a folder of submitted exercise notebooks",
    "exercises": "generate exercises/ and the answer key from solutions/",
    "conformance": "run the installed real engines next to their models",
    "sources": "model settings: defaults and where each number comes from",
    "app": "serve one widget as a standalone Voila page for a workshop",
}


def version() -> str:
    """The installed package's version (from its metadata), or the source tree's when not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("durable-execution-lab")
    except PackageNotFoundError:
        return "0+unknown (not installed; run `pip install -e .`)"


class _OneLineEach(argparse.HelpFormatter):
    """Help text in one column wide enough that every command and its help share one line."""

    def __init__(self, prog: str):
        super().__init__(prog, max_help_position=18, width=80)
        self._action_max_length = 16


def _build_parser() -> Parser:
    p = Parser(prog="python -m simlib", description="Durable Execution Lab simulator. "
               "`python -m simlib COMMAND --help` describes a command's options.",
               formatter_class=_OneLineEach)
    p.add_argument("--version", action="version", version=f"simlib {version()}")
    sub = p.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    add_commands(sub)
    for name in EXTRA_COMMANDS:
        sub.add_parser(name, add_help=False, help=COMMAND_HELP[name])
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0, 1 for a failed check, 2 for bad input, 130 when interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in EXTRA_COMMANDS:
            module, _, fn = EXTRA_COMMANDS[argv[0]].partition(":")
            return getattr(importlib.import_module(module), fn)(argv[1:])
        args = _build_parser().parse_args(argv)
        if not args.command:
            raise ConfigError(f"a command is needed; allowed: {', '.join([*HANDLERS, *EXTRA_COMMANDS])} "
                              f"(see --help)")
        return HANDLERS[args.command](args)
    except ConfigError as e:
        return fail(e)
    except SystemExit as e:   # --help and --version print, then argparse exits
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        fail("interrupted")
        return 130
