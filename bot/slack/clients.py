"""The Web API client for a workspace: the same base URL and retry handlers, its own bot token.

With one workspace every call uses the one client. With many (OAuth installation), each task's
calls go out with the token its workspace installed, found through `BotTokens`; a workspace the
bot is not installed in gets a client without a token, so its calls fail as not authed rather than
borrowing another workspace's token. The retry handlers are shared, so rate-limit waits are
counted once for the process.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.installations import BotTokens, SingleToken


class SlackClients:
    def __init__(self, base: AsyncWebClient, tokens: BotTokens | None = None) -> None:
        self.base = base
        self._tokens = tokens or SingleToken(base.token)
        self._by_token: dict[str | None, AsyncWebClient] = {base.token: base}

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
        return client
