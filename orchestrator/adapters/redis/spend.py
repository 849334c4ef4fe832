"""The spend ledger in Redis: one float counter per channel and month (`INCRBYFLOAT`)."""

from __future__ import annotations

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.task import ThreadRef

TTL_S = 40 * 24 * 3600
"""A month's counter outlives the month by a few days, then goes."""


class RedisSpendLedger:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def add(self, thread: ThreadRef, month: str, usd: float) -> None:
        key = self._keys.spend(thread, month)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrbyfloat(key, usd)
            pipe.expire(key, TTL_S)
            await pipe.execute()

    async def spent(self, thread: ThreadRef, month: str) -> float:
        value = await self._redis.get(self._keys.spend(thread, month))
        return float(value) if value is not None else 0.0
