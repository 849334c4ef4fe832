"""Task signals in real Redis: first press or expiry wins, the deadline index, stop flags read
together."""

from __future__ import annotations

from redis.asyncio import Redis

from orchestrator.adapters.redis.client import connect
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.signals import RedisTaskSignals
from orchestrator.domain.question import Answered, Expired
from tests.harness.fixtures import SINGLE_AND_CLUSTER


async def test_the_first_of_a_press_and_the_expiry_wins(redis: Redis, keys: Keys) -> None:
    signals = RedisTaskSignals(redis, keys=keys)
    assert await signals.offer_answer("task_1", "toolu_1", Expired())
    assert not await signals.offer_answer("task_1", "toolu_1", Answered(text="yes", by="U0A"))
    assert await signals.answer_for("task_1", "toolu_1") == Expired()

    assert await signals.offer_answer("task_1", "toolu_2", Answered(text="yes", by="U0A"))
    assert not await signals.offer_answer("task_1", "toolu_2", Expired())
    assert await signals.answer_for("task_1", "toolu_2") == Answered(text="yes", by="U0A")


async def test_due_questions_are_claimed_once_per_hold_and_dropped(
    redis: Redis, keys: Keys
) -> None:
    signals = RedisTaskSignals(redis, keys=keys)
    await signals.schedule_question("task_1", "toolu_soon", 100.0)
    await signals.schedule_question("task_2", "toolu_later", 900.0)
    assert await signals.claim_due_questions(200.0, hold_s=30) == [("task_1", "toolu_soon")]
    assert await signals.claim_due_questions(210.0, hold_s=30) == [], "held for 30 s"
    await signals.drop_question("task_1", "toolu_soon")
    assert await signals.claim_due_questions(950.0, hold_s=30) == [("task_2", "toolu_later")]


@SINGLE_AND_CLUSTER
async def test_the_stops_of_many_tasks_are_read_together(redis_url: str, keys: Keys) -> None:
    # On a cluster the tasks' stop keys hash to different slots, on different shards.
    redis = connect(redis_url, max_connections=8, wait_s=1.0)
    try:
        signals = RedisTaskSignals(redis, keys=keys)
        tasks = [f"task_{n}" for n in range(20)]
        await signals.request_stop("task_3", "U0ALICE")
        await signals.request_stop("task_17", "U0BOB")
        both = {"task_3": "U0ALICE", "task_17": "U0BOB"}
        assert await signals.stops_requested(tasks) == both
        assert await signals.stop_flags(tasks) == both
        await signals.clear_stop("task_3")
        assert await signals.stops_requested(tasks) == {"task_17": "U0BOB"}
        assert await signals.stops_requested([]) == await signals.stop_flags([]) == {}

        await redis.delete(keys.stop("task_17"))  # its flag expired (a day later)
        assert await signals.stops_requested(tasks) == {}
        assert await redis.hlen(keys.stops) == 0, "the index forgets a flag that is gone"

        await redis.set(keys.stop("task_5"), "U0CAROL")  # set without its index entry
        assert await signals.stops_requested(tasks) == {}
        assert await signals.stop_flags(tasks) == {"task_5": "U0CAROL"}, "a thorough read sees it"
        await signals.clear_stop("task_5")

        await signals.request_stop("task_elsewhere", "U0DAN")  # run by another process
        await redis.hset(keys.stops, "task_long_gone", "1000.0")  # its flag expired long ago
        assert await signals.stops_requested(tasks) == {}
        assert await redis.hkeys(keys.stops) == [b"task_elsewhere"]
        await signals.clear_stop("task_elsewhere")
    finally:
        await redis.aclose()
