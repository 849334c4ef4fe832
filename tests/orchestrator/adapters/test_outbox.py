"""The activity outbox against real Redis and PostgreSQL: order kept, every row exactly once.

The database is unreachable here by construction (a URL whose port nothing listens on), then
reachable (the real one): rows written meanwhile wait in Redis and land in order, and a row its
drainer wrote just before dying is not written a second time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from orchestrator.adapters.outbox import Entry, OutboxedActivityLog
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.outbox import RedisOutbox
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine, upgrade
from orchestrator.domain.events import TaskCreated, TaskMessage
from tests.harness.services import free_port


@pytest.fixture
async def sql(postgres_url: str) -> AsyncIterator[SqlActivityLog]:
    engine = make_engine(postgres_url)
    await upgrade(engine)
    yield SqlActivityLog(engine)
    await engine.dispose()


@pytest.fixture
async def unreachable() -> AsyncIterator[SqlActivityLog]:
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    yield SqlActivityLog(engine)
    await engine.dispose()


def messages(task_id: str, count: int) -> list[TaskMessage]:
    return [TaskMessage(task_id=task_id, user="U1", ts=f"1.{i}", chars=i) for i in range(count)]


async def test_rows_written_while_the_database_is_down_land_in_order_once(
    redis: Redis, keys: Keys, sql: SqlActivityLog, unreachable: SqlActivityLog
) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    down = OutboxedActivityLog(unreachable, outbox)
    await down.record(TaskCreated(task_id="t1", user="U1"))
    for event in messages("t1", 5):
        await down.record(event)
    assert await down.pending() == 6
    assert await down.drain() == 0, "still unreachable: nothing is lost"
    assert await down.pending() == 6

    up = OutboxedActivityLog(sql, outbox)
    await up.record(TaskMessage(task_id="t1", user="U1", ts="2.0", chars=9))
    assert await up.pending() == 7, "a new row waits behind the older ones"
    assert await up.drain() == 7
    trail = [r.event for r in await sql.events("t1")]
    assert isinstance(trail[0], TaskCreated)
    assert [e.ts for e in trail[1:] if isinstance(e, TaskMessage)] == [
        "1.0",
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "2.0",
    ]
    await up.record(TaskMessage(task_id="t1", user="U1", ts="3.0", chars=1))
    assert await up.pending() == 0, "an empty outbox: written straight to the database"
    assert len(await sql.events("t1")) == 8


async def test_an_entry_written_just_before_its_drainer_died_is_not_written_again(
    redis: Redis, keys: Keys, sql: SqlActivityLog
) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    entries = [Entry.of_event(event) for event in messages("t2", 3)]
    for entry in entries:
        await outbox.push(entry.model_dump_json())
    # The drainer wrote the head entry, then died before removing it from the outbox.
    await sql.record(entries[0].event(), at=entries[0].at, entry_id=entries[0].id)

    assert await OutboxedActivityLog(sql, outbox).drain() == 3
    trail = [r.event for r in await sql.events("t2")]
    assert [e.ts for e in trail if isinstance(e, TaskMessage)] == ["1.0", "1.1", "1.2"]


async def test_one_process_drains_at_a_time(redis: Redis, keys: Keys, sql: SqlActivityLog) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    await outbox.push(Entry.of_event(messages("t3", 1)[0]).model_dump_json())
    token = await outbox.lock()
    assert token is not None
    assert await OutboxedActivityLog(sql, outbox).drain() == 0, "another process holds the lock"
    await outbox.unlock(token)
    assert await OutboxedActivityLog(sql, outbox).drain() == 1
