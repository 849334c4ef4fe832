"""The sealed connection store on PostgreSQL: the SDK's TokenStorage per identity, tokens only
ever stored encrypted, identities kept apart, list and disconnect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.adapters.sealing import Sealer, new_key
from orchestrator.adapters.sql.activity import make_engine, upgrade
from orchestrator.adapters.sql.connections import SqlAccountList, SqlConnectionStore
from orchestrator.domain.identity import SHARED, Identity

ALICE = Identity("T1", "UALICE", "crm/crm")
BOB = Identity("T1", "UBOB", "crm/crm")
OTHER_TEAM_ALICE = Identity("T2", "UALICE", "crm/crm")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(text("delete from connections"))
    yield engine
    await engine.dispose()


async def test_tokens_round_trip_per_identity_and_are_stored_sealed(engine: AsyncEngine) -> None:
    store = SqlConnectionStore(engine, Sealer.from_setting(new_key()))
    alice = store.storage(ALICE)
    assert await alice.get_tokens() is None and not await store.connected(ALICE)
    await alice.set_tokens(
        OAuthToken(access_token="alice-access-77", refresh_token="alice-refresh-88", expires_in=60)
    )
    await alice.set_client_info(
        OAuthClientInformationFull(
            client_id="cid",
            client_secret="client-secret-99",
            redirect_uris=[AnyUrl("https://x/cb")],
        )
    )
    await store.storage(BOB).set_tokens(OAuthToken(access_token="bob-access-11"))

    tokens = await alice.get_tokens()
    assert tokens is not None and tokens.refresh_token == "alice-refresh-88"
    info = await alice.get_client_info()
    assert info is not None and info.client_secret == "client-secret-99"
    bob = await store.storage(BOB).get_tokens()
    assert bob is not None and bob.access_token == "bob-access-11"
    assert await store.storage(OTHER_TEAM_ALICE).get_tokens() is None

    async with engine.connect() as connection:
        dump = " ".join(
            str(row) for row in (await connection.execute(text("select * from connections")))
        )
    for secret in ("alice-access-77", "alice-refresh-88", "client-secret-99", "bob-access-11"):
        assert secret not in dump


async def test_list_shows_who_without_tokens_and_disconnect_forgets(engine: AsyncEngine) -> None:
    store = SqlConnectionStore(engine, Sealer.from_setting(new_key()))
    await store.storage(ALICE).set_tokens(OAuthToken(access_token="a-1"))
    shared = Identity("T1", SHARED, "wiki/wiki")
    await store.storage(shared).set_tokens(OAuthToken(access_token="s-1"))
    listed = await store.list()
    assert [(c.identity.connector, c.identity.user_id) for c in listed] == [
        ("crm/crm", "UALICE"),
        ("wiki/wiki", SHARED),
    ]
    assert all(c.connected for c in listed)
    assert await store.disconnect(ALICE)
    assert not await store.connected(ALICE)
    assert [c.identity for c in await store.list()] == [shared]


async def test_a_person_of_another_workspace_sees_none_of_its_connections(
    engine: AsyncEngine,
) -> None:
    store = SqlConnectionStore(engine, Sealer.from_setting(new_key()))
    await store.storage(ALICE).set_tokens(OAuthToken(access_token="t1-alice"))
    await store.storage(Identity("T1", SHARED, "wiki/wiki")).set_tokens(
        OAuthToken(access_token="t1-shared")
    )
    accounts = SqlAccountList(engine)
    assert await accounts.accounts_of("T2", "UALICE") == [], "same user id, other workspace"
    assert [a.connector for a in await accounts.accounts_of("T1", "UALICE")] == ["crm/crm"]
    assert await store.list(team_id="T2") == []
    assert {c.identity.team_id for c in await store.list(team_id="T1")} == {"T1"}
    assert await store.storage(Identity("T2", SHARED, "wiki/wiki")).get_tokens() is None


async def test_a_tokens_lifetime_counts_from_when_it_was_stored(engine: AsyncEngine) -> None:
    store = SqlConnectionStore(engine, Sealer.from_setting(new_key()))
    alice = store.storage(ALICE)
    await alice.set_tokens(OAuthToken(access_token="a-1", refresh_token="r-1", expires_in=3600))
    loaded = await alice.get_tokens()
    assert loaded is not None and 3590 <= (loaded.expires_in or 0) <= 3600
    await alice.set_tokens(OAuthToken(access_token="a-2", refresh_token="r-2", expires_in=0))
    due = await alice.get_tokens()
    assert due is not None and due.expires_in == 0 and due.access_token == "a-2"
