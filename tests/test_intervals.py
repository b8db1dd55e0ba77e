"""95 % intervals: Wilson for proportions, normal for means; compared with values worked out by hand."""

import math

import pytest

from simlib.errors import ConfigError
from simlib.intervals import Z95, fmt_ci, mean_ci, overlap, wilson


def test_wilson_matches_the_textbook_values():
    p, lo, hi = wilson(5, 10)
    assert p == 0.5 and lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)


def test_wilson_stays_inside_zero_one_when_nothing_or_everything_happened():
    assert wilson(0, 10)[1] == 0.0 and wilson(0, 10)[2] == pytest.approx(0.2775, abs=1e-4)
    assert wilson(10, 10)[2] == pytest.approx(1.0) and wilson(10, 10)[1] == pytest.approx(0.7225, abs=1e-4)


def test_mean_interval_is_mean_plus_minus_z_standard_errors():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and hi - m == pytest.approx(Z95 * 1.0 / math.sqrt(3))
    assert mean_ci([4.0, 4.0]) == (4.0, 4.0, 4.0)


def test_bad_input_names_the_value():
    with pytest.raises(ConfigError, match="at least 2"):
        mean_ci([1.0])
    with pytest.raises(ConfigError, match="successes=11, n=10"):
        wilson(11, 10)


def test_overlap_and_format():
    assert overlap((1, 0, 2), (3, 1.5, 4)) and not overlap((1, 0, 2), (5, 3, 6))
    assert fmt_ci((0.125, 0.08, 0.17)) == "0.125 [0.080, 0.170]"
