"""Connections: OAuth tokens and client registrations per identity, sealed in SQL.

One row per (workspace, user or shared, connector). Tokens and the client registration are
stored only as Fernet tokens (`adapters.sealing`); what the authorization server publishes
about itself (its metadata) is public and kept in clear so a refresh can find the token endpoint.
`storage(identity)` is the MCP SDK's `TokenStorage` for one identity.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from orchestrator.adapters.sealing import Sealer
from orchestrator.adapters.sql.records import ConnectionRow
from orchestrator.domain.identity import SHARED, Identity
from orchestrator.domain.views import HomeAccount


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What `connections list` shows: never a token."""

    identity: Identity
    connected: bool
    since: datetime
    refreshed: datetime


class SqlConnectionStore:
    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._sealer = sealer

    @property
    def sealer(self) -> Sealer:
        return self._sealer

    def storage(self, identity: Identity) -> SealedTokenStorage:
        return SealedTokenStorage(self, identity)

    async def list(self, *, team_id: str | None = None) -> list[ConnectionInfo]:
        return await list_connections(self._sessions, team_id=team_id)

    async def connected(self, identity: Identity) -> bool:
        row = await self._row(identity)
        return row is not None and row.tokens is not None

    async def disconnect(self, identity: Identity) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(ConnectionRow).where(*_match(identity)))
        return bool(getattr(result, "rowcount", 0))

    async def read(self, identity: Identity, field: str) -> str | None:
        row = await self._row(identity)
        value = getattr(row, field) if row is not None else None
        if value is None:
            return None
        return value if field == "server_metadata" else self._sealer.unseal(value)

    async def write(self, identity: Identity, field: str, value: str) -> None:
        stored = value if field == "server_metadata" else self._sealer.seal(value)
        async with self._sessions.begin() as session:
            row = (await session.scalars(select(ConnectionRow).where(*_match(identity)))).first()
            now = datetime.now(UTC)
            if row is None:
                row = ConnectionRow(
                    team_id=identity.team_id,
                    user_id=identity.user_id,
                    connector=identity.connector,
                    created_at=now,
                )
                session.add(row)
            setattr(row, field, stored)
            row.updated_at = now

    async def clear(self, identity: Identity, field: str) -> None:
        async with self._sessions.begin() as session:
            row = (await session.scalars(select(ConnectionRow).where(*_match(identity)))).first()
            if row is not None:
                setattr(row, field, None)

    def accounts(self) -> SqlAccounts:
        """This store as the connector layer's `Accounts`."""
        return SqlAccounts(self)

    async def _row(self, identity: Identity) -> ConnectionRow | None:
        async with self._sessions() as session:
            return (await session.scalars(select(ConnectionRow).where(*_match(identity)))).first()


async def list_connections(
    sessions: async_sessionmaker[Any], *, team_id: str | None = None
) -> list[ConnectionInfo]:
    """Every connection (or one workspace's), without opening a seal: no key is needed."""
    query = select(ConnectionRow).order_by(
        ConnectionRow.team_id, ConnectionRow.connector, ConnectionRow.user_id
    )
    if team_id is not None:
        query = query.where(ConnectionRow.team_id == team_id)
    async with sessions() as session:
        rows = list(await session.scalars(query))
    return [
        ConnectionInfo(
            identity=Identity(r.team_id, r.user_id, r.connector),
            connected=r.tokens is not None,
            since=r.created_at,
            refreshed=r.updated_at,
        )
        for r in rows
    ]


class SqlAccountList:
    """`ports.AccountList`: a person's own connections, listed without opening a seal."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def accounts_of(self, team_id: str, user_id: str) -> list[HomeAccount]:
        if user_id == SHARED:
            return []
        query = (
            select(
                ConnectionRow.connector,
                ConnectionRow.tokens.is_not(None),
                ConnectionRow.created_at,
            )
            .where(ConnectionRow.team_id == team_id, ConnectionRow.user_id == user_id)
            .order_by(ConnectionRow.connector)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            HomeAccount(connector=connector, connected=bool(connected), since=_epoch(since))
            for connector, connected, since in rows
        ]


def _epoch(moment: datetime) -> float:
    """SQLite hands back naive datetimes; everything written here is UTC."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()


def _match(identity: Identity) -> tuple[Any, ...]:
    return (
        ConnectionRow.team_id == identity.team_id,
        ConnectionRow.user_id == identity.user_id,
        ConnectionRow.connector == identity.connector,
    )


class SealedTokenStorage:
    """The MCP SDK's `TokenStorage` protocol for one identity, backed by the sealed row."""

    def __init__(self, store: SqlConnectionStore, identity: Identity) -> None:
        self._store = store
        self.identity = identity

    async def get_tokens(self) -> OAuthToken | None:
        """The tokens, their `expires_in` counted from now (so a worker that loads them after
        a restart refreshes a token that is due before using it)."""
        raw = await self._store.read(self.identity, "tokens")
        if not raw:
            return None
        data = json.loads(raw)
        if "token" not in data:  # stored before expiry was kept as a moment
            return OAuthToken.model_validate(data)
        tokens = OAuthToken.model_validate(data["token"])
        expires_at = data.get("expires_at")
        if expires_at is None:
            return tokens
        left = max(0, int(expires_at - time.time()))
        return tokens.model_copy(update={"expires_in": left})

    async def set_tokens(self, tokens: OAuthToken) -> None:
        expires_at = time.time() + tokens.expires_in if tokens.expires_in is not None else None
        stored = {"token": tokens.model_dump(mode="json"), "expires_at": expires_at}
        await self._store.write(self.identity, "tokens", json.dumps(stored))

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        raw = await self._store.read(self.identity, "client_info")
        return OAuthClientInformationFull.model_validate_json(raw) if raw else None

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        await self._store.write(self.identity, "client_info", client_info.model_dump_json())

    async def forget_tokens(self) -> None:
        await self._store.clear(self.identity, "tokens")

    async def get_server_metadata(self) -> dict[str, Any] | None:
        raw = await self._store.read(self.identity, "server_metadata")
        return json.loads(raw) if raw else None

    async def set_server_metadata(self, metadata: dict[str, Any]) -> None:
        await self._store.write(self.identity, "server_metadata", json.dumps(metadata))


class SqlAccounts:
    """`connectors.Accounts`: an account's sealed storage by connector label and Slack ids."""

    def __init__(self, store: SqlConnectionStore) -> None:
        self._store = store

    def storage(self, connector: str, team_id: str, user_id: str) -> SealedTokenStorage:
        return self._store.storage(Identity(team_id, user_id, connector))
