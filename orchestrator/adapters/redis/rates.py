"""Shared rate budgets in Redis: `domain.rates.gcra` as one Lua script, one key per budget.

The script reads the budget's TAT, decides (or books a turn), and stores the new TAT with an
expiry just past it (an idle budget leaves nothing behind). `now` is Redis's own clock (`TIME`),
so processes on different hosts share one timeline; tests pass `now_ms` to run fixed cases. The
decisions of one turn of the event loop go to Redis together (`batch`).
"""

from __future__ import annotations

from redis.asyncio import Redis

from orchestrator.adapters.redis.batch import BatchedScript
from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.rates import Rate

# KEYS[1] budget; ARGV: interval_ms, tolerance_ms, now_ms ("" = Redis TIME), queue_ms.
# Returns {allowed (0|1), wait_ms}: allowed with a wait is a booked turn.
_GCRA = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > tonumber(ARGV[4]) then
  return {0, string.format('%.3f', wait)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return {1, string.format('%.3f', math.max(wait, 0))}
"""


class RedisRateBudget:
    def __init__(self, redis: Redis, *, keys: Keys) -> None:
        self._keys = keys
        self._gcra = BatchedScript(redis, _GCRA)

    async def book(
        self,
        team_id: str,
        method: str,
        rate: Rate,
        *,
        within_s: float,
        channel_id: str = "",
        now_ms: float | None = None,
    ) -> float | None:
        """Book the next free call if it comes within `within_s`: the seconds until it (0.0: at
        once); None, and nothing booked, when it is further off."""
        key = self._keys.rate(team_id, method, channel_id if rate.scope == "channel" else "")
        now = "" if now_ms is None else repr(float(now_ms))
        queue_ms = repr(float(within_s * 1000))
        allowed, wait_ms = await self._gcra(
            keys=[key], args=[repr(rate.interval_ms), repr(rate.tolerance_ms), now, queue_ms]
        )
        return float(wait_ms) / 1000.0 if int(allowed) else None
