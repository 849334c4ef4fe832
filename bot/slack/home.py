"""SlackHomeTab: the orchestrator's `HomeTab` port, publishing a person's App Home.

Each task and pending approval links to its thread or card; permalinks come from
`chat.getPermalink` and are remembered (a message's link never changes), so a Home that is
republished on every change costs one `views.publish` and only new links.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.clients import SlackClients
from bot.slack.surfaces import render_home
from orchestrator import DeliveryFailed, Home

log = logging.getLogger(__name__)

_REMEMBERED_LINKS = 5000


class SlackHomeTab:
    def __init__(self, client: AsyncWebClient | SlackClients) -> None:
        self._clients = SlackClients.of(client)
        self._links: dict[tuple[str, str], str] = {}

    async def publish(self, team_id: str, home: Home) -> None:
        wanted = {t.task_id: (t.thread.channel_id, t.thread.thread_ts) for t in home.tasks}
        for cp in home.approvals:
            wanted[cp.id] = (cp.thread.channel_id, cp.message_ts or cp.thread.thread_ts)
        client = await self._clients.for_team(team_id)
        found = await asyncio.gather(
            *(self._permalink(client, *where) for where in wanted.values())
        )
        links = {key: link for key, link in zip(wanted, found, strict=True) if link}
        try:
            await client.views_publish(user_id=home.user_id, view=render_home(home, links))
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise DeliveryFailed(f"Slack refused the Home of {home.user_id}: {error}") from exc

    async def _permalink(self, client: AsyncWebClient, channel: str, ts: str) -> str | None:
        key = (channel, ts)
        if key not in self._links:
            try:
                response = await client.chat_getPermalink(channel=channel, message_ts=ts)
            except SlackApiError as exc:
                log.info("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
                return None
            if len(self._links) >= _REMEMBERED_LINKS:
                self._links.clear()
            self._links[key] = str(response["permalink"])
        return self._links[key]
