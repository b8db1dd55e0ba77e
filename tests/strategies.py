"""Hypothesis strategies shared by the property tests: random fault schedules and seeds."""

from hypothesis import strategies as st

from simlib import CRASH_POINTS, CrashAt, CrashAtTime, FaultSchedule, Outage, RandomCrashes

crash_st = st.builds(CrashAt, step=st.integers(1, 5), point=st.sampled_from(CRASH_POINTS),
                     attempt=st.integers(1, 2))
outage_st = st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 20), st.floats(0.5, 60))
seed_st = st.integers(0, 10_000)
SMALL_Q1 = {"calls": 5}


def schedules(*, max_crashes: int = 4, max_timed: int = 0, max_outages: int = 2, outage_start_s: float = 20.0,
              outage_len_s: float = 60.0, mtbf_s: tuple[float, float] = (300.0, 3000.0),
              max_restart_s: float = 30.0):
    """Random fault schedules over a five-step workflow; each property test picks its ranges by keyword."""
    return st.builds(
        FaultSchedule,
        crashes=st.lists(crash_st, max_size=max_crashes).map(tuple),
        timed=st.lists(st.builds(CrashAtTime, st.floats(1.0, 250.0)), max_size=max_timed).map(tuple),
        outages=st.lists(st.builds(lambda a, d: Outage(a, a + d), st.floats(0, outage_start_s),
                                   st.floats(0.5, outage_len_s)), max_size=max_outages).map(tuple),
        random=st.none() | st.builds(RandomCrashes, st.floats(*mtbf_s)),
        restart_delay_s=st.floats(0.0, max_restart_s),
    )


schedule_st = schedules()
# Task-shaped engines (Hatchet, the DAG family): longer outages and restarts.
long_schedule_st = schedules(outage_start_s=200.0, outage_len_s=120.0, max_restart_s=60.0)
# Agent-shaped schedules: timed crashes too, and outages anywhere in the first 200 s.
timed_schedule_st = schedules(max_crashes=3, max_timed=2, outage_start_s=200.0, outage_len_s=60.0)
