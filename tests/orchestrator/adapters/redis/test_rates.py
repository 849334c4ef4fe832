"""The shared budget in real Redis decides exactly like the pure rule, and is one per method."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.rates import RedisRateBudget
from orchestrator.domain.rates import Rate, gcra

RATE = Rate(per_minute=60, burst=3)


@pytest.fixture
def budget(redis: Redis, keys: Keys) -> RedisRateBudget:
    return RedisRateBudget(redis, keys=keys)


async def test_the_script_agrees_with_the_rule_on_every_call(
    budget: RedisRateBudget, redis: Redis, keys: Keys
) -> None:
    times = [0, 0, 0, 0, 400, 999, 1000, 1500, 2000, 2001, 9000, 9000, 9000, 9000]
    tat: float | None = None
    base = 1_800_000_000_000.0
    for now in times:
        expected = gcra(tat, now, RATE)
        tat = expected.tat_ms
        turn = await budget.book("T1", "chat.update", RATE, within_s=0, now_ms=base + now)
        assert turn == (0.0 if expected.allowed else None), f"at {now} ms"
        stored = float(await redis.get(keys.rate("T1", "chat.update")))
        assert stored == pytest.approx(base + expected.tat_ms), f"TAT at {now} ms"


async def test_the_script_books_turns_as_the_rule_does(budget: RedisRateBudget) -> None:
    times = [0, 0, 0, 0, 0, 400, 2500, 9000, 9000, 9000, 9000, 9000, 9000]
    tat: float | None = None
    base = 1_900_000_000_000.0
    for now in times:
        expected = gcra(tat, now, RATE, queue_ms=2_000)
        tat = expected.tat_ms
        turn = await budget.book("T1", "chat.update", RATE, within_s=2, now_ms=base + now)
        if expected.allowed:
            assert turn == pytest.approx(expected.wait_ms / 1000), f"at {now} ms"
        else:
            assert turn is None, f"at {now} ms: nothing booked past the caller's wait"


async def test_concurrent_bookings_get_distinct_turns(budget: RedisRateBudget) -> None:
    per_second = Rate(per_minute=60, burst=1)
    turns = await asyncio.gather(
        *(budget.book("T9", "chat.postMessage", per_second, within_s=60) for _ in range(5))
    )
    assert all(turn is not None for turn in turns)
    spaced = sorted(t for t in turns if t is not None)
    assert spaced[0] == 0.0
    gaps = [b - a for a, b in zip(spaced, spaced[1:], strict=False)]
    assert all(gap == pytest.approx(1.0, abs=0.01) for gap in gaps), spaced


async def test_budgets_are_per_workspace_and_method_and_channel_when_scoped(
    budget: RedisRateBudget,
) -> None:
    one = Rate(per_minute=1)

    async def now(team: str, method: str, rate: Rate, channel: str = "") -> bool:
        return await budget.book(team, method, rate, within_s=0, channel_id=channel) == 0.0

    assert await now("T1", "chat.update", one)
    assert not await now("T1", "chat.update", one)
    assert await now("T2", "chat.update", one), "another workspace"
    assert await now("T1", "chat.startStream", one), "another method"
    per_channel = Rate(per_minute=1, scope="channel")
    assert await now("T1", "chat.postMessage", per_channel, "C1")
    assert await now("T1", "chat.postMessage", per_channel, "C2")
    assert not await now("T1", "chat.postMessage", per_channel, "C1")


async def test_an_idle_budget_leaves_no_key_behind(
    budget: RedisRateBudget, redis: Redis, keys: Keys
) -> None:
    await budget.book("T1", "chat.update", Rate(per_minute=60_000), within_s=0)
    assert 0 < await redis.pttl(keys.rate("T1", "chat.update")) <= 1001
