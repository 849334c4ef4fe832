"""What people see and Slack holds: thread replies, streamed answers, Slack's shared call budgets,
user groups, the App Home, the assistant pane, a thread's history and its files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from orchestrator.domain.activity import Activity
from orchestrator.domain.commands import SharedFile
from orchestrator.domain.context import ThreadPost
from orchestrator.domain.rates import Rate
from orchestrator.domain.task import ThreadRef
from orchestrator.domain.views import (
    Answer,
    Home,
    Suggestion,
    View,
)


class AnswerStream(Protocol):
    """One answer message in the thread, written while the model writes it. Nothing is sent
    before the first `append`; `finish` or `close` ends it (either may be the only call)."""

    async def append(self, text: str) -> None:
        """More of the answer's text (raw model text: the edge escapes it). Never blocks on Slack."""
        ...

    async def finish(self, answer: Answer) -> None:
        """The turn's final answer: `answer.text` is everything this message should read."""
        ...

    async def close(self) -> None:
        """The turn paused, failed or was stopped: end the message with what it holds."""
        ...


class Notifier(Protocol):
    """Shows views in a Slack thread. Implementations handle rate limits and coalesce edits."""

    def open_answer(self, thread: ThreadRef, recipient: str) -> AnswerStream:
        """A stream for this turn's answer, shown live to `recipient` (the requester)."""
        ...

    async def post(self, thread: ThreadRef, view: View) -> str:
        """Post a new reply in the thread; returns its message id (Slack `ts`)."""
        ...

    async def update(self, thread: ThreadRef, message_id: str, view: View) -> None:
        """Replace a reply's content. May be coalesced with later updates of the same reply."""
        ...

    async def tell(self, thread: ThreadRef, user_id: str, view: View) -> None:
        """Show `view` to one person only (an ephemeral message in the thread)."""
        ...

    async def status(self, thread: ThreadRef, activity: Activity | None) -> None:
        """Show under the thread what the task is doing now; None clears it. Latest wins."""
        ...

    async def flush(self, thread: ThreadRef | None = None) -> None:
        """Wait until the coalesced updates of `thread` (default: of every thread) have been
        delivered."""
        ...


class RateBudget(Protocol):
    """Call budgets shared by every process (e.g. Slack's per-method, per-workspace limits)."""

    async def book(
        self,
        team_id: str,
        method: str,
        rate: Rate,
        *,
        within_s: float,
        channel_id: str = "",
        now_ms: float | None = None,
    ) -> float | None:
        """Book the next free call if it comes within `within_s` and return the seconds until it
        (0.0: at once; the caller then calls without asking again); None, and nothing booked, if
        it is further off (`within_s=0`: take a call only if one is free now)."""
        ...


class Directory(Protocol):
    """Who is in a user group (Slack `usergroups.users.list`); implementations cache."""

    async def members(self, group_id: str, *, team_id: str) -> frozenset[str]:
        """Members of the user group `group_id` of workspace `team_id`."""
        ...


class HomeVisits(Protocol):
    """Who has ever opened their App Home (any process): task changes refresh only their Homes."""

    async def mark(self, team_id: str, user_id: str) -> None: ...

    async def seen(self, team_id: str, user_id: str) -> bool: ...


class HomeTab(Protocol):
    """A person's App Home (Slack `views.publish`). Raises `DeliveryFailed` when refused."""

    async def publish(self, team_id: str, home: Home) -> None: ...


class AssistantPane(Protocol):
    """Slack's assistant container: what it suggests to a person opening a conversation.
    Raises `DeliveryFailed` when refused."""

    async def suggest(self, thread: ThreadRef, suggestions: Sequence[Suggestion]) -> None: ...


class ThreadHistory(Protocol):
    """A Slack thread's earlier messages (`conversations.replies`)."""

    async def earlier(self, thread: ThreadRef, before_ts: str) -> list[ThreadPost]:
        """Messages of `thread` older than `before_ts`, oldest first; [] when unreadable."""
        ...


class ThreadFiles(Protocol):
    """Files in and out of a Slack thread. Raises `FileTransferFailed` with a reason to show."""

    async def download(self, file: SharedFile, dest: Path, *, max_bytes: int, team_id: str) -> int:
        """Save a shared file's content at `dest` (with the bot token of workspace `team_id`);
        returns its size in bytes."""
        ...

    async def upload(self, thread: ThreadRef, path: Path, *, name: str) -> None:
        """Share the file at `path` in the thread, as `name`."""
        ...
