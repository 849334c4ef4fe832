"""The activity outbox: a Redis list of activity rows waiting for the database, oldest first.

Entries are JSON strings appended at the tail and removed at the head by the one process that
holds the drain lock (a token with an expiry, released only by its holder). Rows that SQL
refused for good (not an outage) move to a failed list, kept for an operator to look at; the
two lists share a Redis Cluster slot (`keys`), so that move is one transaction.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys

LOCK_TTL_MS = 30_000
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisOutbox:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._unlock = redis.register_script(_UNLOCK)

    async def push(self, *entries: str) -> None:
        """Append entries at the tail, in order, in one round trip."""
        if entries:
            await self._redis.rpush(self._keys.outbox, *entries)

    async def length(self) -> int:
        return int(await self._redis.llen(self._keys.outbox))

    async def peek(self, count: int) -> list[str]:
        """The `count` oldest entries, oldest first (left in place)."""
        raws = await self._redis.lrange(self._keys.outbox, 0, count - 1)
        return [raw.decode() if isinstance(raw, bytes) else raw for raw in raws]

    async def pop(self, count: int = 1) -> None:
        """Remove `count` entries at the head (only the lock holder does, after writing them)."""
        await self._redis.ltrim(self._keys.outbox, count, -1)

    async def set_aside(self, entry: str) -> None:
        """Move the head to the failed list: SQL refused it for good."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self._keys.outbox_failed, entry)
            pipe.lpop(self._keys.outbox)
            await pipe.execute()

    async def failed(self) -> int:
        return int(await self._redis.llen(self._keys.outbox_failed))

    async def lock(self) -> str | None:
        """The drain lock's token, or None while another process drains."""
        token = secrets.token_hex(8)
        ok = await self._redis.set(self._keys.outbox_lock, token, nx=True, px=LOCK_TTL_MS)
        return token if ok else None

    async def unlock(self, token: str) -> None:
        await self._unlock(keys=[self._keys.outbox_lock], args=[token])
