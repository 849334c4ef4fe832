"""`HomeVisits` in Redis: who has opened their App Home, one set of user ids per workspace."""

from __future__ import annotations

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys


class RedisHomeVisits:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def mark(self, team_id: str, user_id: str) -> None:
        await self._redis.sadd(self._keys.home_visitors(team_id), user_id)

    async def seen(self, team_id: str, user_id: str) -> bool:
        found = await self._redis.sismember(self._keys.home_visitors(team_id), user_id)
        return bool(found)
