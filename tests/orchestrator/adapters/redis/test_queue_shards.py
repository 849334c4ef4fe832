"""The job queue spread over several streams, on one Redis and on a Redis Cluster: every job is
delivered once, acknowledged and reclaimed on its own shard, and counted in the queue's depth."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.client import connect
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.queue import RedisJobQueue
from orchestrator.domain.commands import Job
from tests.harness.fixtures import SINGLE_AND_CLUSTER

pytestmark = SINGLE_AND_CLUSTER
SHARDS = 4


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = connect(redis_url, max_connections=16, wait_s=2)
    yield redis
    await redis.aclose()


@pytest.fixture
def sharded(redis_prefix: str) -> Keys:
    return Keys(redis_prefix, job_shards=SHARDS)


@pytest.fixture
def queue(client: Redis, sharded: Keys) -> RedisJobQueue:
    return RedisJobQueue(client, keys=sharded)


def resume(task_id: str) -> Job:
    return Job(kind="resume", task_id=task_id)


async def test_jobs_spread_over_every_stream_and_each_is_delivered_once(
    queue: RedisJobQueue, client: Redis, sharded: Keys
) -> None:
    tasks = [f"task_{n}" for n in range(40)]
    for task_id in tasks:
        await queue.enqueue(resume(task_id))
    lengths = [int(await client.xlen(stream)) for stream in sharded.job_streams]
    assert sum(lengths) == 40 and all(lengths), lengths
    assert (await queue.stats()).waiting == 40

    got: list[tuple[str, str]] = []
    for turn in range(40):
        worker = "worker-a" if turn % 2 else "worker-b"
        got += [(d, j.task_id) for d, j in await queue.receive(worker, count=7, block_ms=10)]
    assert sorted(t for _, t in got) == sorted(tasks)
    assert await queue.receive("worker-c", count=10, block_ms=10) == []

    for delivery_id, _ in got:
        await queue.ack(delivery_id)
    stats = await queue.stats()
    assert (stats.waiting, stats.in_progress) == (0, 0)
    assert [int(await client.xlen(s)) for s in sharded.job_streams] == [0] * SHARDS


async def test_a_dead_workers_job_is_reclaimed_from_its_shard_and_acked_there(
    queue: RedisJobQueue,
) -> None:
    for n in range(8):
        await queue.enqueue(resume(f"task_{n}"))
    taken = await queue.receive("worker-dead", count=8, block_ms=10)
    assert len(taken) == 8

    reclaimed = await queue.reclaim("worker-b", idle_ms=0, count=8)
    assert sorted(j.task_id for _, j in reclaimed) == sorted(j.task_id for _, j in taken)
    for delivery_id, _ in reclaimed:
        await queue.touch("worker-b", delivery_id)
        await queue.ack(delivery_id)
    assert (await queue.stats()).in_progress == 0
    assert await queue.reclaim("worker-c", idle_ms=0, count=8) == []


async def test_a_receive_finds_a_job_on_whichever_shard_it_went_to(
    queue: RedisJobQueue, sharded: Keys
) -> None:
    assert await queue.receive("worker-a", count=4, block_ms=10) == []
    late = next(f"task_{n}" for n in range(50) if sharded.job_shard(f"task_{n}") == SHARDS - 1)
    await queue.enqueue(resume(late))
    [(delivery_id, found)] = await queue.receive("worker-a", count=4, block_ms=100)
    assert found.task_id == late and delivery_id.startswith(f"{SHARDS - 1}/")


async def test_jobs_in_hand_on_every_shard_are_kept_fresh_together(
    queue: RedisJobQueue, client: Redis, sharded: Keys
) -> None:
    for n in range(12):
        await queue.enqueue(resume(f"task_{n}"))
    taken = await queue.receive("worker-a", count=12, block_ms=10)
    assert len(taken) == 12
    assert len({d.partition("/")[0] for d, _ in taken}) == SHARDS, "on every shard"
    for delivery_id, _ in taken:  # as if the worker had been quiet for a minute
        shard, _, entry = delivery_id.partition("/")
        stream = sharded.job_stream(int(shard))
        await client.xclaim(stream, sharded.group, "worker-a", 0, [entry], idle=60_000)

    await queue.touch_all("worker-a", [d for d, _ in taken])

    assert await queue.reclaim("worker-b", idle_ms=30_000, count=12) == []
