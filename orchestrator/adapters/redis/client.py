"""The Redis client every adapter shares: a bounded pool, quick reconnects, one error for outages.

`connect` asks the server named by the URL whether it is a Redis Cluster node (`INFO cluster` →
`cluster_enabled:1`); a URL naming any one node is enough, and the client then is redis-py's
`RedisCluster`, which routes each command (and each script, by its keys) to the shard owning the
key's slot. Otherwise it is a plain `Redis`. This is the only place that tells the two apart: every
adapter issues the same commands to either (the key scheme in `keys` keeps the keys of one script
in one slot).

Every command (scripts and pipelines included) that cannot reach Redis raises
`orchestrator.errors.StorageUnavailable`, so the engine and the Slack edge can tell an outage from
a bug without importing redis. A connection found dead after a Redis restart is reopened and the
command retried (twice, with a short back-off) before that error is raised; the pool reconnects by
itself once Redis answers again.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

import redis as sync_redis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ClusterDownError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from orchestrator.errors import StorageUnavailable

OUTAGES = (RedisConnectionError, RedisTimeoutError, ClusterDownError)
CONNECT_TIMEOUT_S = 2.0
"""How long opening one connection may take before the command counts as failed."""


def connect(url: str, *, max_connections: int, wait_s: float) -> Redis:
    """A client for `url`: `RedisCluster` when the server is a cluster node, else a `Redis` on a
    blocking pool (a burst waits up to `wait_s` for a free connection).

    The cluster client speaks every command the adapters use, so it is handed to them as `Redis`.
    """
    retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2)
    if is_cluster(url):
        cluster = GuardedRedisCluster.from_url(
            url,
            max_connections=max_connections,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            retry=retry,
        )
        return cast(Redis, cluster)
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=wait_s,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return GuardedRedis(connection_pool=pool)


def is_cluster(url: str) -> bool:
    """Does the server at `url` run in cluster mode? False when it cannot be asked (the process's
    start-up check then reports Redis unreachable).

    Asked once, while the process is wired and before it serves anything, so a short blocking
    call is the simplest way to let the answer pick the client class.
    """
    client = sync_redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S
    )
    with contextlib.closing(client):
        try:
            info: Any = client.info("cluster")
        except RedisError:
            return False
    return str(info.get("cluster_enabled", "0")) == "1"


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


class GuardedRedisCluster(RedisCluster):
    """`RedisCluster` whose outages surface as `StorageUnavailable`. A transaction runs on the
    shard of its keys (the key scheme keeps them in one slot)."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_command(*args, **kwargs)
        except OUTAGES as exc:
            raise StorageUnavailable(f"Redis: {exc}") from exc

    def pipeline(
        self, transaction: Any | None = None, shard_hint: Any | None = None
    ) -> ClusterPipeline:
        # redis-py types `_event_dispatcher` as abstract; its own `pipeline` builds one the same way.
        return GuardedClusterPipeline(self, transaction)  # type: ignore[abstract]


class GuardedClusterPipeline(ClusterPipeline):
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> Any:
        try:
            return await super().execute(raise_on_error, allow_redirections)
        except OUTAGES as exc:
            raise StorageUnavailable(f"Redis: {exc}") from exc
