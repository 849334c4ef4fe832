"""The job queue: Redis Streams read by one consumer group, shared by every worker process.

The queue is `keys.job_shards` streams (one on a single Redis; several on a cluster, so the job
traffic spreads over its masters): a job goes to its task's shard, and every worker reads every
shard. A delivery id names its shard (`<shard>/<entry id>`, or the bare entry id with one shard).
A job stays pending until its worker acknowledges it. A live worker keeps its jobs fresh with
`touch` (resets their idle time); a job idle for longer than the reclaim delay belongs to a worker
that died, and `reclaim` hands it to another one (XAUTOCLAIM). A Redis that lost a stream
(restarted without persistence) gets the stream and group back on the next read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.commands import Job
from orchestrator.ports import Delivery

SHARD_WAIT_MS = 50
"""With several shards, how long one receive waits on all of them before it returns empty."""


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
        self._next = 0
        """The shard a receive looks at first (turns, so no shard waits behind another)."""

    async def ensure_group(self) -> None:
        if self._ready:
            return
        for stream in self._keys.job_streams:
            try:
                await self._redis.xgroup_create(stream, self._keys.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._ready = True

    async def enqueue(self, job: Job) -> None:
        await self._redis.xadd(
            self._keys.job_stream(self._keys.job_shard(job.task_id)),
            {"job": job.model_dump_json()},
            maxlen=self._max_len,
            approximate=True,
        )

    async def receive(self, consumer: str, *, count: int, block_ms: int) -> list[Delivery]:
        """Up to `count` new jobs: first whatever every shard has now, taking turns; when none
        has any, wait on all of them at once (one job each at most) for `block_ms`, capped at
        `SHARD_WAIT_MS` so a job on one shard is not held back by the wait on the others."""
        await self.ensure_group()
        shards = self._keys.job_shards
        if shards == 1:
            return await self._read(0, consumer, count=count, block_ms=block_ms)
        first, self._next = self._next, (self._next + 1) % shards
        out: list[Delivery] = []
        for n in range(shards):
            shard = (first + n) % shards
            out += await self._read(shard, consumer, count=count - len(out), block_ms=None)
            if len(out) >= count:
                return out
        if out:
            return out
        wait_ms = min(block_ms, SHARD_WAIT_MS)
        waits = [self._read(s, consumer, count=1, block_ms=wait_ms) for s in range(shards)]
        return [d for found in await asyncio.gather(*waits) for d in found]

    async def _read(
        self, shard: int, consumer: str, *, count: int, block_ms: int | None
    ) -> list[Delivery]:
        stream = self._keys.job_stream(shard)
        try:
            reply: Any = await self._redis.xreadgroup(
                self._keys.group, consumer, {stream: ">"}, count=count, block=block_ms
            )
        except ResponseError as exc:
            self._forget_group(exc)
            return []
        streams = reply.items() if isinstance(reply, dict) else reply or []
        return [d for _, entries in streams for d in self._parse(shard, entries)]

    async def reclaim(self, consumer: str, *, idle_ms: int, count: int) -> list[Delivery]:
        await self.ensure_group()
        out: list[Delivery] = []
        for shard, stream in enumerate(self._keys.job_streams):
            try:
                reply: Any = await self._redis.xautoclaim(
                    stream, self._keys.group, consumer, min_idle_time=idle_ms, count=count
                )
            except ResponseError as exc:
                self._forget_group(exc)
                continue
            # XAUTOCLAIM answers [next cursor, claimed entries, deleted ids].
            out += self._parse(shard, reply[1])
            if len(out) >= count:
                break
        return out

    def _forget_group(self, exc: ResponseError) -> None:
        """The group is gone (Redis lost its data): create it again on the next call."""
        if "NOGROUP" not in str(exc):
            raise exc
        self._ready = False

    async def touch(self, consumer: str, delivery_id: str) -> None:
        await self.touch_all(consumer, [delivery_id])

    async def touch_all(self, consumer: str, delivery_ids: Collection[str]) -> None:
        await self._claim(consumer, delivery_ids, idle_ms=0)

    async def hand_back(
        self, consumer: str, delivery_ids: Collection[str], *, idle_ms: int
    ) -> None:
        await self._claim(consumer, delivery_ids, idle_ms=idle_ms)

    async def _claim(self, consumer: str, delivery_ids: Collection[str], *, idle_ms: int) -> None:
        """Set how long the entries look unattended (XCLAIM's IDLE): 0 keeps them ours, a
        reclaim delay or more lets the next XAUTOCLAIM take them. One call per stream shard."""
        for stream, ids in self._by_stream(delivery_ids).items():
            await self._redis.xclaim(
                stream, self._keys.group, consumer, 0, ids, idle=idle_ms, justid=True
            )

    def _by_stream(self, delivery_ids: Collection[str]) -> dict[str, list[Any]]:
        entries: dict[str, list[Any]] = {}
        for delivery_id in delivery_ids:
            stream, entry = self._locate(delivery_id)
            entries.setdefault(stream, []).append(entry)
        return entries

    async def stats(self) -> QueueStats:
        """Depth and lag of the queue over every shard (acknowledged jobs are deleted, so what
        remains is work)."""
        await self.ensure_group()
        waiting = in_progress = 0
        age = 0.0
        for stream in self._keys.job_streams:
            groups: Any = await self._redis.xinfo_groups(stream)
            mine: dict[str, Any] = next(
                (g for g in groups if _text(g.get("name")) == self._keys.group), {}
            )
            waiting += int(mine.get("lag") or 0)
            in_progress += int(mine.get("pending") or 0)
            first: Any = await self._redis.xrange(stream, count=1)
            if first:
                millis = int(_text(first[0][0]).split("-", 1)[0])
                age = max(age, time.time() - millis / 1000)
        return QueueStats(waiting=waiting, in_progress=in_progress, oldest_age_s=age)

    async def ack(self, delivery_id: str) -> None:
        stream, entry = self._locate(delivery_id)
        async with self._redis.pipeline(transaction=True) as pipe:  # one key: one round trip
            pipe.xack(stream, self._keys.group, entry)
            pipe.xdel(stream, entry)
            await pipe.execute()

    def _locate(self, delivery_id: str) -> tuple[str, str]:
        shard, _, entry = delivery_id.rpartition("/")
        return self._keys.job_stream(int(shard or 0)), entry

    def _parse(self, shard: int, entries: Any) -> list[Delivery]:
        tag = f"{shard}/" if self._keys.job_shards > 1 else ""
        return [(tag + entry, job) for entry, job in _entries(entries)]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entries(entries: Any) -> list[tuple[str, Job]]:
    out: list[tuple[str, Job]] = []
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
