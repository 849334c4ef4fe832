"""Task signals in Redis: the stop flag a running worker polls, the inbox of steering messages,
answers pressed on questions (first press, or the question's expiry, wins) and the deadlines of
waiting questions (one sorted set every process's sweep reads).

A stop flag is the task's own key, and its task id also goes into one index of stopped tasks
(`keys.stops`, task id -> when), so a worker learns in one small read which of its running tasks
were stopped, whatever their number, and reads the flags themselves only of those (an entry whose
flag is gone, or older than a flag lives, is dropped).

Both are hints that make a running turn react sooner; neither is the durable copy. A stop is also
queued as a job, and a steering message as its ordinary message job, so a signal lost with a
process loses nothing: the job does the same work later, and applying it twice is a no-op.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.commands import UserMessage
from orchestrator.domain.question import Answered, Expired, Outcome

SIGNAL_TTL_S = 24 * 3600

# KEYS[1] inbox list. Returns every item and empties the list in one step.
_TAKE_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
"""
# KEYS[1] due set; ARGV: now, hold until, count. Returns members due, each pushed to `hold until`.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""


class RedisTaskSignals:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._take_all = redis.register_script(_TAKE_ALL)
        self._claim_due = redis.register_script(_CLAIM_DUE)

    async def request_stop(self, task_id: str, by: str) -> None:
        # Not one transaction: on a cluster the index and the flag live on different shards.
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._keys.stop(task_id), by, ex=SIGNAL_TTL_S)
            pipe.hset(self._keys.stops, task_id, str(time.time()))
            await pipe.execute()

    async def stop_requested(self, task_id: str) -> str | None:
        value = await self._redis.get(self._keys.stop(task_id))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def stops_requested(self, task_ids: Sequence[str]) -> dict[str, str]:
        if not task_ids:
            return {}
        listed: dict[Any, Any] = await self._redis.hgetall(self._keys.stops)
        entries = {_text(task_id): float(at) for task_id, at in listed.items()}
        watched = set(task_ids)
        named = [t for t in entries if t in watched]
        flags = await self.stop_flags(named)
        old = time.time() - SIGNAL_TTL_S
        gone = {t for t in named if t not in flags} | {t for t, at in entries.items() if at < old}
        if gone:
            await self._redis.hdel(self._keys.stops, *gone)
        return flags

    async def stop_flags(self, task_ids: Sequence[str]) -> dict[str, str]:
        # A pipeline, not MGET: on a cluster the tasks' keys live in different slots, and the
        # cluster pipeline sends each shard its own keys at once.
        if not task_ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for task_id in task_ids:
                pipe.get(self._keys.stop(task_id))
            values = await pipe.execute()
        return {
            task_id: _text(value)
            for task_id, value in zip(task_ids, values, strict=True)
            if value is not None
        }

    async def clear_stop(self, task_id: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(self._keys.stop(task_id))
            pipe.hdel(self._keys.stops, task_id)
            await pipe.execute()

    async def steer(self, task_id: str, message: UserMessage) -> None:
        key = self._keys.inbox(task_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, message.model_dump_json())
            pipe.expire(key, SIGNAL_TTL_S)
            await pipe.execute()

    async def take_steering(self, task_id: str) -> list[UserMessage]:
        items = await self._take_all(keys=[self._keys.inbox(task_id)])
        return [UserMessage.model_validate_json(item) for item in items or []]

    async def offer_answer(self, task_id: str, call_id: str, outcome: Outcome) -> bool:
        if isinstance(outcome, Answered):
            value = json.dumps({"kind": "answered", "text": outcome.text, "by": outcome.by})
        else:
            value = json.dumps({"kind": "expired"})
        key = self._keys.answer(task_id, call_id)
        return bool(await self._redis.set(key, value, nx=True, ex=SIGNAL_TTL_S))

    async def answer_for(self, task_id: str, call_id: str) -> Outcome | None:
        value = await self._redis.get(self._keys.answer(task_id, call_id))
        if value is None:
            return None
        data = json.loads(value)
        if data.get("kind") == "expired":
            return Expired()
        return Answered(text=str(data["text"]), by=str(data["by"]))

    async def schedule_question(self, task_id: str, call_id: str, expires_at: float) -> None:
        await self._redis.zadd(self._keys.questions_due, {_member(task_id, call_id): expires_at})

    async def claim_due_questions(self, now: float, *, hold_s: float) -> list[tuple[str, str]]:
        members = await self._claim_due(
            keys=[self._keys.questions_due], args=[now, now + hold_s, 50]
        )
        out = []
        for member in members or []:
            text = member.decode() if isinstance(member, bytes) else str(member)
            task_id, _, call_id = text.partition(" ")
            out.append((task_id, call_id))
        return out

    async def drop_question(self, task_id: str, call_id: str) -> None:
        await self._redis.zrem(self._keys.questions_due, _member(task_id, call_id))


def _member(task_id: str, call_id: str) -> str:
    return f"{task_id} {call_id}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
