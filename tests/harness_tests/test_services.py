"""The service helpers give each test a private PostgreSQL database and Redis key space."""

from __future__ import annotations

import socket

import psycopg
import pytest
import redis

from tests.harness.services import (
    delete_prefix,
    drop_database,
    ensure_postgres,
    ensure_redis,
    free_port,
    fresh_postgres_database,
    unique_redis_prefix,
)


def test_fresh_database_is_usable_and_dropped() -> None:
    ensure_postgres()
    url = fresh_postgres_database()
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    drop_database(url)
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url).close()


def test_delete_prefix_removes_only_that_prefix() -> None:
    url = ensure_redis()
    mine, other = unique_redis_prefix(), unique_redis_prefix()
    client = redis.Redis.from_url(url)
    try:
        client.set(f"{mine}:a", 1)
        client.set(f"{mine}:b:c", 2)
        client.set(f"{other}:a", 3)
        assert delete_prefix(url, mine) == 2
        assert client.keys(f"{mine}*") == []
        assert client.get(f"{other}:a") == b"3"
    finally:
        delete_prefix(url, other)
        client.close()


def test_fixtures_hand_out_private_spaces(redis_prefix: str, postgres_url: str) -> None:
    assert redis_prefix.startswith("tw_test_")
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (
            postgres_url.rsplit("/", 1)[1],
        )


def test_free_port_can_be_bound() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
