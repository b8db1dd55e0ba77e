"""A self-hosted Inngest server keeping its state in an in-memory Redis loses what it wrote since its last snapshot.

``inngest start`` without ``--redis-uri`` snapshotted that Redis every 60 s. When the server dies, it comes
back from the last snapshot: step results memoized after it are gone and those steps run again (their
effects repeat), and a run that started after it is gone altogether. Inngest Cloud (the default here) only
stalls during an outage.
"""

import math

import pytest

from simlib import FaultSchedule, Outage, get_model, simulate
from simlib.core.errors import ConfigError
from simlib.models.inngest import InngestConfig, last_snapshot

SELF_HOSTED = get_model("inngest").with_config(self_hosted_inmemory_redis=True, redis_snapshot_s=2.0)
RESTART = Outage(3.5, 4.5)


def recorded(r):
    return {x.step: x.time for x in r.history if x.kind == "ok" and x.step is not None}


def test_the_defaults_are_the_cloud_and_a_sixty_second_snapshot():
    cfg = InngestConfig()
    assert cfg.self_hosted_inmemory_redis is False and cfg.redis_snapshot_s == 60.0


def test_snapshots_come_one_interval_after_the_start_and_then_every_interval():
    assert last_snapshot(59.0, 60.0) == -math.inf
    assert last_snapshot(60.0, 60.0) == 60.0 and last_snapshot(179.0, 60.0) == 120.0
    assert last_snapshot(1e6, 0.0) == -math.inf


def test_on_the_cloud_an_outage_loses_nothing():
    s = simulate("five-effects", "inngest", seed=1, faults=FaultSchedule(outages=(RESTART,))).summary
    assert s.completed and s.duplicate_effects == 0 and s.steps_reexecuted == 0


def test_steps_memoized_since_the_last_snapshot_run_again():
    clean = recorded(simulate("five-effects", "inngest", seed=1))
    lost = sorted(step for step, t in clean.items() if 2.0 < t <= RESTART.start_s)
    assert lost, "the schedule must put some results between the snapshot and the restart"
    r = simulate("five-effects", SELF_HOSTED, seed=1, faults=FaultSchedule(outages=(RESTART,)))
    s = r.summary
    assert s.completed and s.duplicate_effects == len(lost) and s.steps_reexecuted == len(lost)
    assert s.extra["results_lost"] == len(lost)
    assert next(x for x in r.history if x.event == "state-lost").detail["steps"] == lost


def test_a_run_that_started_after_the_last_snapshot_is_gone():
    r = simulate("five-effects", SELF_HOSTED.with_config(redis_snapshot_s=60.0), seed=1,
                 faults=FaultSchedule(outages=(RESTART,)))
    assert not r.summary.completed and r.summary.stalled.startswith("lost")


def test_a_server_that_never_snapshots_loses_every_run_it_held():
    r = simulate("five-effects", SELF_HOSTED.with_config(redis_snapshot_s=0.0), seed=1,
                 faults=FaultSchedule(outages=(RESTART,)))
    assert r.summary.stalled.startswith("lost")


def test_a_restart_right_after_a_snapshot_loses_nothing():
    s = simulate("five-effects", SELF_HOSTED, seed=1, faults=FaultSchedule(outages=(Outage(4.0, 4.5),))).summary
    assert s.completed and s.duplicate_effects == 0


def test_the_loss_is_deterministic_from_the_seed():
    f = FaultSchedule(outages=(RESTART,))
    a, b = (simulate("five-effects", SELF_HOSTED, seed=5, faults=f).summary for _ in range(2))
    assert a.history_sha256 == b.history_sha256


@pytest.mark.parametrize("table", [(), (15.0, -1.0), [15.0]])
def test_a_bad_backoff_table_names_the_field(table):
    with pytest.raises(ConfigError, match="backoff_table_s"):
        InngestConfig(backoff_table_s=table)
