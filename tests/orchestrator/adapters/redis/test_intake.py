"""A Slack message taken in with one script, on one Redis and on a Redis Cluster: a redelivery
does nothing, a mention in a new thread opens its task with its first job queued on the task's
stream, a message to a thread with a task names it, an unowned reply is ignored; an outage is
`StorageUnavailable` for every caller of a burst."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.client import connect, is_cluster
from orchestrator.adapters.redis.intake import RedisIntake
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.queue import RedisJobQueue
from orchestrator.adapters.redis.tasks import RedisTaskStore
from orchestrator.domain.commands import UserMessage
from orchestrator.domain.task import ThreadRef
from orchestrator.errors import StorageUnavailable
from orchestrator.ports import Admission
from tests.harness.fixtures import SINGLE_AND_CLUSTER
from tests.harness.services import free_port

SHARDS = 4


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = connect(redis_url, max_connections=8, wait_s=2)
    yield redis
    await redis.aclose()


@pytest.fixture
def keys(redis_url: str, redis_prefix: str) -> Keys:
    return Keys(redis_prefix, job_shards=SHARDS, cluster=is_cluster(redis_url))


@pytest.fixture
def intake(client: Redis, keys: Keys) -> RedisIntake:
    return RedisIntake(client, keys=keys, ttl_s=600)


@pytest.fixture
def queue(client: Redis, keys: Keys) -> RedisJobQueue:
    return RedisJobQueue(client, keys=keys)


def message(thread_ts: str, *, mention: bool = True, text: str = "hello") -> UserMessage:
    return UserMessage(
        thread=ThreadRef(team_id="T1", channel_id="C1", thread_ts=thread_ts),
        user_id="U0ALICE",
        text=text,
        message_ts=thread_ts,
        mention=mention,
    )


@SINGLE_AND_CLUSTER
async def test_a_mention_opens_its_task_with_its_job_queued_and_a_redelivery_does_nothing(
    intake: RedisIntake, queue: RedisJobQueue, client: Redis, keys: Keys
) -> None:
    await queue.ensure_group()
    first = await intake.admit("Ev1", message("1.1"))
    assert first.queued and first.task_id is not None
    assert await intake.admit("Ev1", message("1.1")) == Admission(repeat=True)

    jobs = await queue.receive("worker", count=10, block_ms=10)
    assert [(job.task_id, job.message) for _, job in jobs] == [(first.task_id, message("1.1"))]
    store = RedisTaskStore(client, keys=keys, ttl_s=600)
    assert await store.task_for_thread(message("1.1").thread) == first.task_id


@SINGLE_AND_CLUSTER
async def test_a_message_to_a_thread_with_a_task_names_it_and_queues_nothing(
    intake: RedisIntake, queue: RedisJobQueue
) -> None:
    await queue.ensure_group()
    opened = await intake.admit("Ev1", message("2.1"))
    again = await intake.admit("Ev2", message("2.1", text="and also"))
    reply = await intake.admit("Ev3", message("2.1", mention=False))
    assert again == reply == Admission(task_id=opened.task_id)
    assert len(await queue.receive("worker", count=10, block_ms=10)) == 1


@SINGLE_AND_CLUSTER
async def test_a_reply_in_a_thread_without_a_task_is_ignored(
    intake: RedisIntake, client: Redis, keys: Keys
) -> None:
    assert await intake.admit("Ev1", message("3.1", mention=False)) == Admission()
    store = RedisTaskStore(client, keys=keys, ttl_s=600)
    assert await store.task_for_thread(message("3.1").thread) is None


@SINGLE_AND_CLUSTER
async def test_a_forgotten_event_counts_as_new_when_delivered_again(intake: RedisIntake) -> None:
    assert (await intake.admit("Ev1", message("4.1", mention=False))) == Admission()
    await intake.forget("Ev1", message("4.1").thread)
    assert not (await intake.admit("Ev1", message("4.1", mention=False))).repeat


@SINGLE_AND_CLUSTER
async def test_a_burst_of_mentions_opens_one_task_each_spread_over_the_streams(
    intake: RedisIntake, queue: RedisJobQueue, client: Redis, keys: Keys
) -> None:
    await queue.ensure_group()
    burst = [message(f"5.{n}") for n in range(40)]
    admitted = await asyncio.gather(*(intake.admit(f"Ev{n}", m) for n, m in enumerate(burst)))
    assert all(a.queued for a in admitted)
    lengths = [int(await client.xlen(stream)) for stream in keys.job_streams]
    assert sum(lengths) == 40 and all(lengths), lengths

    got = []
    for _ in range(20):
        got += await queue.receive("worker", count=10, block_ms=10)
    assert sorted(job.task_id for _, job in got) == sorted(str(a.task_id) for a in admitted)
    for delivery_id, job in got:  # each job is on its task's own stream
        assert keys.job_shard(job.task_id) == int(delivery_id.partition("/")[0])


async def test_every_caller_of_a_burst_is_told_when_redis_is_unreachable() -> None:
    down = connect(f"redis://127.0.0.1:{free_port()}/0", max_connections=4, wait_s=1)
    intake = RedisIntake(down, keys=Keys("tw"), ttl_s=600)
    try:
        results = await asyncio.gather(
            *(intake.admit(f"Ev{n}", message(f"6.{n}")) for n in range(5)),
            return_exceptions=True,
        )
    finally:
        await down.aclose()
    assert all(isinstance(r, StorageUnavailable) for r in results), results
