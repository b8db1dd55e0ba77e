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


def test_a_stream_s_numbers_do_not_depend_on_when_it_is_made():
    early, late = RunRandom(7), RunRandom(7)
    early.stream("a")
    late.stream("b").random()
    assert early.stream("b").random() == RunRandom(7).stream("b").random()
    assert [early.stream("a").random() for _ in range(3)] == [late.stream("a").random() for _ in range(3)]


def test_a_run_seeds_only_the_streams_it_draws_from_and_only_when_it_draws():
    """Seeding a stream's generator costs about 4 us; building a run seeds none of them."""
    from simlib import FaultSchedule, RandomCrashes, get_model, get_scenario, simulate
    from simlib.core.engine import Run

    run = Run(get_scenario("q1"), get_model("temporal"), 3, FaultSchedule(random=RandomCrashes(900.0)), False)
    assert run.rng._streams == {}
    done = simulate("q1", "temporal", seed=3, faults=FaultSchedule(), record=False).run
    assert sorted(done.rng._streams) == ["latency", "llm"]
    crashing = simulate("q1", "temporal", seed=3, faults=FaultSchedule(random=RandomCrashes(900.0)), record=False)
    assert sorted(crashing.run.rng._streams) == ["faults", "latency", "llm"]
