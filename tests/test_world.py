"""The ledger honours idempotency keys like a payment provider."""

from simlib.core.world import Ledger


def test_repeated_key_has_no_second_effect_and_returns_first_result():
    led = Ledger()
    a = led.apply(1.0, "wf-1", 4, "refund", 1, "refund_card", "wf-1:refund")
    b = led.apply(9.0, "wf-1", 4, "refund", 2, "refund_card", "wf-1:refund")
    assert b.deduplicated and b.result == a.result
    assert led.count("refund_card") == 1 and led.duplicates() == 0


def test_unkeyed_repeat_is_a_duplicate():
    led = Ledger()
    led.apply(1.0, "wf-1", 1, "charge", 1, "charge_card", None)
    led.apply(2.0, "wf-1", 1, "charge", 2, "charge_card", None)
    assert led.count("charge_card") == 2 and led.duplicates() == 1


def test_distinct_steps_are_not_duplicates():
    led = Ledger()
    led.apply(1.0, "wf-1", 1, "email", 1, "send_email", None)
    led.apply(2.0, "wf-1", 2, "email", 1, "send_email", None)
    assert led.duplicates() == 0
