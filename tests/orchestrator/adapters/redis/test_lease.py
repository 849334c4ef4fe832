"""Per-task leases in real Redis: one holder at a time, renewal (of every lease a process holds,
together), release by the holder only, and a body that loses its lease is stopped with LeaseLost."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.client import connect
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.lease import RedisLeases
from orchestrator.errors import LeaseLost
from tests.harness.fixtures import SINGLE_AND_CLUSTER


@pytest.fixture
def leases(redis: Redis, keys: Keys) -> RedisLeases:
    return RedisLeases(redis, keys=keys, ttl_s=10)


async def test_a_lease_has_one_holder(leases: RedisLeases) -> None:
    tokens = await asyncio.gather(*(leases.try_acquire("task_1") for _ in range(20)))
    held = [t for t in tokens if t is not None]
    assert len(held) == 1
    assert await leases.try_acquire("task_2") is not None, "other tasks are independent"


async def test_renewal_by_the_holder_extends_the_lease(
    leases: RedisLeases, redis: Redis, keys: Keys
) -> None:
    token = await leases.try_acquire("task_1")
    assert token is not None
    await redis.pexpire(keys.lease("task_1"), 100)  # nearly expired

    assert await leases.renew("task_1", token) is True
    assert await redis.pttl(keys.lease("task_1")) > 9_000


async def test_renewal_by_someone_else_fails_and_changes_nothing(
    leases: RedisLeases, redis: Redis, keys: Keys
) -> None:
    token = await leases.try_acquire("task_1")
    assert token is not None
    await redis.pexpire(keys.lease("task_1"), 5_000)

    assert await leases.renew("task_1", "not-the-token") is False
    assert await redis.pttl(keys.lease("task_1")) <= 5_000
    assert await leases.renew("task_gone", token) is False


async def test_only_the_holder_can_release(leases: RedisLeases) -> None:
    token = await leases.try_acquire("task_1")
    assert token is not None

    await leases.release("task_1", "not-the-token")
    assert await leases.try_acquire("task_1") is None

    await leases.release("task_1", token)
    assert await leases.try_acquire("task_1") is not None


async def test_acquire_waits_for_the_holder_to_release(leases: RedisLeases) -> None:
    token = await leases.try_acquire("task_1")
    assert token is not None
    waiting = asyncio.create_task(leases.acquire("task_1", wait_s=10))
    assert not waiting.done()

    await leases.release("task_1", token)

    assert await asyncio.wait_for(waiting, 10) not in (None, token)


async def test_acquire_gives_up_after_its_wait(redis: Redis, keys: Keys) -> None:
    leases = RedisLeases(redis, keys=keys, ttl_s=10)
    assert await leases.try_acquire("task_1") is not None
    assert await asyncio.wait_for(leases.acquire("task_1", wait_s=0.1), 5) is None


async def test_held_keeps_renewing_and_releases_at_the_end(redis: Redis, keys: Keys) -> None:
    leases = RedisLeases(redis, keys=keys, ttl_s=0.6)  # renewed every 0.2 s
    token = await leases.try_acquire("task_1")
    assert token is not None
    key = keys.lease("task_1")

    async with leases.held("task_1", token):
        await redis.pexpire(key, 400)

        async def renewed() -> None:
            while await redis.pttl(key) <= 400:
                pass  # the keeper's renewal puts the full 600 ms back

        await asyncio.wait_for(renewed(), 5)

    assert await redis.exists(key) == 0, "the lease is released when the body ends"


async def test_a_lost_lease_stops_the_body_with_lease_lost(redis: Redis, keys: Keys) -> None:
    leases = RedisLeases(redis, keys=keys, ttl_s=0.3)
    token = await leases.try_acquire("task_1")
    assert token is not None
    never = asyncio.Event()
    reached_end = False

    async def body() -> None:
        nonlocal reached_end
        async with leases.held("task_1", token):
            # Another worker took the thread (our lease expired while we were stalled).
            await redis.set(keys.lease("task_1"), "other-worker")
            await never.wait()
            reached_end = True

    with pytest.raises(LeaseLost) as caught:
        await asyncio.wait_for(body(), 5)

    assert caught.value.task_id == "task_1"
    assert not reached_end
    assert await redis.get(keys.lease("task_1")) == b"other-worker", "the new holder keeps it"


async def test_cancelling_the_body_for_another_reason_is_not_lease_lost(
    leases: RedisLeases, redis: Redis, keys: Keys
) -> None:
    token = await leases.try_acquire("task_1")
    assert token is not None
    inside = asyncio.Event()

    async def body() -> None:
        async with leases.held("task_1", token):
            inside.set()
            await asyncio.Event().wait()

    running = asyncio.create_task(body())
    await asyncio.wait_for(inside.wait(), 5)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await redis.exists(keys.lease("task_1")) == 0


@SINGLE_AND_CLUSTER
async def test_every_lease_a_process_holds_is_renewed_and_a_lost_one_stops_only_its_body(
    redis_url: str, keys: Keys
) -> None:
    # On a cluster the tasks' leases live on different shards.
    redis = connect(redis_url, max_connections=8, wait_s=1.0)
    try:
        leases = RedisLeases(redis, keys=keys, ttl_s=0.6)  # renewed every 0.2 s
        tasks = [f"task_{n}" for n in range(6)]
        tokens = {t: await leases.try_acquire(t) for t in tasks}
        entered = {t: asyncio.Event() for t in tasks}
        done = asyncio.Event()

        async def body(task_id: str) -> None:
            token = tokens[task_id]
            assert token is not None
            async with leases.held(task_id, token):
                entered[task_id].set()
                await done.wait()

        bodies = {t: asyncio.create_task(body(t)) for t in tasks}
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in entered.values())), 5)
        await redis.set(keys.lease("task_2"), "other-worker")  # another worker took this one
        with pytest.raises(LeaseLost):
            await asyncio.wait_for(bodies["task_2"], 5)

        kept = [t for t in tasks if t != "task_2"]
        for task_id in kept:
            await redis.pexpire(keys.lease(task_id), 300)

        async def renewed(task_id: str) -> None:
            while await redis.pttl(keys.lease(task_id)) <= 300:
                pass  # the keeper's renewal puts the full 600 ms back

        await asyncio.wait_for(asyncio.gather(*(renewed(t) for t in kept)), 5)
        assert not any(bodies[t].done() for t in kept), "the others keep running"
        done.set()
        await asyncio.wait_for(asyncio.gather(*(bodies[t] for t in kept)), 5)
        for task_id in kept:
            assert await redis.exists(keys.lease(task_id)) == 0, "released at the end"
        assert await redis.get(keys.lease("task_2")) == b"other-worker"
        await redis.delete(keys.lease("task_2"))
    finally:
        await redis.aclose()
