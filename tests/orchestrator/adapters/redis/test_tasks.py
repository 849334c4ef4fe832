"""Live task state in real Redis: compare-and-set saves, the thread index, event dedupe."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.tasks import RedisTaskStore
from orchestrator.domain.task import ORCHESTRATOR, Agent, Task, ThreadRef
from orchestrator.errors import StaleTask

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


@pytest.fixture
def store(redis: Redis, keys: Keys) -> RedisTaskStore:
    return RedisTaskStore(redis, keys=keys, ttl_s=600)


def new_task(task_id: str = "task_1") -> Task:
    return Task(
        id=task_id,
        thread=THREAD,
        requester="U0ALICE",
        agents={ORCHESTRATOR: Agent(id=ORCHESTRATOR, model="claude-test")},
    )


async def test_unknown_task_loads_as_none(store: RedisTaskStore) -> None:
    assert await store.load("task_missing") is None


async def test_saved_task_loads_back_with_its_version(store: RedisTaskStore) -> None:
    task = new_task()
    task.orchestrator.add_user_text("hello")
    await store.save(task)
    assert task.version == 0
    await store.save(task)
    assert task.version == 1

    loaded = await store.load(task.id)
    assert loaded is not None
    assert loaded.version == 1
    assert loaded.orchestrator.messages == task.orchestrator.messages


async def test_save_expires_the_task_after_its_ttl(
    redis: Redis, keys: Keys, store: RedisTaskStore
) -> None:
    await store.save(new_task())
    assert 0 < await redis.ttl(keys.task("task_1")) <= 600


async def test_the_thread_index_lives_at_least_as_long_as_its_task(
    redis: Redis, keys: Keys, store: RedisTaskStore
) -> None:
    await store.claim_thread(THREAD, "task_1")
    task = new_task()
    await store.save(task)
    await store.save(task)
    assert await redis.ttl(keys.thread(THREAD)) >= await redis.ttl(keys.task("task_1")) > 0

    await redis.expire(keys.thread(THREAD), 10)  # as if saved by another process long ago
    elsewhere = RedisTaskStore(redis, keys=keys, ttl_s=600)
    await elsewhere.save(task)
    assert await redis.ttl(keys.thread(THREAD)) >= await redis.ttl(keys.task("task_1")) > 0


async def test_a_stale_copy_cannot_overwrite_newer_state(store: RedisTaskStore) -> None:
    await store.save(new_task())
    mine = await store.load("task_1")
    theirs = await store.load("task_1")
    assert mine is not None and theirs is not None

    theirs.steps = 7
    await store.save(theirs)
    mine.steps = 1
    with pytest.raises(StaleTask) as caught:
        await store.save(mine)

    assert (caught.value.task_id, caught.value.expected_version) == ("task_1", 0)
    stored = await store.load("task_1")
    assert stored is not None and stored.steps == 7 and stored.version == 1


async def test_a_task_never_saved_cannot_replace_an_existing_one(store: RedisTaskStore) -> None:
    await store.save(new_task())
    with pytest.raises(StaleTask):
        await store.save(new_task())


async def test_twenty_concurrent_saves_of_one_version_have_exactly_one_winner(
    store: RedisTaskStore,
) -> None:
    await store.save(new_task())
    copies = await asyncio.gather(*(store.load("task_1") for _ in range(20)))
    for i, copy in enumerate(copies):
        assert copy is not None
        copy.steps = i + 1

    outcomes = await asyncio.gather(
        *(store.save(c) for c in copies if c is not None), return_exceptions=True
    )

    winners = [i for i, o in enumerate(outcomes) if o is None]
    losers = [o for o in outcomes if isinstance(o, StaleTask)]
    assert len(winners) == 1 and len(losers) == 19, outcomes
    stored = await store.load("task_1")
    assert stored is not None
    assert stored.steps == winners[0] + 1, "the stored state is the winner's"
    assert stored.version == 1


async def test_claim_thread_is_first_wins_under_concurrency(store: RedisTaskStore) -> None:
    assert await store.task_for_thread(THREAD) is None
    candidates = [f"task_{i}" for i in range(20)]

    results = await asyncio.gather(*(store.claim_thread(THREAD, c) for c in candidates))

    created = [task_id for task_id, new in results if new]
    assert len(created) == 1
    assert {task_id for task_id, _ in results} == set(created)
    assert await store.task_for_thread(THREAD) == created[0]


async def test_another_thread_gets_its_own_task(store: RedisTaskStore) -> None:
    await store.claim_thread(THREAD, "task_a")
    other = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000999")
    assert await store.claim_thread(other, "task_b") == ("task_b", True)


async def test_first_delivery_is_true_exactly_once(store: RedisTaskStore) -> None:
    results = await asyncio.gather(*(store.first_delivery("Ev1") for _ in range(10)))
    assert results.count(True) == 1
    assert await store.first_delivery("Ev1") is False
    assert await store.first_delivery("Ev2") is True
