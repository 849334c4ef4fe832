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

log = logging.getLogger(__name__)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, *, ttl_s: float = 300.0) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def members(self, group_id: str) -> frozenset[str]:
        async with self._locks.setdefault(group_id, asyncio.Lock()):
            now = asyncio.get_running_loop().time()
            cached = self._cache.get(group_id)
            if cached is not None and cached[0] > now:
                return cached[1]
            try:
                response = await self._client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as exc:
                log.warning("could not list members of user group %s: %s", group_id, exc)
                return frozenset()
            users = frozenset(str(u) for u in response.get("users") or [])
            self._cache[group_id] = (now + self._ttl_s, users)
            return users
