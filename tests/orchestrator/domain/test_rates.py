"""GCRA, the rule behind Slack budgets: a burst, then one call per interval, exact waits."""

from __future__ import annotations

from orchestrator.domain.rates import Rate, gcra

PER_SECOND_BURST_3 = Rate(per_minute=60, burst=3)


def run(times_ms: list[float], rate: Rate) -> list[bool]:
    tat: float | None = None
    out = []
    for now in times_ms:
        decision = gcra(tat, now, rate)
        tat = decision.tat_ms
        out.append(decision.allowed)
    return out


def test_a_burst_is_allowed_then_one_call_per_interval() -> None:
    assert run([0, 0, 0, 0], PER_SECOND_BURST_3) == [True, True, True, False]
    assert run([0, 0, 0, 999, 1000], PER_SECOND_BURST_3) == [True, True, True, False, True]


def test_a_refused_call_learns_exactly_how_long_to_wait() -> None:
    tat = None
    for _ in range(3):
        tat = gcra(tat, 0, PER_SECOND_BURST_3).tat_ms
    refused = gcra(tat, 250, PER_SECOND_BURST_3)
    assert not refused.allowed and refused.wait_ms == 750
    assert refused.tat_ms == tat, "a refusal uses nothing"
    assert gcra(tat, 250 + refused.wait_ms, PER_SECOND_BURST_3).allowed


def test_an_idle_budget_refills_to_its_burst_and_no_further() -> None:
    rate = Rate(per_minute=60, burst=2)
    assert run([0, 0, 10_000, 10_000, 10_000], rate) == [True, True, True, True, False]


def test_over_a_minute_no_more_than_the_rate_plus_the_burst_get_through() -> None:
    rate = Rate(per_minute=50, burst=5)
    allowed = run([i * 100.0 for i in range(600)], rate)  # one try every 100 ms for 60 s
    assert sum(allowed) <= 50 + 5
    assert sum(allowed) >= 50


def test_waiters_that_book_go_one_interval_apart_each_asking_once() -> None:
    tat = None
    turns = []
    for _ in range(6):  # six callers at the same instant, each willing to wait up to 5 s
        decision = gcra(tat, 0, PER_SECOND_BURST_3, queue_ms=5_000)
        assert decision.allowed, "booked, not refused"
        tat = decision.tat_ms
        turns.append(decision.wait_ms)
    assert turns == [0, 0, 0, 1000, 2000, 3000]


def test_a_turn_further_off_than_the_caller_will_wait_is_not_booked() -> None:
    tat = None
    for _ in range(3):
        tat = gcra(tat, 0, PER_SECOND_BURST_3, queue_ms=500).tat_ms
    refused = gcra(tat, 0, PER_SECOND_BURST_3, queue_ms=500)
    assert not refused.allowed and refused.wait_ms == 1000
    assert refused.tat_ms == tat, "nothing booked"
