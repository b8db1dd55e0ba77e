"""The argument parser every subcommand uses: a usage error is one line and exit status 2."""

from __future__ import annotations

import argparse
from typing import NoReturn

from ..core.errors import ConfigError

__all__ = ["Parser"]


class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` that raises `ConfigError` instead of printing usage and exiting.

    Each command catches `ConfigError`, prints ``error: <message>`` on stderr and returns 2.
    """

    def error(self, message: str) -> NoReturn:  # noqa: D401 - argparse API
        raise ConfigError(message)
