"""SlackHomeTab: the orchestrator's `HomeTab` port, publishing a person's App Home.

Each task and pending approval links to its thread or card. Links are made from the workspace's
URL (`auth.test`, asked once per workspace; `permalinks.permalink`), so a Home that is republished
on every change costs one `views.publish`; where the workspace URL cannot be had, links come from
`chat.getPermalink` and are remembered (a message's link never changes).
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.clients import SlackClients
from bot.slack.permalinks import permalink
from bot.slack.surfaces import render_home
from orchestrator import DeliveryFailed, Home

log = logging.getLogger(__name__)

_REMEMBERED_LINKS = 5000


class SlackHomeTab:
    def __init__(self, client: AsyncWebClient | SlackClients) -> None:
        self._clients = SlackClients.of(client)
        self._links: dict[tuple[str, str], str] = {}
        self._urls: dict[str, str | None] = {}
        """Workspace id -> its URL (None: `auth.test` gave none; links are asked for instead)."""

    async def publish(self, team_id: str, home: Home) -> None:
        wanted = {
            t.task_id: (t.thread.channel_id, t.thread.thread_ts, t.thread.thread_ts)
            for t in home.tasks
        }
        for cp in home.approvals:
            ts = cp.message_ts or cp.thread.thread_ts
            wanted[cp.id] = (cp.thread.channel_id, ts, cp.thread.thread_ts)
        client = await self._clients.for_team(team_id)
        url = await self._workspace_url(client, team_id) if wanted else None
        if url is not None:
            links = {
                key: permalink(url, channel, ts, thread_ts=thread)
                for key, (channel, ts, thread) in wanted.items()
            }
        else:
            found = await asyncio.gather(
                *(self._permalink(client, channel, ts) for channel, ts, _ in wanted.values())
            )
            links = {key: link for key, link in zip(wanted, found, strict=True) if link}
        try:
            await client.views_publish(user_id=home.user_id, view=render_home(home, links))
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise DeliveryFailed(f"Slack refused the Home of {home.user_id}: {error}") from exc

    async def _workspace_url(self, client: AsyncWebClient, team_id: str) -> str | None:
        if team_id not in self._urls:
            try:
                response = await client.auth_test()
            except SlackApiError as exc:
                log.info("no workspace URL for %s: %s", team_id, exc.response.get("error"))
                return None  # asked again at the next publish
            url = response.get("url")
            self._urls[team_id] = str(url) if url else None
        return self._urls[team_id]

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
