"""Many workspaces: Slack's OAuth installation (Bolt's flow) and each workspace's own bot token.

On when `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` are set. Then `/slack/install` starts an
installation and `/slack/oauth_redirect` completes it (Bolt's `AsyncOAuthSettings`); installations
and the single-use `state` values live in slack_sdk's async SQLAlchemy stores on `DATABASE_URL`
(its async driver: asyncpg for PostgreSQL, aiosqlite for SQLite), in the library's own tables
(`slack_installations`, `slack_bots`, `slack_oauth_states`), which it creates on start. Events are
authorized by Bolt from the installation of the workspace they come from, and every call the bot
makes for a task uses the bot token of the task's workspace (`BotTokens`). Without them, one
`SLACK_BOT_TOKEN` serves one workspace, as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

DEFAULT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "chat:write",
    "usergroups:read",
    "assistant:write",
    "files:read",
    "files:write",
    "commands",
)
"""The bot scopes an installation asks for: the manifest's (a test keeps them equal)."""
TOKEN_CACHE_S = 60.0
STATE_EXPIRY_S = 600


class BotTokens(Protocol):
    """The bot token to use for a workspace's calls."""

    async def token(self, team_id: str) -> str | None:
        """None when the bot is not installed there (the call then fails as not authed)."""
        ...


class SingleToken:
    """One workspace: `SLACK_BOT_TOKEN` for every call."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    async def token(self, team_id: str) -> str | None:
        return self._token


class InstalledTokens:
    """Many workspaces: the bot token each installation stored, cached for a minute."""

    def __init__(self, store: AsyncSQLAlchemyInstallationStore) -> None:
        self._store = store
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def token(self, team_id: str) -> str | None:
        now = time.monotonic()
        cached = self._cache.get(team_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        # An unknown workspace is looked up again on its next call: it may install meanwhile.
        if token is not None:
            self._cache[team_id] = (now + TOKEN_CACHE_S, token)
        return token


@dataclass
class Installations:
    """The OAuth installation of many workspaces: its stores and Bolt's settings."""

    store: AsyncSQLAlchemyInstallationStore
    states: AsyncSQLAlchemyOAuthStateStore
    settings: AsyncOAuthSettings

    async def create_tables(self) -> None:
        """The library's tables, created if missing (safe to run from every process)."""
        await self.store.create_tables()
        await self.states.create_tables()


def installations(
    engine: AsyncEngine,
    *,
    client_id: str,
    client_secret: str,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    redirect_uri: str | None = None,
    authorization_url: str | None = None,
) -> Installations:
    store = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRY_S, engine=engine)
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes),
        redirect_uri=redirect_uri,
        authorization_url=authorization_url,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=STATE_EXPIRY_S,
    )
    return Installations(store=store, states=states, settings=settings)
