"""Sign-in requests in Redis: one hash per `state`, single use, and an index of expiries.

The PKCE values the token exchange needs are sealed (`adapters.sealing`) before they are
stored; no token ever reaches Redis (tokens go to the sealed SQL connection store only).
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.sealing import Sealer
from orchestrator.domain.signin import SignInRequest

KEEP_AFTER_EXPIRY_S = 3600
"""A request is kept this long past its expiry, so a late callback is told it expired."""
ENDED_TTL_S = 24 * 3600
"""How long a cancelled sign-in is remembered for its task's resume."""

# KEYS[1] request hash. ARGV[1] claimer. Returns {data, 1 if first claim} or nil.
_CLAIM = """
local data = redis.call('HGET', KEYS[1], 'data')
if not data then return nil end
local first = redis.call('HSETNX', KEYS[1], 'claimed', ARGV[1])
return {data, first}
"""

# KEYS[1] due zset. ARGV[1] now, ARGV[2] count. Pops every member due by now (up to count).
_POP_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZREM', KEYS[1], id) end
return ids
"""


class RedisSignInStore:
    def __init__(self, redis: Redis, *, keys: Keys, sealer: Sealer) -> None:
        self._redis = redis
        self._keys = keys
        self._sealer = sealer
        self._claim = redis.register_script(_CLAIM)
        self._pop_due = redis.register_script(_POP_DUE)

    async def create(self, state: str, request: SignInRequest) -> None:
        sealed = request.model_copy(update={"pending": self._sealer.seal(request.pending)})
        key = self._keys.sign_in(state)
        ttl = max(1, int(request.expires_at - time.time()) + KEEP_AFTER_EXPIRY_S)
        # The request and the expiry index are in different Redis Cluster slots: one
        # transaction each. A request whose index entry failed still expires with its key.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "data", sealed.model_dump_json())
            pipe.expire(key, ttl)
            await pipe.execute()
        if request.task_id:  # an admin's connection has no task to resume at expiry
            member = f"{request.task_id} {request.call_id}"
            await self._redis.zadd(self._keys.sign_ins_due, {member: request.expires_at})

    async def claim(self, state: str) -> tuple[SignInRequest, bool] | None:
        found = await self._claim(keys=[self._keys.sign_in(state)], args=[str(time.time())])
        if not found:
            return None
        data, first = found
        request = SignInRequest.model_validate_json(data)
        opened = request.model_copy(update={"pending": self._sealer.unseal(request.pending)})
        return opened, bool(int(first))

    async def due(self, now: float, *, count: int = 50) -> list[str]:
        ids = await self._pop_due(keys=[self._keys.sign_ins_due], args=[now, count])
        members = [i.decode() if isinstance(i, bytes) else str(i) for i in ids or []]
        return list(dict.fromkeys(m.split(" ", 1)[0] for m in members))

    async def end(self, task_id: str, call_id: str, reason: str) -> None:
        await self._redis.set(self._keys.sign_in_ended(task_id, call_id), reason, ex=ENDED_TTL_S)

    async def ended(self, task_id: str, call_id: str) -> str | None:
        found = await self._redis.get(self._keys.sign_in_ended(task_id, call_id))
        if found is None:
            return None
        return found.decode() if isinstance(found, bytes) else str(found)
