"""Per-task leases: one worker runs a thread at a time.

A lease is a Redis key holding the worker's token with an expiry. The holder renews it while it
works; if the holder dies, the lease expires after the reclaim delay and another worker may take it.
One keeper per process renews every lease the process holds, every third of the lease, in one
pipeline (one round trip however many tasks run). While Redis is unreachable the holder keeps
trying to renew: nobody else can take the lease then, and the first renewal that reaches Redis
again tells whether it is still held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.errors import LeaseLost, StorageUnavailable

log = logging.getLogger(__name__)

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


@dataclass(eq=False)
class _Held:
    token: str
    body: asyncio.Task[object] | None
    lost: bool = False


class RedisLeases:
    def __init__(self, redis: Redis, *, keys: Keys, ttl_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_ms = int(ttl_s * 1000)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._held: dict[str, _Held] = {}
        self._none_held = asyncio.Event()
        """Set when the process holds no lease: the keeper ends at once."""
        self._keeper: asyncio.Task[None] | None = None

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
        entry = self._held[task_id] = _Held(token, asyncio.current_task())
        self._none_held.clear()
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep())
        try:
            yield
        except asyncio.CancelledError:
            if entry.lost:
                raise LeaseLost(task_id) from None
            raise
        finally:
            if self._held.get(task_id) is entry:
                del self._held[task_id]
            if not self._held:
                self._none_held.set()
            with contextlib.suppress(StorageUnavailable):  # it expires by itself
                await self.release(task_id, token)

    async def _keep(self) -> None:
        """Renew every held lease each third of the lease, until none is held."""
        while self._held:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._none_held.wait(), self._ttl_ms / 3000)
            held = dict(self._held)
            if not held:
                return
            try:
                renewed = await self._renew_all(held)
            except StorageUnavailable:
                continue
            except Exception:  # one bad reply must not stop the renewals of every lease
                log.exception("could not renew %d leases", len(held))
                continue
            for (task_id, entry), ok in zip(held.items(), renewed, strict=True):
                if not ok and self._held.get(task_id) is entry:
                    entry.lost = True
                    if entry.body is not None:
                        entry.body.cancel()

    async def _renew_all(self, held: dict[str, _Held]) -> list[bool]:
        # EVAL with the script's text: a pipeline cannot load a missing script by itself, and on
        # a cluster each lease's renewal goes to the shard of its key.
        async with self._redis.pipeline(transaction=False) as pipe:
            for task_id, entry in held.items():
                pipe.eval(_RENEW, 1, self._keys.lease(task_id), entry.token, self._ttl_ms)
            return [bool(ok) for ok in await pipe.execute()]
