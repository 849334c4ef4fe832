"""Pytest fixtures over the harness, for a conftest to import (`from tests.harness.fixtures import *`).

Every fixture is function-scoped and cleans up after itself: fakes are stopped, databases dropped,
Redis keys under the test's prefix deleted.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake_anthropic import FakeAnthropic
from .fake_slack import FakeSlack
from .redis_cluster import redis_cluster
from .services import (
    delete_prefix,
    drop_database,
    ensure_redis,
    fresh_postgres_database,
    unique_redis_prefix,
)

__all__ = [
    "fake_anthropic",
    "fake_slack",
    "postgres_url",
    "redis_cluster_url",
    "redis_prefix",
    "redis_url",
]

SINGLE_AND_CLUSTER = pytest.mark.parametrize("redis_url", ["single", "cluster"], indirect=True)
"""Run a test against one Redis and against a three-master Redis Cluster."""


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running FakeSlack; its `url` is the bot's Slack API base URL."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A running FakeAnthropic (replies "ok" to anything unscripted)."""
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """URL of one node of a local three-master Redis Cluster, started for the test session."""
    with redis_cluster() as cluster:
        yield cluster.url


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    """URL of the real local Redis, started if it was not running; with `SINGLE_AND_CLUSTER`,
    also of one node of the local Redis Cluster."""
    if getattr(request, "param", "single") == "cluster":
        return str(request.getfixturevalue("redis_cluster_url"))
    return ensure_redis()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix private to this test; its keys are deleted afterwards."""
    prefix = unique_redis_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    url = fresh_postgres_database()
    yield url
    drop_database(url)
