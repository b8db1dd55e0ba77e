"""One seeded random generator per run, split into named sub-streams.

Each component draws from its own stream (``"latency"``, ``"llm"``,
``"faults"`` ...), so adding a draw in one component never shifts the numbers
another component sees. Stream seeds are derived with CRC-32, which, unlike
``hash()``, does not change between processes.

A stream is made the first time it is asked for, and seeding its Mersenne
Twister is most of what that costs (about 4 us in CPython, as much as a
twentieth of a whole run). Components therefore ask for a stream at their first
draw, not when they are built: a run that never draws from a stream never pays
for it, and the numbers are the same whenever the stream is made, since its seed
depends only on the run's seed and its name.
"""

from __future__ import annotations

import random
import zlib

__all__ = ["RunRandom", "DEFAULT_SEED"]

DEFAULT_SEED = 64_4

_MASK = (1 << 63) - 1


class RunRandom:
    """The random source of one simulation run.

    Args:
        seed: any non-negative integer; the same seed gives the same streams.
    """

    __slots__ = ("seed", "_streams")

    def __init__(self, seed: int = DEFAULT_SEED):
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def stream(self, name: str) -> random.Random:
        """Return the sub-stream called ``name``, creating (and seeding) it on first use."""
        s = self._streams.get(name)
        if s is None:
            derived = (self.seed * 0x9E3779B97F4A7C15 + zlib.crc32(name.encode())) & _MASK
            s = random.Random(derived)
            self._streams[name] = s
        return s
