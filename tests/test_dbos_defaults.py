"""DBOS reconnects to its database on the backoff of its ``db_retry`` (1 s doubling to 60 s, jittered x0.5-1.5).

While the database is down a DBOS call blocks and retries, so work resumes at the first retry that falls
after the outage, not the instant the database is back.
"""

import statistics

import pytest

from simlib import FaultSchedule, Outage, get_model, simulate
from simlib.core.faults import FaultPlan
from simlib.core.rng import RunRandom
from simlib.models.dbos import DBOSConfig, reconnect_at


class _Run:
    """The two things `reconnect_at` reads from a run: its fault plan and its random streams."""

    def __init__(self, seed: int, *outages: Outage):
        self.rng = RunRandom(seed)
        self.plan = FaultPlan(FaultSchedule(outages=outages), self.rng)


def test_the_defaults_are_those_of_db_retry():
    cfg = DBOSConfig()
    assert (cfg.reconnect_initial_s, cfg.reconnect_max_s) == (1.0, 60.0)


def test_nothing_waits_while_the_database_is_up():
    assert reconnect_at(_Run(1, Outage(10.0, 20.0, "db")), "db", 5.0, DBOSConfig()) is None


def test_the_first_retry_is_one_second_jittered_by_half_either_way():
    """Comparison with theory: an outage shorter than the shortest first wait ends before the first retry,
    so the call succeeds after exactly one wait, uniform on [0.5, 1.5] s with mean 1 s."""
    times = [reconnect_at(_Run(seed, Outage(0.0, 0.4, "db")), "db", 0.0, DBOSConfig()) for seed in range(400)]
    assert all(0.5 <= t <= 1.5 for t in times)
    assert statistics.mean(times) == pytest.approx(1.0, abs=0.05)


def test_after_a_long_outage_the_wait_is_capped_at_a_minute():
    back = [reconnect_at(_Run(seed, Outage(0.0, 1000.0, "db")), "db", 0.0, DBOSConfig()) for seed in range(50)]
    assert all(1000.0 <= t < 1000.0 + 1.5 * 60.0 for t in back)
    assert max(back) - 1000.0 > 30.0, "some reconnect should land well after the outage with waits near 60 s"


def test_reconnect_at_once_when_the_backoff_is_zero():
    assert reconnect_at(_Run(1, Outage(0.0, 30.0, "db")), "db", 3.0, DBOSConfig(reconnect_initial_s=0.0)) == 30.0


def test_a_retry_that_lands_in_a_second_outage_fails_too():
    run = _Run(3, Outage(0.0, 0.4, "db"), Outage(0.45, 100.0, "db"))
    assert reconnect_at(run, "db", 0.0, DBOSConfig()) >= 100.0


def test_a_step_waiting_to_record_resumes_at_the_reconnect_and_the_history_says_so():
    f = FaultSchedule(outages=(Outage(1.5, 30.0, "db"),))
    r = simulate("five-effects", "dbos", seed=4, faults=f)
    stall = next(x for x in r.history if x.event == "stall")
    ok = next(x for x in r.history if x.kind == "ok" and x.step == stall.step)
    assert 30.0 <= stall.detail["until"] < 30.0 + 1.5 * 16
    assert ok.time == pytest.approx(stall.detail["until"], abs=1e-6)
    assert r.summary.completed and r.summary.duplicate_effects == 0


def test_the_reconnect_is_deterministic_from_the_seed():
    f = FaultSchedule(outages=(Outage(1.5, 200.0, "db"),))
    runs = [simulate("five-effects", "dbos", seed=s, faults=f).summary for s in (8, 8, 9)]
    assert runs[0].history_sha256 == runs[1].history_sha256
    assert runs[0].duration_s != runs[2].duration_s


def test_without_the_backoff_work_resumes_the_moment_the_database_is_back():
    f = FaultSchedule(outages=(Outage(1.5, 30.0, "db"),))
    r = simulate("five-effects", get_model("dbos").with_config(reconnect_initial_s=0.0), seed=4, faults=f)
    assert next(x for x in r.history if x.event == "stall").detail["until"] == 30.0
