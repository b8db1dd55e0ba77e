"""Fault schedules are validated data that round-trip through JSON."""

import json

import pytest

from simlib import ConfigError, CrashAt, FaultSchedule, Outage, RandomCrashes, parse_crash
from simlib.core.faults import CodeChange, CrashAtTime, FaultPlan
from simlib.core.rng import RunRandom


def test_parse_crash():
    assert parse_crash("15:after-effect") == CrashAt(15, "after-effect")
    assert parse_crash("2:before-step:3") == CrashAt(2, "before-step", attempt=3)


@pytest.mark.parametrize("text,word", [("x", "malformed"), ("0:after-effect", ">= 1"),
                                       ("3:during", "unknown crash point"), ("3", "malformed")])
def test_bad_crash_names_the_problem(text, word):
    with pytest.raises(ConfigError, match=word):
        parse_crash(text)


def test_round_trip_through_json():
    fs = FaultSchedule(crashes=(CrashAt(3, "after-record"),), timed=(CrashAtTime(10.0),),
                       random=RandomCrashes(600.0), outages=(Outage(5.0, 50.0),), restart_delay_s=2.0,
                       code_change=CodeChange("v2"))
    again = FaultSchedule.from_dict(json.loads(json.dumps(fs.to_dict())))
    assert again == fs


@pytest.mark.parametrize("d,word", [
    ({"crashs": []}, "unknown fault schedule field 'crashs'"),
    ({"outages": [{"start_s": 5, "end_s": 1}]}, "must be after"),
    ({"crashes": [{"step": 1}]}, "malformed crashes"),
    ({"restart_delay_s": -1}, "restart_delay_s"),
    ([], "JSON object"),
])
def test_malformed_schedules_rejected(d, word):
    with pytest.raises(ConfigError, match=word):
        FaultSchedule.from_dict(d)


def test_schedules_compose():
    a = FaultSchedule(crashes=(CrashAt(1, "before-step"),))
    b = FaultSchedule(outages=(Outage(1, 2),), random=RandomCrashes(100))
    c = a + b
    assert c.crashes == a.crashes and c.outages == b.outages and c.random == b.random


def test_step_crash_fires_once_per_matching_attempt():
    plan = FaultPlan(FaultSchedule(crashes=(CrashAt(2, "after-effect"),)), RunRandom(1))
    assert not plan.step_crash("wf-1", 2, 1, "before-step")
    assert plan.step_crash("wf-1", 2, 1, "after-effect")
    assert not plan.step_crash("wf-1", 2, 2, "after-effect")


def test_outage_windows_merge_when_back_to_back():
    plan = FaultPlan(FaultSchedule(outages=(Outage(10, 20), Outage(20, 30))), RunRandom(1))
    assert plan.down_until("store", 15) == 30
    assert plan.down_until("store", 30) is None
    assert plan.down_until("other", 15) is None


def test_random_crashes_are_seeded():
    f = FaultSchedule(random=RandomCrashes(100.0))
    a = FaultPlan(f, RunRandom(3)).next_crash("wf-1", 0.0)
    b = FaultPlan(f, RunRandom(3)).next_crash("wf-1", 0.0)
    assert a == b and a > 0
