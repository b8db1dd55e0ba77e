"""Sub-streams are independent and reproducible."""

import pytest

from simlib.core.rng import RunRandom


def test_same_seed_same_stream():
    assert [RunRandom(7).stream("a").random() for _ in range(3)] == [RunRandom(7).stream("a").random()] * 3


def test_streams_are_independent_of_each_other():
    r1, r2 = RunRandom(7), RunRandom(7)
    r1.stream("b").random()  # draws in one stream ...
    assert r1.stream("a").random() == r2.stream("a").random()  # ... do not shift another


def test_different_names_and_seeds_differ():
    assert RunRandom(7).stream("a").random() != RunRandom(7).stream("b").random()
    assert RunRandom(7).stream("a").random() != RunRandom(8).stream("a").random()


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed_rejected(bad):
    with pytest.raises(ValueError, match="seed"):
        RunRandom(bad)
