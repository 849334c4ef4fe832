"""Fixtures for the orchestrator's Redis-backed parts: a client and this test's key scheme."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def keys(redis_prefix: str) -> Keys:
    return Keys(redis_prefix)
