"""`connectors.RefreshLocks` in Redis: one OAuth refresh at a time per account, in every process.

redis-py's own `Lock` (a token under `Keys.refresh_lock`, set NX with an expiry and released only
by its holder). The expiry bounds how long a process that died mid-refresh keeps others waiting;
a waiter that gives up, or a Redis that cannot be reached, refreshes anyway: a refresh that may
race is better than none.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from orchestrator.adapters.redis.keys import Keys
from orchestrator.errors import StorageUnavailable

log = logging.getLogger(__name__)

HOLD_S = 30.0
"""Longest a refresh holds the lock (the token endpoint's own timeout is 20 s)."""
WAIT_S = 25.0
"""Longest a second process waits for the first one's refresh."""


class RedisRefreshLocks:
    def __init__(
        self, redis: Redis, *, keys: Keys, hold_s: float = HOLD_S, wait_s: float = WAIT_S
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._hold_s = hold_s
        self._wait_s = wait_s

    @asynccontextmanager
    async def hold(self, connector: str, team_id: str, user_id: str) -> AsyncIterator[None]:
        name = self._keys.refresh_lock(team_id, user_id, connector)
        lock = Lock(self._redis, name, timeout=self._hold_s, blocking_timeout=self._wait_s)
        try:
            held = await lock.acquire()
            why = "another refresh is still running"
        except (LockError, StorageUnavailable) as exc:
            held, why = False, str(exc)
        if not held:
            log.warning("refreshing %s without its lock: %s", connector, why)
        try:
            yield
        finally:
            if held:
                await _release(lock, connector)


async def _release(lock: Lock, connector: str) -> None:
    try:
        await lock.release()
    except (LockError, StorageUnavailable) as exc:  # expired meanwhile, or Redis went away
        log.warning("the refresh lock of %s was not released: %s", connector, exc)
