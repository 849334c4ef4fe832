"""The activity log port's SQL implementation, and the database URL / migration plumbing.

Writes are appends (events) or upserts (the task summary row), as Core `INSERT … ON CONFLICT`
statements, many rows per statement and one transaction per `write`; reads serve the CLI only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.postgresql import insert as _pg_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from orchestrator.adapters.sql.records import ActivityRow, TaskRow
from orchestrator.domain.events import ActivityEvent, parse
from orchestrator.domain.task import ThreadRef
from orchestrator.domain.views import HomeTask, Spend
from orchestrator.ports import TaskRecord

MIGRATIONS = Path(__file__).with_name("migrations")


def async_url(url: str) -> str:
    """Map a plain database URL onto the async driver we ship (`sqlite://` → aiosqlite, etc.)."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def make_engine(url: str) -> AsyncEngine:
    return create_async_engine(async_url(url), pool_pre_ping=True)


MIGRATION_LOCK = 0x74776D67
"""PostgreSQL advisory lock key held while migrating: processes started at once on a fresh database
migrate one after another (the others then find the schema current) instead of racing to create
the same tables."""


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the latest migration (idempotent; safe from several processes at once)."""
    from alembic import command
    from alembic.config import Config

    def run(connection: Any) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # released when the transaction ends
            await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        await connection.run_sync(run)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventWrite:
    """One activity row to append, as its columns: an event's envelope and payload, when it
    happened, and the outbox entry it came from."""

    task_id: str
    kind: str
    data: Any
    at: datetime
    agent_id: str | None = None
    correlation_id: str | None = None
    entry_id: str | None = None

    @classmethod
    def of(cls, event: ActivityEvent, at: datetime, entry_id: str | None = None) -> EventWrite:
        return cls(
            task_id=event.task_id,
            kind=event.kind,
            data=event.payload(),
            at=at,
            agent_id=event.agent_id,
            correlation_id=event.correlation_id,
            entry_id=entry_id,
        )


@dataclass(frozen=True, slots=True)
class TaskWrite:
    """One task row to create or update; `created_at` is kept if the row exists."""

    record: TaskRecord
    at: datetime
    created_at: datetime | None = None


class SqlActivityLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        insert = _INSERTS.get(engine.dialect.name, _pg_insert)
        tasks = insert(_TASKS)
        self._upsert_tasks = tasks.on_conflict_do_update(
            index_elements=["id"], set_={name: tasks.excluded[name] for name in _TASK_CHANGES}
        ).returning(_TASKS.c.id)
        self._append_events = (
            insert(_ACTIVITY)
            .on_conflict_do_nothing(index_elements=["entry_id"])
            .returning(_ACTIVITY.c.id)
        )
        """Both statements take many rows at once: SQLAlchemy sends them as one multi-row
        INSERT (its "insertmanyvalues", which needs the RETURNING) from one cached compile."""

    async def upsert_task(self, record: TaskRecord, *, at: datetime | None = None) -> None:
        """Create or update the task's row; `at` is when the change happened (default now)."""
        await self.write(tasks=[TaskWrite(record, at or _now())])

    async def record(
        self, event: ActivityEvent, *, at: datetime | None = None, entry_id: str | None = None
    ) -> None:
        """Append one event; `at` is when it happened (default now). A row with the same
        `entry_id` (an outbox entry written before) is not written again."""
        await self.write(events=[EventWrite.of(event, at or _now(), entry_id)])

    async def write(
        self, *, events: Sequence[EventWrite] = (), tasks: Sequence[TaskWrite] = ()
    ) -> None:
        """Write task rows and events in one transaction, events in the order given.

        Each task appears at most once (the caller keeps the last change of each); an event
        whose `entry_id` is already stored is skipped.
        """
        async with self._engine.begin() as connection:
            if tasks:
                await connection.execute(self._upsert_tasks, [_task_values(t) for t in tasks])
            if events:
                await connection.execute(self._append_events, [_event_values(e) for e in events])

    async def tasks_by_status(self) -> dict[str, int]:
        """How many recorded tasks are in each status (for metrics)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(TaskRow.status, func.count()).group_by(TaskRow.status)
            )
            return {str(status): int(count) for status, count in rows.all()}

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self._sessions() as session:
            await session.execute(text("SELECT 1"))

    async def task(self, task_id: str) -> TaskRow | None:
        async with self._sessions() as session:
            return await session.get(TaskRow, task_id)

    async def tasks(self, *, limit: int = 50) -> list[TaskRow]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TaskRow).order_by(TaskRow.created_at.desc()).limit(limit)
            )
            return list(rows)

    async def tasks_in_channel(self, channel_id: str, *, limit: int = 50) -> list[TaskRow]:
        """The channel's most recent tasks, newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TaskRow)
                .where(TaskRow.channel_id == channel_id)
                .order_by(TaskRow.created_at.desc())
                .limit(limit)
            )
            return list(rows)

    async def recent_tasks(self, team_id: str, requester: str, *, limit: int) -> list[HomeTask]:
        """The person's most recent tasks, newest first (only the columns a Home shows)."""
        query = (
            select(*_HOME_COLUMNS)
            .where(TaskRow.team_id == team_id, TaskRow.requester == requester)
            .order_by(TaskRow.created_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_home_task(*row) for row in rows]

    async def spend_since(
        self,
        since: float,
        *,
        team_id: str,
        channel_id: str | None = None,
        requester: str | None = None,
    ) -> Spend:
        rows = await self.spend(
            since=datetime.fromtimestamp(since, UTC), channel_id=channel_id, requester=requester
        )
        rows = [row for row in rows if row.team_id == team_id]
        return Spend(
            tasks=len(rows),
            input_tokens=sum(
                r.input_tokens + r.cache_write_tokens + r.cache_read_tokens for r in rows
            ),
            cache_read_tokens=sum(r.cache_read_tokens for r in rows),
            output_tokens=sum(r.output_tokens for r in rows),
            cost_usd=sum(r.cost_usd for r in rows),
            unpriced_calls=sum(r.unpriced_calls for r in rows),
        )

    async def tasks_in_thread(self, channel_id: str, thread_ts: str) -> list[TaskRow]:
        """The task of one thread (a thread has at most one per workspace), newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(TaskRow)
                .where(TaskRow.channel_id == channel_id, TaskRow.thread_ts == thread_ts)
                .order_by(TaskRow.created_at.desc())
            )
            return list(rows)

    async def spend(
        self,
        *,
        since: datetime | None = None,
        channel_id: str | None = None,
        requester: str | None = None,
    ) -> list[TaskRow]:
        """Every task started since `since` (in `channel_id`, by `requester`), oldest first."""
        query = select(TaskRow).order_by(TaskRow.created_at, TaskRow.id)
        if since is not None:
            query = query.where(TaskRow.created_at >= since)
        if channel_id is not None:
            query = query.where(TaskRow.channel_id == channel_id)
        if requester is not None:
            query = query.where(TaskRow.requester == requester)
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def events(self, task_id: str) -> list[Recorded]:
        """The task's trail in the order it was written, each row parsed into its typed event."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ActivityRow).where(ActivityRow.task_id == task_id).order_by(ActivityRow.id)
            )
            return [Recorded(at=row.at, event=_event(row)) for row in rows]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One activity row read back: when it was written, and what happened."""

    at: datetime
    event: ActivityEvent


def _event(row: ActivityRow) -> ActivityEvent:
    return parse(
        row.kind,
        row.data,
        task_id=row.task_id,
        agent_id=row.agent_id,
        correlation_id=row.correlation_id,
    )


_HOME_COLUMNS = (
    TaskRow.id,
    TaskRow.team_id,
    TaskRow.channel_id,
    TaskRow.thread_ts,
    TaskRow.status,
    TaskRow.title,
    TaskRow.input_tokens
    + TaskRow.cache_write_tokens
    + TaskRow.cache_read_tokens
    + TaskRow.output_tokens,
    TaskRow.cost_usd,
)


def _home_task(
    task_id: str,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    status: str,
    title: str,
    tokens: int,
    cost_usd: float,
) -> HomeTask:
    return HomeTask(
        task_id=task_id,
        thread=ThreadRef(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts),
        status=status,
        title=title,
        tokens=int(tokens),
        cost_usd=cost_usd,
    )


_TASKS = cast(Table, TaskRow.__table__)
_ACTIVITY = cast(Table, ActivityRow.__table__)
_INSERTS: dict[str, Callable[[Table], Any]] = {"postgresql": _pg_insert, "sqlite": _sqlite_insert}
"""Each dialect's INSERT with `ON CONFLICT` (the two databases we ship drivers for)."""
_TASK_CHANGES = (
    "status",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "unpriced_calls",
    "updated_at",
)
"""What an update of an existing task row changes (where it is and who asked stay)."""


def _task_values(write: TaskWrite) -> dict[str, Any]:
    record, usage = write.record, write.record.usage
    return {
        "id": record.id,
        "team_id": record.thread.team_id,
        "channel_id": record.thread.channel_id,
        "thread_ts": record.thread.thread_ts,
        "requester": record.requester,
        "title": record.title[:200],
        "status": record.status,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cost_usd": usage.cost_usd,
        "unpriced_calls": usage.unpriced_calls,
        "created_at": write.created_at or write.at,
        "updated_at": write.at,
    }


def _event_values(write: EventWrite) -> dict[str, Any]:
    return {
        "task_id": write.task_id,
        "kind": write.kind,
        "agent_id": write.agent_id,
        "correlation_id": write.correlation_id,
        "data": write.data,
        "at": write.at,
        "entry_id": write.entry_id,
    }


def _now() -> datetime:
    return datetime.now(UTC)
