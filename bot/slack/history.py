"""SlackThreadHistory: the orchestrator's `ThreadHistory` port, a thread's earlier messages.

Read once, when a mention partway down a thread opens its task (`conversations.replies`, a few
pages at most); the task keeps what it read, so a busy thread costs one call. When Slack can't
answer, the task starts without the context rather than not at all.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.clients import SlackClients
from orchestrator import ThreadPost, ThreadRef

log = logging.getLogger(__name__)

MAX_PAGES = 3
PAGE_SIZE = 200
_SKIPPED_SUBTYPES = frozenset({"channel_join", "channel_leave", "message_deleted"})


class SlackThreadHistory:
    def __init__(self, client: AsyncWebClient | SlackClients) -> None:
        self._clients = SlackClients.of(client)

    async def earlier(self, thread: ThreadRef, before_ts: str) -> list[ThreadPost]:
        posts: list[ThreadPost] = []
        cursor: str | None = None
        client = await self._clients.for_team(thread.team_id)
        for _ in range(MAX_PAGES):
            try:
                response = await client.conversations_replies(
                    channel=thread.channel_id, ts=thread.thread_ts, limit=PAGE_SIZE, cursor=cursor
                )
            except SlackApiError as exc:
                log.warning("could not read thread %s: %s", thread.thread_ts, exc)
                return posts
            for message in response.get("messages") or []:
                post = _post(message, before_ts)
                if post is not None:
                    posts.append(post)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return posts


def _post(message: dict[str, Any], before_ts: str) -> ThreadPost | None:
    ts = str(message.get("ts") or "")
    if not ts or float(ts) >= float(before_ts) or message.get("subtype") in _SKIPPED_SUBTYPES:
        return None
    author = str(message.get("user") or message.get("bot_id") or "unknown")
    files = tuple(
        str(f.get("name") or f.get("title") or "file")
        for f in message.get("files") or []
        if isinstance(f, dict)
    )
    return ThreadPost(author=author, text=str(message.get("text") or ""), files=files, ts=ts)
