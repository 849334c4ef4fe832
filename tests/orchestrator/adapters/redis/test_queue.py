"""The job stream in real Redis: jobs survive a dead worker and are reclaimed, never stolen early.

A pending job's idle time is Redis's own clock. Tests that need "a long time later" age the entry
with `XCLAIM … IDLE` (what Redis would report after that much time) instead of sleeping; one test
checks the real clock with a short delay.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.queue import RedisJobQueue
from orchestrator.domain.commands import Job, UserMessage
from orchestrator.domain.task import ThreadRef

RECLAIM_MS = 5_000


@pytest.fixture
def queue(redis: Redis, keys: Keys) -> RedisJobQueue:
    return RedisJobQueue(redis, keys=keys)


def job(task_id: str = "task_1") -> Job:
    message = UserMessage(
        thread=ThreadRef(team_id="T1", channel_id="C1", thread_ts="1.0"),
        user_id="U0ALICE",
        text="hello",
        message_ts="1.0",
    )
    return Job(kind="message", task_id=task_id, message=message)


async def age(redis: Redis, keys: Keys, consumer: str, delivery_id: str, idle_ms: int) -> None:
    """Make Redis report the pending entry as idle for `idle_ms` (as if that much time passed)."""
    await redis.xclaim(keys.jobs, keys.group, consumer, 0, [delivery_id], idle=idle_ms, justid=True)


async def owner(redis: Redis, keys: Keys, delivery_id: str) -> str | None:
    pending = await redis.xpending_range(keys.jobs, keys.group, delivery_id, delivery_id, 1)
    if not pending:
        return None
    name = pending[0]["consumer"]
    return name.decode() if isinstance(name, bytes) else str(name)


async def test_a_job_is_delivered_to_one_worker_only(queue: RedisJobQueue) -> None:
    await queue.enqueue(job())
    first = await queue.receive("worker-a", count=10, block_ms=10)
    second = await queue.receive("worker-b", count=10, block_ms=10)
    assert [j for _, j in first] == [job()]
    assert second == []


async def test_an_unacked_job_is_not_reclaimed_before_the_idle_time(
    queue: RedisJobQueue, redis: Redis, keys: Keys
) -> None:
    await queue.enqueue(job())
    [(delivery_id, _)] = await queue.receive("worker-a", count=1, block_ms=10)

    assert await queue.reclaim("worker-b", idle_ms=RECLAIM_MS, count=10) == []
    await age(redis, keys, "worker-a", delivery_id, RECLAIM_MS - 1_000)
    assert await queue.reclaim("worker-b", idle_ms=RECLAIM_MS, count=10) == []
    assert await owner(redis, keys, delivery_id) == "worker-a"


async def test_an_unacked_job_is_reclaimed_by_another_worker_after_the_idle_time(
    queue: RedisJobQueue, redis: Redis, keys: Keys
) -> None:
    await queue.enqueue(job("task_dead"))
    [(delivery_id, _)] = await queue.receive("worker-a", count=1, block_ms=10)
    await age(redis, keys, "worker-a", delivery_id, RECLAIM_MS + 1_000)

    reclaimed = await queue.reclaim("worker-b", idle_ms=RECLAIM_MS, count=10)

    assert reclaimed == [(delivery_id, job("task_dead"))]
    assert await owner(redis, keys, delivery_id) == "worker-b"
    assert await queue.reclaim("worker-c", idle_ms=RECLAIM_MS, count=10) == []


async def test_reclaim_waits_for_the_real_idle_time(queue: RedisJobQueue) -> None:
    idle_ms = 200
    await queue.enqueue(job())
    [(delivery_id, _)] = await queue.receive("worker-a", count=1, block_ms=10)
    received = time.monotonic()

    async def first_reclaim() -> float:
        while not await queue.reclaim("worker-b", idle_ms=idle_ms, count=1):
            pass  # each try is a Redis round trip; Redis decides when the job is idle enough
        return time.monotonic()

    reclaimed_at = await asyncio.wait_for(first_reclaim(), 10)
    assert (reclaimed_at - received) * 1000 >= idle_ms * 0.9


async def test_touch_keeps_a_live_workers_job_from_being_reclaimed(
    queue: RedisJobQueue, redis: Redis, keys: Keys
) -> None:
    await queue.enqueue(job())
    [(delivery_id, _)] = await queue.receive("worker-a", count=1, block_ms=10)
    await age(redis, keys, "worker-a", delivery_id, RECLAIM_MS + 1_000)

    await queue.touch("worker-a", delivery_id)

    assert await queue.reclaim("worker-b", idle_ms=RECLAIM_MS, count=10) == []
    assert await owner(redis, keys, delivery_id) == "worker-a"


async def test_a_job_handed_back_is_reclaimed_at_once_by_another_worker(
    queue: RedisJobQueue, redis: Redis, keys: Keys
) -> None:
    await queue.enqueue(job("task_handed"))
    [(delivery_id, _)] = await queue.receive("worker-a", count=1, block_ms=10)
    assert await queue.reclaim("worker-b", idle_ms=RECLAIM_MS, count=10) == []

    await queue.hand_back("worker-a", [delivery_id], idle_ms=RECLAIM_MS)

    reclaimed = await queue.reclaim("worker-b", idle_ms=RECLAIM_MS, count=10)
    assert reclaimed == [(delivery_id, job("task_handed"))]
    assert await owner(redis, keys, delivery_id) == "worker-b"


async def test_an_acked_job_is_gone_for_good(
    queue: RedisJobQueue, redis: Redis, keys: Keys
) -> None:
    await queue.enqueue(job())
    [(delivery_id, _)] = await queue.receive("worker-a", count=1, block_ms=10)
    await queue.ack(delivery_id)

    assert await owner(redis, keys, delivery_id) is None
    assert await queue.reclaim("worker-b", idle_ms=0, count=10) == []
    assert await queue.receive("worker-b", count=10, block_ms=10) == []
    assert await redis.xlen(keys.jobs) == 0


async def test_jobs_come_out_in_the_order_they_went_in(queue: RedisJobQueue) -> None:
    for i in range(5):
        await queue.enqueue(job(f"task_{i}"))
    got = await queue.receive("worker-a", count=10, block_ms=10)
    assert [j.task_id for _, j in got] == [f"task_{i}" for i in range(5)]
