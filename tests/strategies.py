"""Hypothesis strategies shared by the property tests: random fault schedules and seeds."""

from hypothesis import strategies as st

from simlib import CRASH_POINTS, CrashAt, FaultSchedule, Outage, RandomCrashes

crash_st = st.builds(CrashAt, step=st.integers(1, 5), point=st.sampled_from(CRASH_POINTS),
                     attempt=st.integers(1, 2))
outage_st = st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 20), st.floats(0.5, 60))
schedule_st = st.builds(
    FaultSchedule,
    crashes=st.lists(crash_st, max_size=4).map(tuple),
    outages=st.lists(outage_st, max_size=2).map(tuple),
    random=st.none() | st.builds(RandomCrashes, st.floats(300.0, 3000.0)),
    restart_delay_s=st.floats(0.0, 30.0),
)
seed_st = st.integers(0, 10_000)
SMALL_Q1 = {"calls": 5}

# Task-shaped engines (Hatchet, the DAG family): longer outages and restarts.
long_outage_st = st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 200), st.floats(0.5, 120))
long_schedule_st = st.builds(
    FaultSchedule,
    crashes=st.lists(crash_st, max_size=4).map(tuple),
    outages=st.lists(long_outage_st, max_size=2).map(tuple),
    random=st.none() | st.builds(RandomCrashes, st.floats(300.0, 3000.0)),
    restart_delay_s=st.floats(0.0, 60.0),
)
