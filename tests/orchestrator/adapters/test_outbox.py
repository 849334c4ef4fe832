"""The activity outbox against real Redis and PostgreSQL: order kept, every row exactly once.

The database is unreachable here by construction (a URL whose port nothing listens on), then
reachable (the real one): rows written meanwhile wait in Redis and land in order, and a row its
drainer wrote just before dying is not written a second time. Rows written at the same time
share transactions, and keep all of that.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import event as sql_events
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.adapters.outbox import Entry, OutboxedActivityLog
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.outbox import RedisOutbox
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine, upgrade
from orchestrator.domain.events import TaskCreated, TaskMessage
from orchestrator.domain.task import ThreadRef, Usage
from orchestrator.ports import TaskRecord
from tests.harness.services import free_port


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(postgres_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sql(engine: AsyncEngine) -> SqlActivityLog:
    return SqlActivityLog(engine)


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


def record(task_id: str, status: str, *, tokens: int = 0) -> TaskRecord:
    return TaskRecord(
        id=task_id,
        thread=ThreadRef(team_id="T1", channel_id="C1", thread_ts="1.0"),
        requester="U1",
        status=status,
        title="a task",
        usage=Usage(input_tokens=tokens),
    )


@contextmanager
def commits(engine: AsyncEngine) -> Iterator[list[None]]:
    """The transactions committed on `engine` meanwhile (one item each)."""
    seen: list[None] = []

    def count(_connection: object) -> None:
        seen.append(None)

    sql_events.listen(engine.sync_engine, "commit", count)
    try:
        yield seen
    finally:
        sql_events.remove(engine.sync_engine, "commit", count)


async def a_task_writing(log: OutboxedActivityLog, task_id: str, rows: int) -> None:
    """One task's writes, one after another as the engine makes them."""
    await log.upsert_task(record(task_id, "running"))
    await log.record(TaskCreated(task_id=task_id, user="U1"))
    for event in messages(task_id, rows - 1):
        await log.record(event)
    await log.upsert_task(record(task_id, "completed", tokens=rows))


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(
    request: pytest.FixtureRequest, engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """The two databases we ship drivers for."""
    if request.param == "postgresql":
        yield engine
        return
    own = make_engine(f"sqlite:///{tmp_path / 'activity.db'}")
    await upgrade(own)
    yield own
    await own.dispose()


async def test_rows_written_at_once_land_in_order_each_once_in_fewer_transactions(
    redis: Redis, keys: Keys, database: AsyncEngine
) -> None:
    sql = SqlActivityLog(database)
    log = OutboxedActivityLog(sql, RedisOutbox(redis, keys=keys))
    tasks = [f"g{i}" for i in range(20)]
    with commits(database) as committed:
        async with asyncio.timeout(30):
            await asyncio.gather(*(a_task_writing(log, task_id, 10) for task_id in tasks))
    assert await log.pending() == 0
    for task_id in tasks:
        trail = [r.event for r in await sql.events(task_id)]
        assert isinstance(trail[0], TaskCreated)
        assert [e.ts for e in trail[1:] if isinstance(e, TaskMessage)] == [
            f"1.{i}" for i in range(9)
        ], "every row once, in the order the task wrote them"
        row = await sql.task(task_id)
        assert row is not None and (row.status, row.input_tokens) == ("completed", 10)
    assert len(committed) <= 240 / 4, f"240 rows in {len(committed)} transactions"


async def test_changes_of_one_task_written_together_leave_the_last(
    redis: Redis, keys: Keys, sql: SqlActivityLog
) -> None:
    log = OutboxedActivityLog(sql, RedisOutbox(redis, keys=keys))
    await log.upsert_task(record("c1", "queued"))
    first = await sql.task("c1")
    assert first is not None
    await asyncio.gather(
        *(log.upsert_task(record("c1", status)) for status in ("running", "waiting", "completed"))
    )
    row = await sql.task("c1")
    assert row is not None and row.status == "completed"
    assert row.created_at == first.created_at, "still the time the task was first recorded"
    assert row.updated_at > first.updated_at


async def test_a_row_the_database_refuses_fails_alone(
    redis: Redis, keys: Keys, sql: SqlActivityLog
) -> None:
    log = OutboxedActivityLog(sql, RedisOutbox(redis, keys=keys))
    refused = TaskMessage(task_id="r1", user="U1", ts="9.9", chars=1, correlation_id="x" * 41)
    outcomes = await asyncio.gather(
        *(log.record(e) for e in messages("r1", 2)),
        log.record(refused),
        *(log.record(e) for e in messages("r2", 2)),
        return_exceptions=True,
    )
    assert [type(o).__name__ for o in outcomes].count("DataError") == 1
    assert outcomes[2] is not None
    assert [o for i, o in enumerate(outcomes) if i != 2] == [None] * 4
    assert len(await sql.events("r1")) == 2
    assert len(await sql.events("r2")) == 2
    assert await log.pending() == 0


async def test_rows_written_at_once_during_an_outage_wait_in_order_and_land_once(
    redis: Redis, keys: Keys, engine: AsyncEngine, unreachable: SqlActivityLog
) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    down = OutboxedActivityLog(unreachable, outbox)
    tasks = [f"o{i}" for i in range(10)]
    async with asyncio.timeout(30):
        await asyncio.gather(*(a_task_writing(down, task_id, 5) for task_id in tasks))
    assert await down.pending() == 70, "every row returned, and waits in the outbox"

    sql = SqlActivityLog(engine)
    up = OutboxedActivityLog(sql, outbox)
    with commits(engine) as committed:
        assert await up.drain(batch=50) == 70
    assert len(committed) == 2, "the drain writes 50 rows per transaction"
    assert await up.drain() == 0
    for task_id in tasks:
        trail = [r.event for r in await sql.events(task_id)]
        assert isinstance(trail[0], TaskCreated)
        assert [e.ts for e in trail[1:] if isinstance(e, TaskMessage)] == [
            f"1.{i}" for i in range(4)
        ]
        row = await sql.task(task_id)
        assert row is not None and (row.status, row.input_tokens) == ("completed", 5)


async def test_a_batch_its_drainer_wrote_just_before_dying_is_not_written_again(
    redis: Redis, keys: Keys, sql: SqlActivityLog
) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    entries = [Entry.of_event(event) for event in messages("d1", 6)]
    await outbox.push(*(entry.model_dump_json() for entry in entries))
    # The drainer wrote the first four entries, then died before removing them.
    await sql.write(events=[e.row() for e in entries[:4]])
    log = OutboxedActivityLog(sql, outbox)

    assert await log.drain(batch=4) == 6
    trail = [r.event for r in await sql.events("d1")]
    assert [e.ts for e in trail if isinstance(e, TaskMessage)] == [f"1.{i}" for i in range(6)]


async def test_a_refused_entry_in_a_drained_batch_is_set_aside_and_the_rest_land(
    redis: Redis, keys: Keys, sql: SqlActivityLog
) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    good = messages("s1", 3)
    refused = TaskMessage(task_id="s1", user="U1", ts="9.9", chars=1, correlation_id="x" * 41)
    entries = [Entry.of_event(e) for e in (good[0], refused, good[1], good[2])]
    await outbox.push(*(entry.model_dump_json() for entry in entries))
    log = OutboxedActivityLog(sql, outbox)
    assert await log.drain() == 4
    assert await log.pending() == 0
    assert await log.set_aside() == 1
    trail = [r.event for r in await sql.events("s1")]
    assert [e.ts for e in trail if isinstance(e, TaskMessage)] == ["1.0", "1.1", "1.2"]


async def test_a_long_outbox_drains_in_order_on_either_database(
    redis: Redis, keys: Keys, database: AsyncEngine
) -> None:
    outbox = RedisOutbox(redis, keys=keys)
    entries = [Entry.of_event(event) for event in messages("l1", 300)]
    entries.append(Entry.of_task(record("l1", "completed", tokens=300)))
    await outbox.push(*(entry.model_dump_json() for entry in entries))
    sql = SqlActivityLog(database)
    assert await OutboxedActivityLog(sql, outbox).drain(batch=301) == 301
    trail = [r.event for r in await sql.events("l1")]
    assert [e.ts for e in trail if isinstance(e, TaskMessage)] == [f"1.{i}" for i in range(300)]
    row = await sql.task("l1")
    assert row is not None and (row.status, row.input_tokens) == ("completed", 300)
