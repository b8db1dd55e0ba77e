"""Checkers judge histories: valid, invalid or unknown, with a reason."""

from simlib import CrashAt, FaultSchedule, simulate
from simlib.core.checkers import (INVALID, UNKNOWN, VALID, check_all, completed_within, effects_exactly_once,
                             no_recorded_result_lost, replay_deterministic, saga_compensated, same_history)
from simlib.core.history import History, Record


def crash(step, point):
    return FaultSchedule(crashes=(CrashAt(step, point),))


def test_effects_exactly_once():
    ok = simulate("five-effects", "temporal", seed=1, faults=FaultSchedule()).history
    bad = simulate("five-effects", "temporal", seed=1, faults=crash(2, "after-effect")).history
    keyed = simulate("five-effects-keyed", "temporal", seed=1, faults=crash(2, "after-effect")).history
    assert effects_exactly_once(ok).status == VALID
    r = effects_exactly_once(bad)
    assert r.status == INVALID and "x2" in r.reason
    assert effects_exactly_once(keyed).status == VALID
    assert effects_exactly_once(simulate("q1", "temporal", seed=1).history).status == UNKNOWN


def test_no_recorded_result_lost_separates_none_from_temporal():
    assert no_recorded_result_lost(simulate("q1", "temporal", seed=1).history).status == VALID
    r = no_recorded_result_lost(simulate("q1", "none", seed=1).history)
    assert r.status == INVALID and "step 1" in r.reason


def test_completed_within():
    h = simulate("q1", "temporal", seed=1).history
    assert completed_within(h, 3600).status == VALID
    assert completed_within(h, 60).status == INVALID
    assert completed_within(History(), 60).status == UNKNOWN


def _rec(t, event, kind="info", **detail):
    return Record(t, "wf-1", 1, 1, kind, "w", event, detail)


def test_saga_compensated_in_reverse_order():
    eff = lambda t, e: _rec(t, "effect", effect=e, name=e, key=None, deduplicated=False)  # noqa: E731
    good = [eff(1, "charge_card"), eff(2, "book_hotel"), _rec(3, "saga-abort"),
            eff(4, "cancel_hotel"), eff(5, "refund_card")]
    wrong_order = [eff(1, "charge_card"), eff(2, "book_hotel"), _rec(3, "saga-abort"),
                   eff(4, "refund_card"), eff(5, "cancel_hotel")]
    forgot = [eff(1, "create_label"), _rec(2, "saga-abort")]
    assert saga_compensated(good).status == VALID
    assert saga_compensated(wrong_order).status == INVALID
    r = saga_compensated(forgot)
    assert r.status == INVALID and "create_label" in r.reason
    assert saga_compensated([eff(1, "charge_card")]).status == UNKNOWN


def test_replay_deterministic():
    from simlib import CodeChange
    f = FaultSchedule(crashes=(CrashAt(15, "after-effect"),), code_change=CodeChange("v2"))
    assert replay_deterministic(simulate("q1", "temporal", seed=1).history).status == VALID
    assert replay_deterministic(simulate("q1", "temporal", seed=1, faults=f).history).status == INVALID
    assert replay_deterministic(simulate("q1", "none", seed=1).history).status == UNKNOWN


def test_same_history():
    a = simulate("q1", "none", seed=1).history
    assert same_history(a, simulate("q1", "none", seed=1).history).status == VALID
    r = same_history(a, simulate("q1", "none", seed=2).history)
    assert r.status == INVALID and "first difference" in r.reason


def test_check_all_returns_every_checker():
    names = [c.name for c in check_all(simulate("q1", "temporal", seed=1).history, bound_s=3600)]
    assert names == ["effects_exactly_once", "no_recorded_result_lost", "saga_compensated",
                     "replay_deterministic", "completed_within"]
