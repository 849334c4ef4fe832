"""Question signals in real Redis: first press or expiry wins, the deadline index."""

from __future__ import annotations

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.signals import RedisTaskSignals
from orchestrator.domain.question import Answered, Expired


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
