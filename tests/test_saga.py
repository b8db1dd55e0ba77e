"""Sagas: compensations registered after each committed step, run newest first as durable steps."""

import pytest
from hypothesis import given, strategies as st

from simlib import ActivityError, CRASH_POINTS, CrashAt, FaultSchedule, Record, Scenario, model_names, simulate
from simlib.core.checkers import INVALID, UNKNOWN, VALID, effects_exactly_once, saga_compensated
from simlib.course.saga import Saga

CORE = ["none", "app-checkpoint", "temporal"]
NO_FAULTS = FaultSchedule()


def crash(step, point, attempt=1):
    return FaultSchedule(crashes=(CrashAt(step, point, attempt),))


def effect_kinds(result, workflow="wf-1"):
    return [e.kind for e in result.ledger.applied() if e.workflow == workflow]


def events(result, name):
    return [r for r in result.history if r.event == name]


# ---------------------------------------------------------------- the booking scenario
@pytest.mark.parametrize("model", CORE)
def test_a_declined_charge_cancels_the_hotel_then_the_flight(model):
    r = simulate("booking-saga", model, seed=1, faults=NO_FAULTS)
    assert effect_kinds(r) == ["book_flight", "book_hotel", "cancel_hotel", "cancel_flight"]
    assert r.summary.completed and r.run.instances[0].result == {
        "status": "cancelled", "declined": "charge-card", "undone": 2}
    assert saga_compensated(r.history).status == VALID
    abort, = events(r, "saga-abort")
    assert abort.detail["compensations"] == ["undo-book-hotel", "undo-book-flight"]
    assert "declined" in abort.detail["error"]


def test_a_declined_hotel_cancels_only_the_flight_and_never_charges():
    r = simulate("booking-saga", "temporal", seed=1, faults=NO_FAULTS, params={"declines": "hotel"})
    assert effect_kinds(r) == ["book_flight", "cancel_flight"]
    assert not any(x.detail.get("name") == "charge-card" for x in r.history if x.kind == "invoke")
    assert saga_compensated(r.history).status == VALID


def test_a_declined_first_step_has_nothing_to_compensate():
    r = simulate("booking-saga", "temporal", seed=1, faults=NO_FAULTS, params={"declines": "flight"})
    assert effect_kinds(r) == []
    assert events(r, "saga-abort")[0].detail["compensations"] == []
    assert saga_compensated(r.history).status == VALID


def test_a_booking_that_goes_through_is_not_a_saga_abort():
    r = simulate("booking-saga", "temporal", seed=1, faults=NO_FAULTS, params={"declines": "none"})
    assert r.run.instances[0].result["status"] == "booked"
    assert effect_kinds(r) == ["book_flight", "book_hotel", "charge_card"]
    assert events(r, "saga-abort") == [] and saga_compensated(r.history).status == UNKNOWN


def test_a_declined_step_is_not_retried():
    r = simulate("booking-saga", "temporal", seed=1, faults=NO_FAULTS)
    charge = [x for x in r.history if x.kind == "invoke" and x.detail["name"] == "charge-card"]
    assert len(charge) == 1 and r.summary.failed_attempts == 0


def test_bad_declines_value_names_the_allowed_ones():
    s = simulate("booking-saga", "temporal", seed=1, faults=NO_FAULTS, params={"declines": "boat"}).summary
    assert not s.completed and "boat" in s.error and "charge" in s.error


# ---------------------------------------------------------------- crashes while compensating
@pytest.mark.parametrize("step", [4, 5])
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_temporal_carries_on_compensating_after_a_crash(step, point):
    r = simulate("booking-saga", "temporal", seed=2, faults=crash(step, point))
    assert r.summary.completed and r.summary.crashes == 1
    assert effect_kinds(r) == ["book_flight", "book_hotel", "cancel_hotel", "cancel_flight"]
    assert saga_compensated(r.history).status == VALID
    assert effects_exactly_once(r.history).status == VALID
    # The replay logs the abort and the end of the saga once, not once per invocation.
    assert len(events(r, "saga-abort")) == 1 and len(events(r, "saga-compensated")) == 1
    # Steps recorded before the crash are replayed, never run again.
    again = {x.step for x in r.history if x.kind == "invoke" and x.attempt > 1}
    assert again <= {step}
    assert 1 in {x.step for x in events(r, "replay")}


def test_a_crash_between_compensations_does_not_repeat_the_first_one():
    r = simulate("booking-saga", "temporal", seed=2, faults=crash(5, "before-step"))
    hotel_cancels = [x for x in r.history if x.kind == "invoke" and x.detail["name"] == "undo-book-hotel"]
    assert len(hotel_cancels) == 1
    assert [x.detail["name"] for x in events(r, "replay")] == ["book-flight", "book-hotel", "undo-book-hotel"]


def test_an_idempotency_key_absorbs_a_repeated_compensation():
    r = simulate("booking-saga", "temporal", seed=2)      # default fault: crash 4:after-effect
    cancels = [x.detail for x in events(r, "effect") if x.detail["effect"] == "cancel_hotel"]
    assert [d["deduplicated"] for d in cancels] == [False, True]
    assert cancels[0]["key"] == "wf-1:undo-book-hotel"


def test_without_keys_or_durability_a_restart_leaves_an_orphan_booking():
    r = simulate("booking-saga", "none", seed=2, faults=crash(4, "after-effect"), params={"keyed": False})
    assert r.summary.completed
    assert r.ledger.count("book_flight") == 2 and r.ledger.count("cancel_flight") == 1
    check = saga_compensated(r.history)
    assert check.status == INVALID and "order" in check.reason


@pytest.mark.parametrize("model", CORE)
def test_with_keys_every_core_model_ends_fully_compensated(model):
    r = simulate("booking-saga", model, seed=2, faults=crash(4, "after-effect"))
    assert r.summary.completed and saga_compensated(r.history).status == VALID
    assert r.summary.duplicate_effects == 0


@pytest.mark.parametrize("model", model_names())
def test_on_every_engine_a_saga_ends_compensated_or_visibly_half_done(model):
    r = simulate("booking-saga", model, seed=2)          # crash while cancelling the hotel
    s = r.summary
    check = saga_compensated(r.history)
    if s.completed:
        assert check.status == VALID and s.duplicate_effects == 0
        assert effect_kinds(r)[-2:] == ["cancel_hotel", "cancel_flight"]
    else:
        # An engine that does not carry the run on leaves the flight booked, and the checker says so.
        assert s.stalled or s.error
        assert check.status == INVALID and "book_flight" in check.reason
        assert "cancel_flight" not in effect_kinds(r)


schedules = st.builds(
    FaultSchedule,
    crashes=st.lists(st.builds(CrashAt, step=st.integers(1, 5), point=st.sampled_from(CRASH_POINTS),
                               attempt=st.integers(1, 2)), max_size=3).map(tuple),
    restart_delay_s=st.floats(0.0, 60.0),
)


@given(schedules, st.sampled_from(["hotel", "charge"]), st.sampled_from(CORE), st.integers(0, 1000))
def test_keyed_sagas_always_end_compensated_in_reverse_order(faults, declines, model, seed):
    r = simulate("booking-saga", model, seed=seed, faults=faults, params={"declines": declines})
    assert r.summary.completed
    assert saga_compensated(r.history).status == VALID
    assert effects_exactly_once(r.history).status == VALID
    booked = ["book_flight"] if declines == "hotel" else ["book_flight", "book_hotel"]
    undo = {"book_flight": "cancel_flight", "book_hotel": "cancel_hotel"}
    assert effect_kinds(r) == booked + [undo[k] for k in reversed(booked)]


# ---------------------------------------------------------------- the helper itself
def _scenario(name, workflow, **params):
    return Scenario(name=name, description="test", workflow=workflow, max_steps=8, params=params)


def test_step_passes_the_committed_result_to_its_compensation_and_registers_only_on_success():
    seen = {}

    def wf(ctx):
        saga = Saga(ctx, "trip")
        a = yield from saga.step(ctx.tool("reserve", effect="reserve_inventory", idempotency_key=ctx.key("r")),
                                 compensate=saga.undo("release", "release_inventory"))
        try:
            yield from saga.step(ctx.tool("label", effect="create_label", declines=True),
                                 compensate=lambda: ctx.tool("void", effect="void_label"))
        except ActivityError:
            seen["pending"] = saga.pending
            yield from saga.compensate("label refused")
        return a

    r = simulate(_scenario("t-step", wf), "temporal", seed=1, faults=NO_FAULTS)
    assert seen["pending"] == ["release"]              # the refused label registered nothing
    release = [e for e in r.ledger.applied() if e.kind == "release_inventory"]
    assert len(release) == 1
    assert release[0].payload["undoes"] == r.run.instances[0].result and release[0].key == "wf-1:release"


def test_a_failing_compensation_is_reported_and_the_others_still_run():
    def wf(ctx):
        saga = Saga(ctx, "trip")
        yield from saga.tool("flight", "book_flight")
        yield from saga.tool("hotel", "book_hotel", undo="cancel_hotel")
        saga.add_compensation(lambda: ctx.tool("cancel-car", effect="call_api", declines=True), "cancel-car")
        yield from saga.compensate("give up")
        return list(saga.failed)

    r = simulate(_scenario("t-fail", wf), "temporal", seed=1, faults=NO_FAULTS)
    assert r.run.instances[0].result == ["cancel-car"]
    # The declined cancellation changed nothing in the world; the others ran after it.
    assert [e.kind for e in r.ledger.applied()] == ["book_flight", "book_hotel", "cancel_hotel", "cancel_flight"]
    failed, = events(r, "saga-compensation-failed")
    assert failed.detail["compensation"] == "cancel-car"
    assert events(r, "saga-compensated")[0].detail["failed"] == ["cancel-car"]


def test_an_effect_without_a_compensation_registers_none():
    def wf(ctx):
        saga = Saga(ctx)
        yield from saga.tool("email", "send_email")
        yield from saga.tool("charge", "charge_card")
        return saga.pending

    r = simulate(_scenario("t-none", wf), "none", seed=1, faults=NO_FAULTS)
    assert r.run.instances[0].result == ["undo-charge"]


def test_compensations_run_without_a_history_too():
    r = simulate("booking-saga", "temporal", seed=2, record=False)
    assert r.history is None and r.summary.completed
    assert [e.kind for e in r.ledger.applied()][-2:] == ["cancel_hotel", "cancel_flight"]


def test_add_compensation_rejects_a_non_callable():
    with pytest.raises(TypeError):
        Saga(None).add_compensation("refund")


# ---------------------------------------------------------------- the checker on hand-made histories
def _eff(t, effect, wf="wf-1", dedup=False):
    return Record(t, wf, 1, 1, "info", "world", "effect",
                  {"name": effect, "effect": effect, "key": None, "result": "x", "deduplicated": dedup})


def _abort(t, wf="wf-1"):
    return Record(t, wf, None, 1, "info", "worker-1", "saga-abort", {"saga": "s"})


@pytest.mark.parametrize("records,status", [
    ([_eff(1, "book_flight"), _eff(2, "book_hotel"), _abort(3), _eff(4, "cancel_hotel"),
      _eff(5, "cancel_flight")], VALID),
    ([_eff(1, "book_flight"), _eff(2, "book_hotel"), _abort(3), _eff(4, "cancel_flight"),
      _eff(5, "cancel_hotel")], INVALID),                                  # forward order
    ([_eff(1, "book_flight"), _eff(2, "book_hotel"), _abort(3), _eff(4, "cancel_hotel")], INVALID),
    ([_eff(1, "book_flight"), _abort(3), _eff(4, "cancel_flight"), _eff(5, "cancel_flight", dedup=True)],
     VALID),                                                               # a deduplicated repeat is fine
    ([_eff(1, "book_flight"), _eff(2, "book_hotel")], UNKNOWN),            # nothing aborted
])
def test_saga_checker_verdicts(records, status):
    assert saga_compensated(records).status == status


def test_a_saga_that_compensates_in_forward_order_is_caught():
    def wrong(ctx):
        saga = Saga(ctx)
        yield from saga.tool("flight", "book_flight")
        yield from saga.tool("hotel", "book_hotel")
        saga._comps.reverse()          # the bug: compensate oldest first
        yield from saga.compensate()

    r = simulate(_scenario("t-wrong", wrong), "temporal", seed=1, faults=NO_FAULTS)
    check = saga_compensated(r.history)
    assert check.status == INVALID and "order" in check.reason
