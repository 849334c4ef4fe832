"""Checkpoints in Redis: create once, load, compare-and-set save, and the deadline index.

Every change is a compare-and-set on the checkpoint's version (Lua), so of twenty concurrent clicks
exactly one moves a pending checkpoint on; the others read the new status and are told. Deadlines
(reminder, expiry) live in one sorted set; sweepers claim due entries by pushing them forward, so a
sweeper that dies mid-way leaves them to the next one. Another sorted set indexes the checkpoints
still pending by creation time, for the pending-approvals metrics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.checkpoint import Checkpoint
from orchestrator.errors import CheckpointConflict

# KEYS[1] checkpoint hash; ARGV: data, ttl. Returns the stored {data, version}.
_CREATE = """
local existing = redis.call('HMGET', KEYS[1], 'data', 'version')
if existing[1] then return existing end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', 0)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return {ARGV[1], '0'}
"""
# KEYS[1] checkpoint hash; ARGV: expected version, data, ttl. Returns 1 on success.
_CAS_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version')
if current == false or tonumber(current) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', tonumber(ARGV[1]) + 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
# KEYS[1] due set; ARGV: now, hold until, count. Returns ids due, each pushed to `hold until`.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""


@dataclass(frozen=True, slots=True)
class PendingStats:
    count: int
    """Checkpoints waiting for a person's decision."""
    oldest_age_s: float
    """How long the oldest of them has waited (0 when none waits)."""


class RedisCheckpointStore:
    def __init__(self, redis: Redis, *, keys: Keys, ttl_s: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_s = ttl_s
        self._create = redis.register_script(_CREATE)
        self._cas = redis.register_script(_CAS_SAVE)
        self._claim = redis.register_script(_CLAIM_DUE)

    async def create(self, checkpoint: Checkpoint) -> Checkpoint:
        data, version = await self._create(
            keys=[self._keys.checkpoint(checkpoint.id)],
            args=[checkpoint.model_dump_json(exclude={"version"}), self._ttl_s],
        )
        stored = _parse(data, version)
        await self.schedule(stored)
        return stored

    async def load(self, checkpoint_id: str) -> Checkpoint | None:
        data, version = await self._redis.hmget(
            self._keys.checkpoint(checkpoint_id), ["data", "version"]
        )
        return None if data is None else _parse(data, version)

    async def save(self, checkpoint: Checkpoint) -> None:
        ok = await self._cas(
            keys=[self._keys.checkpoint(checkpoint.id)],
            args=[
                checkpoint.version,
                checkpoint.model_dump_json(exclude={"version"}),
                self._ttl_s,
            ],
        )
        if not ok:
            raise CheckpointConflict(checkpoint.id)
        checkpoint.version += 1
        await self.schedule(checkpoint)

    async def claim_due(self, now: float, *, hold_s: float, count: int = 50) -> list[str]:
        ids = await self._claim(keys=[self._keys.checkpoints_due], args=[now, now + hold_s, count])
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    async def pending(self) -> PendingStats:
        count = await self._redis.zcard(self._keys.checkpoints_pending)
        oldest = await self._redis.zrange(self._keys.checkpoints_pending, 0, 0, withscores=True)
        age = max(0.0, time.time() - float(oldest[0][1])) if oldest else 0.0
        return PendingStats(count=int(count), oldest_age_s=age)

    async def pending_ids(self, *, limit: int = 200) -> list[str]:
        ids = await self._redis.zrange(self._keys.checkpoints_pending, 0, limit - 1)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    async def schedule(self, checkpoint: Checkpoint) -> None:
        if checkpoint.status == "pending":
            await self._redis.zadd(
                self._keys.checkpoints_pending, {checkpoint.id: checkpoint.created_at}
            )
        else:
            await self._redis.zrem(self._keys.checkpoints_pending, checkpoint.id)
        deadline = checkpoint.next_deadline
        if deadline is None:
            await self._redis.zrem(self._keys.checkpoints_due, checkpoint.id)
        else:
            await self._redis.zadd(self._keys.checkpoints_due, {checkpoint.id: deadline})


def _parse(data: bytes | str, version: bytes | str | int | None) -> Checkpoint:
    checkpoint = Checkpoint.model_validate_json(data)
    checkpoint.version = int(version or 0)
    return checkpoint
