"""The Redis client every adapter shares: a bounded pool, quick reconnects, one error for outages.

Every command (scripts and pipelines included) that cannot reach Redis raises
`orchestrator.errors.StorageUnavailable`, so the engine and the Slack edge can tell an outage from
a bug without importing redis. A connection found dead after a Redis restart is reopened and the
command retried (twice, with a short back-off) before that error is raised; the pool reconnects by
itself once Redis answers again.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from orchestrator.errors import StorageUnavailable

OUTAGES = (RedisConnectionError, RedisTimeoutError)
CONNECT_TIMEOUT_S = 2.0
"""How long opening one connection may take before the command counts as failed."""


def connect(url: str, *, max_connections: int, wait_s: float) -> Redis:
    """A client on a blocking pool: a burst waits up to `wait_s` for a free connection."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=wait_s,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return GuardedRedis(connection_pool=pool)


class GuardedRedis(Redis):
    """`Redis` whose outages surface as `StorageUnavailable`."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)
        except OUTAGES as exc:
            raise StorageUnavailable(f"Redis: {exc}") from exc

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


class GuardedPipeline(Pipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return await super().execute(raise_on_error)
        except OUTAGES as exc:
            raise StorageUnavailable(f"Redis: {exc}") from exc
