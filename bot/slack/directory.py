"""SlackDirectory: the orchestrator's `Directory` port, user-group membership from Slack, cached.

Membership is read with `usergroups.users.list` and kept for a few minutes, so a burst of clicks
costs one Slack call. When Slack can't answer, the group counts as empty: a click is refused
rather than allowed on a guess, and the next click asks again.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.clients import SlackClients

log = logging.getLogger(__name__)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient | SlackClients, *, ttl_s: float = 300.0) -> None:
        self._clients = SlackClients.of(client)
        self._ttl_s = ttl_s
        self._cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def members(self, group_id: str, *, team_id: str) -> frozenset[str]:
        key = (team_id, group_id)
        async with self._locks.setdefault(key, asyncio.Lock()):
            now = asyncio.get_running_loop().time()
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                return cached[1]
            try:
                client = await self._clients.for_team(team_id)
                response = await client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as exc:
                log.warning("could not list members of user group %s: %s", group_id, exc)
                return frozenset()
            users = frozenset(str(u) for u in response.get("users") or [])
            self._cache[key] = (now + self._ttl_s, users)
            return users
