"""The activity log the engine writes to: SQL while it answers, a durable Redis outbox when not.

A row that cannot be written because the database is unreachable goes to the outbox (a Redis
list, persisted with the rest of the live state), and so does every row after it while the
outbox is not empty, so the log keeps its order; tasks go on meanwhile. `drain` (every worker
runs it on its sweep) writes the outbox to SQL oldest first, in one process at a time. Each
entry carries an id stored with its row, so a row written just before its drainer died is not
written again: every row lands exactly once.

Rows written at the same time in one process share a transaction (`GroupCommit`): a caller
returns once its row is in SQL or in the outbox, rows keep the order they were written in,
and a batch the database cannot take goes to the outbox whole, in that order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError

from orchestrator.adapters.group_commit import GroupCommit
from orchestrator.adapters.redis.outbox import LOCK_TTL_MS, RedisOutbox
from orchestrator.adapters.sql.activity import EventWrite, SqlActivityLog, TaskWrite
from orchestrator.domain.events import ActivityEvent, parse
from orchestrator.domain.task import ThreadRef, Usage
from orchestrator.ports import TaskRecord

log = logging.getLogger(__name__)

SQL_OUTAGES = (OperationalError, InterfaceError, TimeoutError, OSError)
"""What an unreachable database raises (refused, reset, timed out); anything else is a bug."""
WRITE_TIMEOUT_S = 5.0
"""A write that takes longer counts as an outage (its rows go to the outbox)."""
DRAIN_BATCH = 200
"""Outbox entries the drain writes per transaction."""


class Entry(BaseModel):
    """One outbox entry: an activity event or a task record, with when it happened."""

    id: str
    at: datetime
    type: Literal["event", "task"]
    task_id: str
    kind: str = ""
    data: Any = None
    agent_id: str | None = None
    correlation_id: str | None = None
    thread: ThreadRef | None = None
    requester: str = ""
    status: str = ""
    title: str = ""
    usage: Usage | None = None

    @classmethod
    def of_event(cls, event: ActivityEvent) -> Entry:
        return cls(
            id=uuid.uuid4().hex,
            at=datetime.now(UTC),
            type="event",
            task_id=event.task_id,
            kind=event.kind,
            data=event.payload(),
            agent_id=event.agent_id,
            correlation_id=event.correlation_id,
        )

    @classmethod
    def of_task(cls, record: TaskRecord) -> Entry:
        return cls(
            id=uuid.uuid4().hex,
            at=datetime.now(UTC),
            type="task",
            task_id=record.id,
            thread=record.thread,
            requester=record.requester,
            status=record.status,
            title=record.title,
            usage=record.usage,
        )

    def event(self) -> ActivityEvent:
        return parse(
            self.kind,
            self.data,
            task_id=self.task_id,
            agent_id=self.agent_id,
            correlation_id=self.correlation_id,
        )

    def row(self) -> EventWrite:
        """The event's activity row, as stored (its payload is written as it was recorded)."""
        return EventWrite(
            task_id=self.task_id,
            kind=self.kind,
            data=self.data,
            at=self.at,
            agent_id=self.agent_id,
            correlation_id=self.correlation_id,
            entry_id=self.id,
        )

    def record(self) -> TaskRecord:
        assert self.thread is not None and self.usage is not None
        return TaskRecord(
            id=self.task_id,
            thread=self.thread,
            requester=self.requester,
            status=self.status,
            title=self.title,
            usage=self.usage,
        )


class OutboxedActivityLog:
    def __init__(self, sql: SqlActivityLog, outbox: RedisOutbox, *, max_batch: int = 256) -> None:
        self._sql = sql
        self._outbox = outbox
        self._writes = GroupCommit(self._write, max_batch=max_batch)

    async def record(self, event: ActivityEvent) -> None:
        await self._writes.submit(Entry.of_event(event))

    async def upsert_task(self, record: TaskRecord) -> None:
        await self._writes.submit(Entry.of_task(record))

    async def pending(self) -> int:
        """Rows waiting in the outbox for the database."""
        return await self._outbox.length()

    async def set_aside(self) -> int:
        """Rows the database refused for good (kept in Redis for an operator)."""
        return await self._outbox.failed()

    async def _write(self, entries: list[Entry]) -> list[BaseException | None]:
        """Write a batch of rows (to SQL, or to the outbox); one outcome per row."""
        if await self._outbox.length():
            await self._outbox.push(*(entry.model_dump_json() for entry in entries))
            return [None] * len(entries)
        try:
            await self._to_sql(entries)
        except SQL_OUTAGES as exc:
            self._unreachable(exc)
            await self._outbox.push(*(entry.model_dump_json() for entry in entries))
        except Exception:  # one row SQL will never take: the others still land
            return await self._one_by_one(entries)
        return [None] * len(entries)

    async def _one_by_one(self, entries: list[Entry]) -> list[BaseException | None]:
        outcomes: list[BaseException | None] = []
        for at, entry in enumerate(entries):
            try:
                await self._to_sql([entry])
            except SQL_OUTAGES as exc:
                self._unreachable(exc)
                await self._outbox.push(*(later.model_dump_json() for later in entries[at:]))
                return outcomes + [None] * (len(entries) - at)
            except Exception as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    @staticmethod
    def _unreachable(exc: BaseException) -> None:
        log.warning(
            "activity log unreachable (%s); rows kept in the outbox until it answers", _short(exc)
        )

    async def _to_sql(self, entries: list[Entry]) -> None:
        """One transaction: the events in order, each task's last change (created when first seen)."""
        events: list[EventWrite] = []
        tasks: dict[str, TaskWrite] = {}
        for entry in entries:
            if entry.type == "event":
                events.append(entry.row())
                continue
            first = tasks.get(entry.task_id)
            created = first.created_at if first is not None else entry.at
            tasks[entry.task_id] = TaskWrite(entry.record(), entry.at, created_at=created)
        async with asyncio.timeout(WRITE_TIMEOUT_S):
            await self._sql.write(events=events, tasks=list(tasks.values()))

    async def drain(self, *, limit: int = 500, batch: int = DRAIN_BATCH) -> int:
        """Write waiting rows to SQL, oldest first, `batch` at a time; returns how many."""
        if not await self._outbox.length():
            return 0
        token = await self._outbox.lock()
        if token is None:
            return 0  # another process is draining
        written = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_TTL_MS / 2000
        try:
            while written < limit and loop.time() < deadline:
                raws = await self._outbox.peek(min(batch, limit - written))
                if not raws:
                    break
                done = await self._drain_batch(raws)
                written += done
                if done < len(raws):
                    break
        finally:
            await self._outbox.unlock(token)
        if written:
            log.info("wrote %d activity rows from the outbox to the database", written)
        return written

    async def _drain_batch(self, raws: list[str]) -> int:
        """Write the head entries and remove them; how many (fewer while SQL is unreachable)."""
        try:
            await self._to_sql([Entry.model_validate_json(raw) for raw in raws])
        except SQL_OUTAGES:
            return 0
        except Exception:  # a row SQL will never take: find it, one row at a time
            return await self._drain_one_by_one(raws)
        await self._outbox.pop(len(raws))
        return len(raws)

    async def _drain_one_by_one(self, raws: list[str]) -> int:
        for done, raw in enumerate(raws):
            if not await self._drain_one(raw):
                return done
        return len(raws)

    async def _drain_one(self, raw: str) -> bool:
        """Write the head entry and remove it; False when the database is still unreachable."""
        try:
            entry = Entry.model_validate_json(raw)
            await self._to_sql([entry])
        except SQL_OUTAGES:
            return False
        except Exception:  # a row SQL will never take must not block the ones behind it
            log.exception("activity row refused by the database; set aside in Redis")
            await self._outbox.set_aside(raw)
            return True
        await self._outbox.pop()
        return True


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
