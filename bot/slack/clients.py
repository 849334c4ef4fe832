"""The Web API client for a workspace: the same base URL and retry handlers, its own bot token.

With one workspace every call uses the one client. With many (OAuth installation), each task's
calls go out with the token its workspace installed, found through `BotTokens`; a workspace the
bot is not installed in gets a client without a token, so its calls fail as not authed rather than
borrowing another workspace's token. The retry handlers are shared, so rate-limit waits are
counted once for the process.

The clients also share one HTTP session, opened on the first call in the running event loop: its
connections to Slack are kept alive and reused, where slack_sdk alone opens (and closes) a session
and a TCP connection for every call. `aclose` closes it; calls after that open their own again.
`base` itself is left without it: Bolt copies its client into lazy listeners' requests, and a
live session cannot be copied.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.installations import BotTokens, SingleToken


class SlackClients:
    def __init__(self, base: AsyncWebClient, tokens: BotTokens | None = None) -> None:
        self.base = base
        self._tokens = tokens or SingleToken(base.token)
        self._by_token: dict[str | None, AsyncWebClient] = {}
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @classmethod
    def of(cls, client: AsyncWebClient | SlackClients) -> SlackClients:
        return client if isinstance(client, SlackClients) else cls(client)

    async def token(self, team_id: str) -> str | None:
        return await self._tokens.token(team_id)

    async def for_team(self, team_id: str) -> AsyncWebClient:
        token = await self._tokens.token(team_id)
        client = self._by_token.get(token)
        if client is None:
            client = self._by_token[token] = AsyncWebClient(
                token=token,
                base_url=self.base.base_url,
                retry_handlers=self.base.retry_handlers,
                timeout=self.base.timeout,
            )
        if client.session is None or client.session is self._session:
            client.session = self._shared_session()
        return client

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()

    def _shared_session(self) -> aiohttp.ClientSession | None:
        """The process's session to Slack, or None (slack_sdk's session per call) once closed or
        from another event loop than the one it was opened in."""
        loop = asyncio.get_running_loop()
        if self._closed or (self._session_loop is not None and loop is not self._session_loop):
            return None
        if self._session is None:
            self._session_loop = loop
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.base.timeout),
                connector=aiohttp.TCPConnector(limit=0),  # as many as the calls under way
            )
        return self._session
