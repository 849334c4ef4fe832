"""The job queue: a Redis Stream read by one consumer group, shared by every worker process.

A job stays pending until its worker acknowledges it. A live worker keeps its jobs fresh with
`touch` (resets their idle time); a job idle for longer than the reclaim delay belongs to a worker
that died, and `reclaim` hands it to another one (XAUTOCLAIM). A Redis that lost the stream
(restarted without persistence) gets the stream and group back on the next read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.commands import Job
from orchestrator.ports import Delivery


@dataclass(frozen=True, slots=True)
class QueueStats:
    waiting: int
    """Jobs no worker has read yet."""
    in_progress: int
    """Jobs read by a worker and not acknowledged (running, or left by a dead worker)."""
    oldest_age_s: float
    """Age of the oldest unfinished job (0 when there is none)."""


class RedisJobQueue:
    def __init__(self, redis: Redis, *, keys: Keys, max_len: int = 100_000) -> None:
        self._redis = redis
        self._keys = keys
        self._max_len = max_len
        self._ready = False

    async def ensure_group(self) -> None:
        if self._ready:
            return
        try:
            await self._redis.xgroup_create(
                self._keys.jobs, self._keys.group, id="0", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def enqueue(self, job: Job) -> None:
        await self._redis.xadd(
            self._keys.jobs,
            {"job": job.model_dump_json()},
            maxlen=self._max_len,
            approximate=True,
        )

    async def receive(self, consumer: str, *, count: int, block_ms: int) -> list[Delivery]:
        await self.ensure_group()
        try:
            reply: Any = await self._redis.xreadgroup(
                self._keys.group, consumer, {self._keys.jobs: ">"}, count=count, block=block_ms
            )
        except ResponseError as exc:
            self._forget_group(exc)
            return []
        streams = reply.items() if isinstance(reply, dict) else reply or []
        return [d for _, entries in streams for d in _parse(entries)]

    async def reclaim(self, consumer: str, *, idle_ms: int, count: int) -> list[Delivery]:
        await self.ensure_group()
        try:
            reply: Any = await self._redis.xautoclaim(
                self._keys.jobs, self._keys.group, consumer, min_idle_time=idle_ms, count=count
            )
        except ResponseError as exc:
            self._forget_group(exc)
            return []
        # XAUTOCLAIM answers [next cursor, claimed entries, deleted ids].
        return _parse(reply[1])

    def _forget_group(self, exc: ResponseError) -> None:
        """The group is gone (Redis lost its data): create it again on the next call."""
        if "NOGROUP" not in str(exc):
            raise exc
        self._ready = False

    async def touch(self, consumer: str, delivery_id: str) -> None:
        await self._redis.xclaim(
            self._keys.jobs, self._keys.group, consumer, 0, [delivery_id], justid=True
        )

    async def stats(self) -> QueueStats:
        """Depth and lag of the queue (acknowledged jobs are deleted, so what remains is work)."""
        await self.ensure_group()
        groups: Any = await self._redis.xinfo_groups(self._keys.jobs)
        mine: dict[str, Any] = next(
            (g for g in groups if _text(g.get("name")) == self._keys.group), {}
        )
        first: Any = await self._redis.xrange(self._keys.jobs, count=1)
        age = 0.0
        if first:
            millis = int(_text(first[0][0]).split("-", 1)[0])
            age = max(0.0, time.time() - millis / 1000)
        return QueueStats(
            waiting=int(mine.get("lag") or 0),
            in_progress=int(mine.get("pending") or 0),
            oldest_age_s=age,
        )

    async def ack(self, delivery_id: str) -> None:
        await self._redis.xack(self._keys.jobs, self._keys.group, delivery_id)
        await self._redis.xdel(self._keys.jobs, delivery_id)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _parse(entries: Any) -> list[Delivery]:
    out: list[Delivery] = []
    for entry in entries:
        if entry is None:  # deleted while pending
            continue
        entry_id, fields = entry
        raw = fields.get(b"job") or fields.get("job")
        if raw is None:
            continue
        key = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        out.append((key, Job.model_validate_json(raw)))
    return out
