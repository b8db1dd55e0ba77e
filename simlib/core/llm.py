"""A seeded fake LLM: latency, tokens, dollars, and an answer that can change.

Calling the same prompt twice may give a different answer, as a real model at
a non-zero temperature does. That is why re-executing an LLM step (rather than
replaying its recorded result) can send a workflow down another branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .errors import ConfigError
from .rng import RunRandom

__all__ = ["LLMConfig", "LLMReply", "FakeLLM"]


@dataclass(frozen=True)
class LLMConfig:
    """Prices and timing of the simulated model.

    Attributes:
        mean_latency_s: mean time of one call, seconds.
        jitter: latency is uniform in mean × [1 - jitter, 1 + jitter].
        tokens_in: prompt tokens per call.
        tokens_out: mean completion tokens per call (uniform ±50 %).
        usd_per_mtok_in: dollars per million prompt tokens.
        usd_per_mtok_out: dollars per million completion tokens.
    """

    mean_latency_s: float = 45.0
    jitter: float = 0.2
    tokens_in: int = 3000
    tokens_out: int = 800
    usd_per_mtok_in: float = 2.50
    usd_per_mtok_out: float = 10.00

    def __post_init__(self) -> None:
        for name in ("mean_latency_s", "tokens_in", "tokens_out", "usd_per_mtok_in", "usd_per_mtok_out"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ConfigError(f"LLMConfig.{name} must be a number >= 0, got {v!r}")
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"LLMConfig.jitter must be in [0, 1), got {self.jitter!r}")

    @property
    def mean_cost_usd(self) -> float:
        """Expected dollars of one call."""
        return (self.tokens_in * self.usd_per_mtok_in + self.tokens_out * self.usd_per_mtok_out) / 1e6


class LLMReply(tuple[Any, ...]):
    """(text, tokens_out, cost_usd) of one call."""

    __slots__ = ()

    @property
    def text(self) -> str:
        return str(self[0])

    @property
    def cost_usd(self) -> float:
        return float(self[2])


class FakeLLM:
    """Draws latencies and replies from two named streams of the run's generator.

    Args:
        cfg: prices and timing.
        rng: the run's generator; latencies come from its ``"latency"`` stream, answers from ``"llm"``.
    """

    __slots__ = ("cfg", "_rng", "_lat", "_out", "_lo", "_span", "_in_cost", "_out_price", "_tokens_out")

    def __init__(self, cfg: LLMConfig, rng: RunRandom):
        self.cfg = cfg
        self._rng = rng
        # `_lat` and `_out` draw a uniform number. Until the first draw they are methods that make
        # the stream (seeding a Mersenne Twister, about 4 us) and then put its own `random` in their
        # place, so a run without LLM calls seeds nothing and every later draw is a plain C call.
        self._lat: Callable[[], float] = self._first_latency
        self._out: Callable[[], float] = self._first_output
        self._lo = cfg.mean_latency_s * (1 - cfg.jitter)
        self._span = cfg.mean_latency_s * 2 * cfg.jitter
        self._in_cost = cfg.tokens_in * cfg.usd_per_mtok_in / 1e6
        self._out_price = cfg.usd_per_mtok_out / 1e6
        self._tokens_out = cfg.tokens_out

    def _first_latency(self) -> float:
        self._lat = self._rng.stream("latency").random
        return self._lat()

    def _first_output(self) -> float:
        self._out = self._rng.stream("llm").random
        return self._out()

    def latency(self, mean_s: float | None = None) -> float:
        """One call's duration in seconds."""
        if mean_s is None:
            return self._lo + self._span * self._lat()
        j = self.cfg.jitter
        return mean_s * (1 - j + 2 * j * self._lat())

    def reply(self, name: str, choices: tuple[Any, ...] | None = None) -> LLMReply:
        """The model's answer: one of ``choices`` when given, else a text that varies per call."""
        return LLMReply(self.draw(name, choices))

    def draw(self, name: str, choices: tuple[Any, ...] | None = None) -> tuple[Any, ...]:
        """`reply` as a plain ``(text, tokens_out, cost_usd)`` tuple (the simulator's hot path)."""
        u = self._out()
        tokens = int(self._tokens_out * (0.5 + u))
        usd = self._in_cost + tokens * self._out_price
        if choices:
            return choices[int(self._out() * len(choices))], tokens, usd
        # %d truncates as int() does: "llm-01:answer-042137" (six digits of u).
        return "%s:answer-%06d" % (name, u * 1e6), tokens, usd
