"""Real Redis and PostgreSQL for tests: start them when absent, and give each test its own space.

Each test gets a fresh PostgreSQL database and a unique Redis key prefix, so tests can run against
one shared server without seeing each other's data.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import redis
from psycopg import sql

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_ADMIN_URL = f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/postgres"
START_TIMEOUT_S = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers a test starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {START_TIMEOUT_S:g}s after starting")
        time.sleep(0.1)  # polling a service that is booting; there is nothing to wait on


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def ensure_redis(url: str = REDIS_URL) -> str:
    """Make sure Redis answers at `url`, starting a local redis-server if needed; returns `url`."""
    if _redis_answers(url):
        return url
    port = str(urlparse(url).port or 6379)
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", port]
        + ["--save", "", "--appendonly", "no"],
        check=True,
        capture_output=True,
    )
    _wait_until_up(lambda: _redis_answers(url), f"Redis at {url}")
    return url


def _postgres_answers() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def ensure_postgres() -> None:
    """Make sure PostgreSQL answers on 127.0.0.1:5432, starting the local cluster if needed."""
    if _postgres_answers():
        return
    versions = [p.name for p in Path("/etc/postgresql").iterdir()]
    version = sorted(versions, key=_version_key)[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
        check=True,
        capture_output=True,
    )
    _wait_until_up(_postgres_answers, "PostgreSQL on 127.0.0.1:5432")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def postgres_url(name: str) -> str:
    return f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def fresh_postgres_database() -> str:
    """Create an empty database `tw_test_<hex>` and return its `postgresql://` URL."""
    ensure_postgres()
    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return postgres_url(name)


def drop_database(name: str) -> None:
    """Drop a database made by `fresh_postgres_database` (a name or its URL), closing sessions."""
    if "://" in name:
        name = Path(urlparse(name).path).name
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def unique_redis_prefix() -> str:
    """A key prefix no other test uses (pass it as THREADWORK_REDIS_PREFIX)."""
    return f"tw_test_{uuid.uuid4().hex[:12]}"


def _client(url: str) -> redis.Redis | redis.RedisCluster:
    """A client for `url`: one that sees every shard when it names a Redis Cluster node."""
    with contextlib.closing(redis.Redis.from_url(url)) as probe:
        clustered = str(probe.info("cluster").get("cluster_enabled")) == "1"
    return redis.RedisCluster.from_url(url) if clustered else redis.Redis.from_url(url)


def delete_prefix(redis_url: str, prefix: str) -> int:
    """Delete every key starting with `prefix`; returns how many were deleted."""
    pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in prefix) + "*"
    deleted = 0
    client = _client(redis_url)
    with contextlib.closing(client):
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(client.delete(*batch))
                batch.clear()
        if batch:
            deleted += int(client.delete(*batch))
    return deleted
