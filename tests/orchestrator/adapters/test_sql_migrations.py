"""Schema migrations against real PostgreSQL: several processes starting at once on a fresh
database (a listener and its workers, as a deployment starts them) all come up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine, upgrade
from tests.harness.services import drop_database, ensure_postgres, fresh_postgres_database

PROCESSES = 4
BOUND_S = 60.0
"""Unlocked, concurrent migrations can also wait on each other's table locks for good."""


@pytest.fixture
def empty_database() -> Iterator[str]:
    ensure_postgres()
    url = fresh_postgres_database()
    yield url
    drop_database(url)


async def test_processes_migrating_a_fresh_database_at_once_all_start(empty_database: str) -> None:
    engines = [make_engine(empty_database) for _ in range(PROCESSES)]
    try:
        async with asyncio.timeout(BOUND_S):
            migrating = (upgrade(e) for e in engines)
            results = await asyncio.gather(*migrating, return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert await SqlActivityLog(engines[0]).tasks() == []  # the schema is there
    finally:
        await asyncio.gather(*(e.dispose() for e in engines))
