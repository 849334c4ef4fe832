"""One OAuth refresh per account at a time, across workers: two workers (two connector pools,
one sealed store in PostgreSQL, the lock in real Redis) use one expired token at the same moment
against a server that rotates refresh tokens and refuses a spent one."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors import Caller, ConnectorPool, HttpSpec
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.refresh_locks import RedisRefreshLocks
from orchestrator.adapters.sealing import Sealer, new_key
from orchestrator.adapters.sql.activity import make_engine, upgrade
from orchestrator.adapters.sql.connections import SqlConnectionStore
from orchestrator.domain.identity import Identity
from tests.harness.oauth_browser import query_of, sign_in
from tests.sign_in_stack import Crm, crm_server

ALICE = Caller("T1", "UALICE")
REDIRECT = "http://127.0.0.1:9/oauth/callback"
WHOAMI = "crm__crm__whoami"


@pytest.fixture
def crm() -> Iterator[Crm]:
    with crm_server() as server:
        yield server


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(text("delete from connections"))
    yield engine
    await engine.dispose()


async def signed_in(store: SqlConnectionStore, spec: HttpSpec) -> None:
    """Alice connects her CRM account, and her access token is then past its lifetime."""
    async with ConnectorPool([spec], accounts=store.accounts(), redirect_uri=REDIRECT) as pool:
        url, pending = await pool.begin_sign_in(spec.label, ALICE, "state-alice")
        back = query_of(await sign_in(url, "alice", follow_callback=False))
        await pool.finish_sign_in(
            spec.label, ALICE, pending, code=back["code"], iss=back.get("iss")
        )
    identity = Identity(ALICE.team_id, ALICE.user_id, spec.label)
    raw = await store.read(identity, "tokens")
    assert raw is not None
    await store.write(
        identity, "tokens", json.dumps({**json.loads(raw), "expires_at": time.time()})
    )


async def test_two_workers_refresh_one_expired_token_once_and_both_calls_succeed(
    crm: Crm, engine: AsyncEngine, redis: Redis, keys: Keys
) -> None:
    store = SqlConnectionStore(engine, Sealer.from_setting(new_key()))
    spec = HttpSpec(name="crm", namespace="crm", url=crm.url, connection="per_user")
    await signed_in(store, spec)
    crm.state.expire("alice")
    first_token = crm.state.issued[0]

    def worker() -> ConnectorPool:
        return ConnectorPool(
            [spec],
            accounts=store.accounts(),
            refresh_locks=RedisRefreshLocks(redis, keys=keys),
            redirect_uri=REDIRECT,
        )

    async with worker() as one, worker() as two:
        results = await asyncio.gather(
            one.call(WHOAMI, {}, caller=ALICE), two.call(WHOAMI, {}, caller=ALICE)
        )

    assert [r.text for r in results] == ["signed in as alice"] * 2
    assert crm.state.refresh_requests == 1 and crm.state.refreshes == 1
    (current,) = crm.state.tokens_of("alice")
    assert current != first_token
    assert [c.token for c in crm.state.calls] == [current, current]
    stored = await store.storage(Identity("T1", "UALICE", spec.label)).get_tokens()
    assert stored is not None and stored.access_token == current, "still connected: no new sign-in"
    assert await redis.keys(keys.refresh_lock("T1", "UALICE", "*")) == [], "the lock is released"
