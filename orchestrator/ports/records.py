"""The activity log (SQL): task records and events, spend, a person's task history and accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from orchestrator.domain.events import ActivityEvent
from orchestrator.domain.task import ThreadRef, Usage
from orchestrator.domain.views import (
    HomeAccount,
    HomeTask,
    Spend,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRecord:
    id: str
    thread: ThreadRef
    requester: str
    status: str
    title: str
    usage: Usage


class ActivityLog(Protocol):
    """Append-only records of what happened (SQL). Never read on the hot path."""

    async def upsert_task(self, record: TaskRecord) -> None: ...

    async def record(self, event: ActivityEvent) -> None:
        """Append one typed event (`orchestrator.domain.events`)."""
        ...


class SpendLedger(Protocol):
    """Money spent on the model per channel and calendar month (UTC): the monthly ceiling's
    running total, kept beside the live state so the hot path never reads the activity log."""

    async def add(self, thread: ThreadRef, month: str, usd: float) -> None: ...

    async def spent(self, thread: ThreadRef, month: str) -> float: ...


class TaskHistory(Protocol):
    """The recorded tasks (SQL), read for a person's Home; never on the hot path."""

    async def recent_tasks(self, team_id: str, requester: str, *, limit: int) -> list[HomeTask]:
        """The tasks `requester` started in `team_id`, newest first."""
        ...

    async def spend_since(
        self,
        since: float,
        *,
        team_id: str,
        channel_id: str | None = None,
        requester: str | None = None,
    ) -> Spend:
        """What the tasks started since `since` cost (in a channel, by a person)."""
        ...


class AccountList(Protocol):
    """Connector accounts people connected (the sealed connections, read without unsealing)."""

    async def accounts_of(self, team_id: str, user_id: str) -> list[HomeAccount]: ...
