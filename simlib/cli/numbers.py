"""Bounded numbers for command-line options, and the caps that keep every accepted input quick.

Each cap is documented in the option's ``--help`` and in the README: with them, every command
an option parser accepts finishes in minutes at most on a laptop, with a progress bar when it
takes more than a few seconds.
"""

from __future__ import annotations

import argparse
import math

__all__ = ["whole", "number", "MAX_SEED", "MAX_SWEEP_RUNS", "MAX_WORKERS", "MAX_SWEEP_WORK",
           "MAX_SELFHEAL_RUNS", "MAX_SELFHEAL_ATTEMPTS", "MAX_SAMPLES", "MAX_CRASH_RATE_PER_HOUR",
           "MAX_RESTART_DELAY_S", "SECONDS_PER_MTBF_SECOND", "min_mtbf", "horizon_of"]

MAX_SEED = 2**63 - 1
MAX_SWEEP_RUNS = 1_000_000          # about 0.2 ms a run of q1: minutes per model at most
MAX_WORKERS = 64
# runs x instances x horizon / mtbf: about the number of random crash times a sweep draws
# (2-3 us each when crashes are dense), so 50 million is a couple of minutes per model.
MAX_SWEEP_WORK = 50_000_000
MAX_SELFHEAL_RUNS = 100_000
MAX_SELFHEAL_ATTEMPTS = 100        # more would run past the simulated week for unsolvable tasks
MAX_SAMPLES = 5_000
MAX_CRASH_RATE_PER_HOUR = 20.0     # one crash every 3 minutes: at most ~10 ms per evidence sample
MAX_RESTART_DELAY_S = 7 * 24 * 3600.0
# Five simulated seconds of mean time between failures per simulated week of horizon, per workflow
# instance: a run then draws at most about 120,000 crash times (a few seconds on a busy laptop).
SECONDS_PER_MTBF_SECOND = 7 * 24 * 3600.0 / 5


def horizon_of(scenario) -> float:
    """Where the scenario's clock stops (the engine's default horizon when it sets none)."""
    from ..core.engine import DEFAULT_HORIZON_S

    return scenario.horizon_s if scenario.horizon_s is not None else DEFAULT_HORIZON_S


def min_mtbf(scenario) -> float:
    """The smallest mean time between crashes allowed for ``scenario``, in seconds.

    The cost of a run grows as instances x horizon / mtbf (crash times are drawn one by one
    until the clock stops), so the floor scales with both; 5 s for a one-instance scenario.
    """
    return scenario.instances * horizon_of(scenario) / SECONDS_PER_MTBF_SECOND


def whole(lo: int, hi: int, why: str = ""):
    """An argparse ``type`` for a whole number in ``lo..hi`` (argparse puts the option's name before the message)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be a whole number in {lo}..{hi}{why}, got {text!r}")
        return value
    return parse


def number(lo: float, hi: float = math.inf, lo_open: bool = False, why: str = ""):
    """An argparse ``type`` for a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""
    low = f"> {lo:g}" if lo_open else f">= {lo:g}"
    allowed = low if hi == math.inf else f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
        if not ok:
            raise argparse.ArgumentTypeError(
                f"must be a finite number {'in ' if hi != math.inf else ''}{allowed}{why}, got {text!r}")
        return value
    return parse
