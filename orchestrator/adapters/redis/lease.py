"""Per-task leases: one worker runs a thread at a time.

A lease is a Redis key holding the worker's token with an expiry. The holder renews it while it
works; if the holder dies, the lease expires after the reclaim delay and another worker may take it.
While Redis is unreachable the holder keeps trying to renew: nobody else can take the lease then,
and the first renewal that reaches Redis again tells whether it is still held.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.errors import LeaseLost, StorageUnavailable

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLeases:
    def __init__(self, redis: Redis, *, keys: Keys, ttl_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_ms = int(ttl_s * 1000)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def try_acquire(self, task_id: str) -> str | None:
        token = secrets.token_hex(8)
        ok = await self._redis.set(self._keys.lease(task_id), token, nx=True, px=self._ttl_ms)
        return token if ok else None

    async def acquire(self, task_id: str, *, wait_s: float) -> str | None:
        """Wait up to `wait_s` for the lease (polling with back-off); None if still busy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        delay = 0.02
        while True:
            token = await self.try_acquire(task_id)
            if token or loop.time() >= deadline:
                return token
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            delay = min(delay * 2, 0.5)

    async def renew(self, task_id: str, token: str) -> bool:
        return bool(await self._renew(keys=[self._keys.lease(task_id)], args=[token, self._ttl_ms]))

    async def release(self, task_id: str, token: str) -> None:
        await self._release(keys=[self._keys.lease(task_id)], args=[token])

    @contextlib.asynccontextmanager
    async def held(self, task_id: str, token: str) -> AsyncIterator[None]:
        """Keep the lease renewed while the body runs; the body is cancelled if the lease is lost."""
        body = asyncio.current_task()
        lost = False

        async def keep() -> None:
            nonlocal lost
            while True:
                await asyncio.sleep(self._ttl_ms / 3000)
                try:
                    renewed = await self.renew(task_id, token)
                except StorageUnavailable:
                    continue
                if not renewed:
                    lost = True
                    if body is not None:
                        body.cancel()
                    return

        keeper = asyncio.create_task(keep())
        try:
            yield
        except asyncio.CancelledError:
            if lost:
                raise LeaseLost(task_id) from None
            raise
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            with contextlib.suppress(StorageUnavailable):  # it expires by itself
                await self.release(task_id, token)
