"""Connectors' requests for input in Redis: the request while its tool call waits, and the first
reply (accept, decline or cancel), written by whichever process took the click or the deadline.
Both expire shortly after the call stops waiting."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.elicitation import Elicitation, Reply

GRACE_S = 60


class RedisElicitations:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, elicitation: Elicitation) -> None:
        key = self._keys.elicitation(elicitation.task_id, elicitation.id)
        await self._redis.set(key, elicitation.model_dump_json(), ex=_ttl(elicitation.expires_at))

    async def load(self, task_id: str, elicitation_id: str) -> Elicitation | None:
        value = await self._redis.get(self._keys.elicitation(task_id, elicitation_id))
        return Elicitation.model_validate_json(value) if value is not None else None

    async def offer_reply(self, task_id: str, elicitation_id: str, reply: Reply) -> bool:
        found = await self.load(task_id, elicitation_id)
        ttl = _ttl(found.expires_at) if found is not None else GRACE_S
        key = self._keys.elicited(task_id, elicitation_id)
        return bool(await self._redis.set(key, reply.model_dump_json(), nx=True, ex=ttl))

    async def reply_for(self, task_id: str, elicitation_id: str) -> Reply | None:
        value = await self._redis.get(self._keys.elicited(task_id, elicitation_id))
        return Reply.model_validate_json(value) if value is not None else None


def _ttl(expires_at: float) -> int:
    return max(1, int(expires_at - time.time())) + GRACE_S
