"""95 % confidence intervals for the course's Monte Carlo numbers.

Two kinds of estimate appear in the notebooks: a mean over sampled runs (dollars
paid again, duplicate effects) and a proportion (runs that completed, runs that
repeated an effect). A mean gets the normal interval ``mean ± z·s/√n``; a
proportion gets Wilson's score interval, which stays inside [0, 1] and behaves
well when the count is 0 or n (where the normal interval collapses to a point).
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from .errors import ConfigError

__all__ = ["Z95", "mean_ci", "wilson", "aggregate_ci", "overlap", "fmt_ci"]

Z95 = 1.959963984540054  # two-sided 95 % quantile of the standard normal


def mean_ci(values: Iterable[float], z: float = Z95) -> tuple[float, float, float]:
    """Mean of ``values`` and its normal-approximation interval.

    Args:
        values: one number per sampled run (at least two).
        z: the normal quantile (1.96 for 95 %).

    Returns:
        ``(mean, low, high)``.
    """
    xs = [float(v) for v in values]
    n = len(xs)
    if n < 2:
        raise ConfigError(f"mean_ci needs at least 2 values, got {n}")
    m = sum(xs) / n
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    half = z * math.sqrt(var / n)
    return m, m - half, m + half


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """A proportion and its Wilson score interval.

    Args:
        successes: how many runs had the property (0 ≤ successes ≤ n).
        n: how many runs were sampled (≥ 1).
        z: the normal quantile.

    Returns:
        ``(proportion, low, high)``.
    """
    if n < 1 or not 0 <= successes <= n:
        raise ConfigError(f"wilson needs 0 <= successes <= n and n >= 1, got successes={successes}, n={n}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def aggregate_ci(agg: Any, metric: str, z: float = Z95) -> tuple[float, float, float]:
    """Mean of one metric of a `simlib.sweep.Aggregate` and its normal interval."""
    m, se = agg.mean(metric), agg.stderr(metric)
    return m, m - z * se, m + z * se


def overlap(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    """Whether two ``(estimate, low, high)`` intervals overlap (then no difference is claimed)."""
    return a[1] <= b[2] and b[1] <= a[2]


def fmt_ci(ci: tuple[float, float, float], digits: int = 3) -> str:
    """``"0.125 [0.080, 0.170]"``: an estimate with its interval, for tables."""
    m, lo, hi = ci
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
