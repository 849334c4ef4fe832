"""Ports: the small Protocols behind which every I/O dependency of the orchestrator sits.

Implementations: `store.RedisTaskStore`, `queue.RedisJobQueue`, `model.AnthropicModel`,
`activity.SqlActivityLog`; the `Notifier` is implemented by the Slack edge (`bot.notifier`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from orchestrator.task import ThreadRef, Usage
from orchestrator.views import View


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRequest:
    model: str
    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    max_tokens: int = 8192


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelReply:
    content: list[dict[str, Any]]
    stop_reason: str | None
    usage: Usage
    attempts: int = 1
    request_id: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(
            b["text"] for b in self.content if b.get("type") == "text" and b.get("text")
        ).strip()

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        return [b for b in self.content if b.get("type") == "tool_use"]


class ModelClient(Protocol):
    async def complete(self, request: ModelRequest) -> ModelReply:
        """One model turn. Retries transient failures itself; raises `ModelError` when it gives up."""
        ...


class Notifier(Protocol):
    """Shows views in a Slack thread. Implementations handle rate limits and coalesce edits."""

    async def post(self, thread: ThreadRef, view: View) -> str:
        """Post a new reply in the thread; returns its message id (Slack `ts`)."""
        ...

    async def update(self, thread: ThreadRef, message_id: str, view: View) -> None:
        """Replace a reply's content. May be coalesced with later updates of the same reply."""
        ...

    async def tell(self, thread: ThreadRef, user_id: str, view: View) -> None:
        """Show `view` to one person only (an ephemeral message in the thread)."""
        ...

    async def flush(self) -> None:
        """Wait until every coalesced update has been delivered."""
        ...


class Directory(Protocol):
    """Who is in a user group (Slack `usergroups.users.list`); implementations cache."""

    async def members(self, group_id: str) -> frozenset[str]: ...


ActivityKind = Literal[
    "task.created",
    "task.message",
    "task.completed",
    "task.failed",
    "model.call",
    "model.error",
    "tool.call",
    "checkpoint.created",
    "checkpoint.decided",
    "checkpoint.executed",
    "checkpoint.refused",
    "checkpoint.reminded",
    "checkpoint.unknown",
    "subagent.started",
    "subagent.finished",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityEvent:
    task_id: str
    kind: ActivityKind
    agent_id: str | None = None
    correlation_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


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

    async def record(self, event: ActivityEvent) -> None: ...
