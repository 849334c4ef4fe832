"""Checkpoints in real Redis: created once, compare-and-set saves, the deadline index."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.checkpoints import RedisCheckpointStore
from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.checkpoint import Approvers, Checkpoint, decide
from orchestrator.domain.task import ThreadRef
from orchestrator.errors import CheckpointConflict, InvalidTransition

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


@pytest.fixture
def store(redis: Redis, keys: Keys) -> RedisCheckpointStore:
    return RedisCheckpointStore(redis, keys=keys, ttl_s=600)


def draft(cid: str = "cp_1", expires_at: float = 2000.0) -> Checkpoint:
    return Checkpoint(
        id=cid,
        task_id="task_1",
        agent_id="main",
        call_id="toolu_1",
        thread=THREAD,
        tool="jira__create",
        server="jira/api",
        requester="U0ALICE",
        approvers=Approvers(requester="U0ALICE"),
        expires_at=expires_at,
    )


async def test_create_keeps_the_first_copy(store: RedisCheckpointStore) -> None:
    first = await store.create(draft())
    first.message_ts = "1.1"
    await store.save(first)
    again = await store.create(draft())
    assert again.message_ts == "1.1", "a re-run step finds the card it already posted"
    assert again.version == 1


async def test_concurrent_decisions_one_wins(store: RedisCheckpointStore) -> None:
    await store.create(draft())

    async def approve(user: str) -> str | None:
        cp = await store.load("cp_1")
        assert cp is not None
        try:
            decide(cp, "approve", by=user, at=1.0, reason=None)
            await store.save(cp)
        except (CheckpointConflict, InvalidTransition):
            return None
        return user

    winners = [w for w in await asyncio.gather(*(approve(f"U{i:03d}") for i in range(20))) if w]
    assert len(winners) == 1
    stored = await store.load("cp_1")
    assert stored is not None and stored.decided_by == winners[0]


async def test_due_checkpoints_are_claimed_once_per_hold(store: RedisCheckpointStore) -> None:
    await store.create(draft("cp_soon", expires_at=100.0))
    await store.create(draft("cp_later", expires_at=900.0))
    assert await store.claim_due(200.0, hold_s=30) == ["cp_soon"]
    assert await store.claim_due(210.0, hold_s=30) == [], "held while a sweeper handles it"
    assert await store.claim_due(231.0, hold_s=30) == ["cp_soon"], "back if that sweeper died"


async def test_decided_checkpoints_leave_the_deadline_index(store: RedisCheckpointStore) -> None:
    cp = await store.create(draft("cp_soon", expires_at=100.0))
    decide(cp, "approve", by="U0ALICE", at=1.0, reason=None)
    await store.save(cp)
    assert await store.claim_due(10_000.0, hold_s=30) == []
