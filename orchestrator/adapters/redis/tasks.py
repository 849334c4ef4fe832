"""Live task state in Redis: load, create and compare-and-set save; the thread index; event dedupe.

Key scheme in `orchestrator.adapters.redis.keys`. A save succeeds only if the stored version is the one the caller
loaded, so a worker that lost its lease can never overwrite newer state.

The thread index lives a little longer than the task it names (`THREAD_MARGIN_S`): a process
pushes it out on a task's save at most once per margin, not on every save (it is another shard's
key on a cluster, so it cannot ride in the save's script).
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.task import Task, ThreadRef
from orchestrator.errors import StaleTask

# KEYS[1] task hash; ARGV: expected version, new data, ttl seconds. Returns 1 on success.
THREAD_MARGIN_S = 3600
"""How much longer than its task the thread index lives at most (a tenth of a short task TTL)."""
_REFRESHED_KEPT = 10_000
"""Tasks whose last thread refresh a store remembers before it forgets the stale ones."""

_CAS_SAVE = """
local current = redis.call('HGET', KEYS[1], 'version')
if current == false then current = '-1' end
if tonumber(current) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', tonumber(ARGV[1]) + 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


def thread_margin_s(ttl_s: int) -> int:
    """How much longer than a task living `ttl_s` its thread index lives."""
    return max(1, min(THREAD_MARGIN_S, ttl_s // 10))


class RedisTaskStore:
    def __init__(self, redis: Redis, *, keys: Keys, ttl_s: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_s = ttl_s
        self._cas = redis.register_script(_CAS_SAVE)
        self._margin_s = thread_margin_s(ttl_s)
        self._refreshed: dict[str, float] = {}
        """Task id -> when this process last pushed out its thread index (monotonic)."""

    async def load(self, task_id: str) -> Task | None:
        data, version = await self._redis.hmget(self._keys.task(task_id), ["data", "version"])
        if data is None:
            return None
        task = Task.model_validate_json(data)
        task.version = int(version or 0)
        return task

    async def save(self, task: Task) -> None:
        payload = task.model_dump_json(exclude={"version"})
        expected = task.version
        ok = await self._cas(keys=[self._keys.task(task.id)], args=[expected, payload, self._ttl_s])
        if not ok:
            raise StaleTask(task.id, task.version)
        task.version = expected + 1
        await self._keep_thread(task)

    async def _keep_thread(self, task: Task) -> None:
        """Keep the thread index alive at least as long as the task just saved."""
        now = time.monotonic()
        if now - self._refreshed.get(task.id, -self._margin_s) < self._margin_s:
            return
        await self._redis.expire(self._keys.thread(task.thread), self._ttl_s + self._margin_s)
        self._refreshed[task.id] = now
        if len(self._refreshed) > _REFRESHED_KEPT:
            self._refreshed = {
                t: at for t, at in self._refreshed.items() if now - at < self._margin_s
            }

    async def claim_thread(self, thread: ThreadRef, task_id: str) -> tuple[str, bool]:
        key = self._keys.thread(thread)
        if await self._redis.set(key, task_id, nx=True, ex=self._ttl_s + self._margin_s):
            return task_id, True
        existing = await self._redis.get(key)
        return (existing.decode() if isinstance(existing, bytes) else str(existing)), False

    async def task_for_thread(self, thread: ThreadRef) -> str | None:
        value = await self._redis.get(self._keys.thread(thread))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def first_delivery(self, event_id: str) -> bool:
        return bool(await self._redis.set(self._keys.event(event_id), 1, nx=True, ex=3600))

    async def forget_delivery(self, event_id: str) -> None:
        await self._redis.delete(self._keys.event(event_id))
