"""Parse Events API payloads (messages, mentions, tabs opened, sessions stopped) into commands.

Returns None for events the bot must ignore (its own messages, edits, joins, unowned chatter).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator import SharedFile, StopRequest, ThreadRef, UserMessage

_ANY_USER = r"[UW][A-Z0-9]+"
_IGNORED_SUBTYPES = frozenset(
    {
        "bot_message",
        "message_changed",
        "message_deleted",
        "message_replied",
        "channel_join",
        "channel_leave",
        "thread_broadcast",
    }
)


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str | None = None
    title: str | None = None
    mimetype: str | None = None
    size: int = 0
    url_private_download: str | None = None
    mode: str | None = None


class _MessageEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    channel_type: str | None = None
    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    channel: str
    subtype: str | None = None
    bot_id: str | None = None
    files: list[_File] = []

    def shared_files(self) -> tuple[SharedFile, ...]:
        """Files people shared (not tombstones of deleted ones, not external links)."""
        return tuple(
            SharedFile(
                id=f.id,
                name=f.name or f.title or f.id,
                mimetype=f.mimetype or "application/octet-stream",
                size=max(f.size, 0),
                url=f.url_private_download,
            )
            for f in self.files
            if f.mode not in ("tombstone", "external", "hidden_by_limit")
        )


def mention(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None = None
) -> UserMessage | None:
    """An `app_mention`: opens a task on the message's thread (or the message itself)."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id:
        return None
    if parsed.subtype not in (None, "file_share"):
        return None
    return UserMessage(
        thread=ThreadRef(
            team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts or parsed.ts
        ),
        user_id=parsed.user,
        text=_strip_bot_mentions(parsed.text, bot_user_id),
        message_ts=parsed.ts,
        mention=True,
        files=parsed.shared_files(),
    )


def thread_reply(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None
) -> UserMessage | None:
    """A plain message in a thread; the mention listener handles messages that mention the bot."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id or not parsed.thread_ts:
        return None
    if parsed.subtype in _IGNORED_SUBTYPES or parsed.user == bot_user_id:
        return None
    if bot_user_id and f"<@{bot_user_id}" in parsed.text:
        return None
    return UserMessage(
        thread=ThreadRef(team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts),
        user_id=parsed.user,
        text=parsed.text.strip(),
        message_ts=parsed.ts,
        mention=False,
        files=parsed.shared_files(),
    )


def message(event: dict[str, Any], *, team_id: str, bot_user_id: str | None) -> UserMessage | None:
    """A `message` event: in a direct message (or the assistant's thread there) every message is
    to the bot, like a mention; in a channel only replies in threads the bot owns count."""
    if event.get("channel_type") == "im":
        return direct_message(event, team_id=team_id, bot_user_id=bot_user_id)
    return thread_reply(event, team_id=team_id, bot_user_id=bot_user_id)


def direct_message(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None
) -> UserMessage | None:
    """A person's message in their DM with the bot: opens a task on its thread (or itself)."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id or parsed.user == bot_user_id:
        return None
    if parsed.subtype not in (None, "file_share"):
        return None
    text = _strip_bot_mentions(parsed.text, bot_user_id) if bot_user_id else parsed.text.strip()
    return UserMessage(
        thread=ThreadRef(
            team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts or parsed.ts
        ),
        user_id=parsed.user,
        text=text,
        message_ts=parsed.ts,
        mention=True,
        files=parsed.shared_files(),
    )


def _parse(event: dict[str, Any]) -> _MessageEvent | None:
    try:
        return _MessageEvent.model_validate(event)
    except ValidationError:
        return None


def _strip_bot_mentions(text: str, bot_user_id: str | None) -> str:
    """Drop the bot's own mention; other people's mentions are part of the request."""
    if bot_user_id:
        token = rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>"
        return re.sub(r"\s{2,}", " ", re.sub(token, "", text)).strip()
    # Bot id unknown: the bot is the one addressed at the start or the end of the message.
    token = rf"<@{_ANY_USER}(?:\|[^>]*)?>"
    text = re.sub(rf"^\s*(?:{token}\s*)+", "", text)
    return re.sub(rf"(?:\s*{token})+\s*$", "", text).strip()


class _SessionStopped(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: str
    channel: str
    thread_ts: str


def session_stopped(event: dict[str, Any], *, team_id: str) -> StopRequest | None:
    """Slack's native Stop of an agent session (`agent_session_stopped`): names the thread."""
    try:
        parsed = _SessionStopped.model_validate(event)
    except ValidationError:
        return None
    return StopRequest(
        user_id=parsed.user,
        thread=ThreadRef(team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts),
    )


class _HomeOpened(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: str
    tab: str = "home"
    channel: str | None = None


def home_opened(event: dict[str, Any]) -> str | None:
    """`app_home_opened` on the Home tab: the user whose Home to publish (None for Messages)."""
    try:
        parsed = _HomeOpened.model_validate(event)
    except ValidationError:
        return None
    return parsed.user if parsed.tab == "home" else None


def messages_opened(event: dict[str, Any], *, team_id: str) -> ThreadRef | None:
    """`app_home_opened` on the Messages tab (Slack's agent view): the DM to suggest prompts in,
    as a thread with no ts (the conversation itself)."""
    try:
        parsed = _HomeOpened.model_validate(event)
    except ValidationError:
        return None
    if parsed.tab != "messages" or not parsed.channel:
        return None
    return ThreadRef(team_id=team_id, channel_id=parsed.channel, thread_ts="")


class _AssistantThread(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_id: str
    channel_id: str
    thread_ts: str


class _AssistantThreadStarted(BaseModel):
    model_config = ConfigDict(extra="ignore")
    assistant_thread: _AssistantThread


def assistant_thread_started(event: dict[str, Any], *, team_id: str) -> ThreadRef | None:
    """`assistant_thread_started`: a person opened a new conversation in the assistant."""
    try:
        parsed = _AssistantThreadStarted.model_validate(event)
    except ValidationError:
        return None
    thread = parsed.assistant_thread
    return ThreadRef(team_id=team_id, channel_id=thread.channel_id, thread_ts=thread.thread_ts)
