"""Task signals in Redis: the stop flag a running worker polls, the inbox of steering messages,
and answers pressed on questions (first press wins).

Both are hints that make a running turn react sooner; neither is the durable copy. A stop is also
queued as a job, and a steering message as its ordinary message job, so a signal lost with a
process loses nothing: the job does the same work later, and applying it twice is a no-op.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.commands import UserMessage

SIGNAL_TTL_S = 24 * 3600

# KEYS[1] inbox list. Returns every item and empties the list in one step.
_TAKE_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
"""


class RedisTaskSignals:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._take_all = redis.register_script(_TAKE_ALL)

    async def request_stop(self, task_id: str, by: str) -> None:
        await self._redis.set(self._keys.stop(task_id), by, ex=SIGNAL_TTL_S)

    async def stop_requested(self, task_id: str) -> str | None:
        value = await self._redis.get(self._keys.stop(task_id))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def clear_stop(self, task_id: str) -> None:
        await self._redis.delete(self._keys.stop(task_id))

    async def steer(self, task_id: str, message: UserMessage) -> None:
        key = self._keys.inbox(task_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, message.model_dump_json())
            pipe.expire(key, SIGNAL_TTL_S)
            await pipe.execute()

    async def take_steering(self, task_id: str) -> list[UserMessage]:
        items = await self._take_all(keys=[self._keys.inbox(task_id)])
        return [UserMessage.model_validate_json(item) for item in items or []]

    async def offer_answer(self, task_id: str, call_id: str, text: str, by: str) -> bool:
        value = json.dumps({"text": text, "by": by})
        key = self._keys.answer(task_id, call_id)
        return bool(await self._redis.set(key, value, nx=True, ex=SIGNAL_TTL_S))

    async def answer_for(self, task_id: str, call_id: str) -> tuple[str, str] | None:
        value = await self._redis.get(self._keys.answer(task_id, call_id))
        if value is None:
            return None
        data = json.loads(value)
        return str(data["text"]), str(data["by"])
