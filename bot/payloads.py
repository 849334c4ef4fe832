"""Parse Slack event payloads into orchestrator commands. Untrusted input stops here.

Returns None for events the bot must ignore (its own messages, edits, joins, unowned chatter).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator import ThreadRef, UserMessage

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


class _MessageEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    channel: str
    subtype: str | None = None
    bot_id: str | None = None


def mention(
    event: dict[str, Any], *, team_id: str, bot_user_id: str | None = None
) -> UserMessage | None:
    """An `app_mention`: opens a task on the message's thread (or the message itself)."""
    parsed = _parse(event)
    if parsed is None or parsed.user is None or parsed.bot_id or parsed.subtype:
        return None
    return UserMessage(
        thread=ThreadRef(
            team_id=team_id, channel_id=parsed.channel, thread_ts=parsed.thread_ts or parsed.ts
        ),
        user_id=parsed.user,
        text=_strip_bot_mentions(parsed.text, bot_user_id),
        message_ts=parsed.ts,
        mention=True,
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
