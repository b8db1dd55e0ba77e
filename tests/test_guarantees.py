"""Each guarantee a model declares (`EngineModel.guarantees`), checked on hypothesis-drawn fault schedules.

A new model that declares a guarantee is tested here without a line of test code of its own.
"""

import pytest
from hypothesis import given

from simlib import FaultSchedule, get_model, model_names, simulate
from simlib.core.checkers import INVALID, no_recorded_result_lost
from simlib.models.base import GUARANTEES

from strategies import SMALL_Q1, long_schedule_st, seed_st


def _declaring(guarantee: str) -> list[str]:
    return [m for m in model_names() if guarantee in get_model(m).guarantees]


def test_every_declared_guarantee_is_a_known_one():
    for m in model_names():
        assert get_model(m).guarantees <= set(GUARANTEES), m


@pytest.mark.parametrize("model", _declaring("keeps-finished-steps"))
@given(faults=long_schedule_st, seed=seed_st)
def test_keeps_finished_steps(model, faults, seed):
    r = simulate("q1", model, seed=seed, faults=faults, params=SMALL_Q1)
    assert r.summary.completed, r.summary.stalled or r.summary.error
    assert r.summary.completed_steps_lost == 0
    assert no_recorded_result_lost(r.history).status != INVALID


@pytest.mark.parametrize("model", _declaring("duplicates-only-after-effect"))
@given(faults=long_schedule_st, seed=seed_st)
def test_duplicates_only_after_effect(model, faults, seed):
    r = simulate("five-effects", model, seed=seed, faults=faults)
    dup_steps = {i + 1 for i, n in enumerate(r.summary.effects_per_step) if n > 1}
    window = {x.step for x in r.history if x.event == "crash" and x.detail["point"] == "after-effect"}
    assert dup_steps <= window
    safe = FaultSchedule(crashes=tuple(c for c in faults.crashes if c.point != "after-effect"),
                         outages=faults.outages, restart_delay_s=faults.restart_delay_s)
    assert simulate("five-effects", model, seed=seed, faults=safe).summary.duplicate_effects == 0


def test_the_suites_cover_the_models_that_had_copies_of_these_tests():
    for g in GUARANTEES:
        assert {"dbos", "inngest", "restate", "hatchet"} <= set(_declaring(g))
