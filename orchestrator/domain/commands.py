"""What comes into the orchestrator: typed commands built by the Slack edge, and queued jobs.

Commands are frozen values; jobs are what travels on the Redis stream (JSON, parsed with pydantic
when read back).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from orchestrator.domain.checkpoint import Verdict
from orchestrator.domain.task import ThreadRef


class SharedFile(BaseModel):
    """A file someone shared in the thread (Slack's `files[]`), not yet in the workspace."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    mimetype: str = "application/octet-stream"
    size: int = 0
    url: str | None = None
    """`url_private_download`; fetched with the bot token, only from Slack's hosts."""


class UserMessage(BaseModel):
    """A person wrote to the bot: a mention that opens (or continues) a thread, or a thread reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    thread: ThreadRef
    user_id: str
    text: str
    message_ts: str
    mention: bool = True
    files: tuple[SharedFile, ...] = ()


class Click(BaseModel):
    """A person pressed a checkpoint's button (or submitted the reject dialog).

    Only `checkpoint_id` comes from our own payload; everything it claims is checked against the
    stored checkpoint before anything happens.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    checkpoint_id: str
    verdict: Verdict
    user_id: str
    team_id: str
    channel_id: str | None
    """None when pressed in the clicker's App Home rather than on the card."""
    thread_ts: str | None = None
    reason: str | None = None


class StopRequest(BaseModel):
    """A person pressed Stop: the progress message's button (names the task) or Slack's native
    agent-session stop (names only the thread). Who and where are checked before anything stops."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    user_id: str
    thread: ThreadRef
    task_id: str | None = None


class AnswerClick(BaseModel):
    """A person pressed one of a question's option buttons; checked against the task first."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    user_id: str
    thread: ThreadRef
    call_id: str
    option: int


class FeedbackClick(BaseModel):
    """A person pressed 👍/👎 under an answer, or sent the comment dialog that 👎 opens.

    The task id comes from our own button; it is checked against the thread it was pressed in."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    user_id: str
    thread: ThreadRef
    task_id: str
    value: Literal["positive", "negative"]
    message_ts: str | None = None
    comment: str | None = None


class ElicitationClick(BaseModel):
    """A press on a connector's request card: open its form, decline it, or open its link."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    user_id: str
    thread: ThreadRef
    elicitation_id: str
    action: Literal["open", "decline", "link"]


class ElicitationSubmission(BaseModel):
    """A submitted form: each field as Slack sent it (text, a tick, or nothing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    user_id: str
    thread: ThreadRef
    elicitation_id: str
    values: dict[str, str | bool | None]


SlashVerb = Literal["help", "status", "usage", "unknown"]


class SlashCommand(BaseModel):
    """`/threadwork <verb>` typed by a person in a channel (answered to them alone)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    team_id: str
    channel_id: str
    user_id: str
    verb: SlashVerb
    text: str = ""
    """What they typed after the command, for an unknown verb."""


class DisconnectRequest(BaseModel):
    """A person pressed Disconnect on one of their connector accounts (their App Home). Only
    the presser's own account is ever touched, whatever the button names."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    team_id: str
    user_id: str
    connector: str


class Job(BaseModel):
    """One unit of work on the job stream. Running a job twice is harmless (see `worker`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["message", "resume", "stop"]
    task_id: str
    message: UserMessage | None = None
    stopped_by: str | None = None
    """For `stop`: who pressed Stop."""
