"""Remote MCP behind OAuth through the pool: one session per account, sign-in without a waiting
process, each person's own bearer token, refresh when the server refuses an expired token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from connectors import Caller, ConnectorPool, HttpSpec, SignInRequired
from tests.harness.oauth_browser import query_of, sign_in
from tests.harness.server_thread import ServerThread
from tests.mcp_servers.oauth_crm import CrmState, crm_app

ALICE, BOB = Caller("T1", "UALICE"), Caller("T1", "UBOB")
REDIRECT = "http://127.0.0.1:9/oauth/callback"


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None
        self.metadata: dict[str, Any] | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def forget_tokens(self) -> None:
        self.tokens = None

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info

    async def get_server_metadata(self) -> dict[str, Any] | None:
        return self.metadata

    async def set_server_metadata(self, metadata: dict[str, Any]) -> None:
        self.metadata = metadata


class MemoryAccounts:
    def __init__(self) -> None:
        self.stores: dict[tuple[str, str, str], MemoryStorage] = {}

    def storage(self, connector: str, team_id: str, user_id: str) -> MemoryStorage:
        return self.stores.setdefault((connector, team_id, user_id), MemoryStorage())


@pytest.fixture
def crm() -> Iterator[tuple[str, CrmState]]:
    state = CrmState()
    thread = ServerThread(None, "oauth-crm", lifespan="on")
    base = f"http://127.0.0.1:{thread.reserve()}"
    thread.start(crm_app(base, state))
    yield base, state
    thread.stop()


async def _connect(pool: ConnectorPool, spec: HttpSpec, caller: Caller, user: str) -> None:
    url, pending = await pool.begin_sign_in(spec.label, caller, "state-" + user)
    back = query_of(await sign_in(url, user, follow_callback=False))
    assert back["state"] == "state-" + user
    await pool.finish_sign_in(spec.label, caller, pending, code=back["code"], iss=back.get("iss"))


async def test_each_person_signs_in_and_calls_with_their_own_token(
    crm: tuple[str, CrmState],
) -> None:
    base, state = crm
    spec = HttpSpec(name="crm", namespace="crm", url=f"{base}/mcp", connection="per_user")
    accounts = MemoryAccounts()
    async with ConnectorPool([spec], accounts=accounts, redirect_uri=REDIRECT) as pool:
        assert await pool.list_tools(caller=ALICE) == []
        assert await pool.unconnected(ALICE) == [spec.label]
        with pytest.raises(SignInRequired):
            await pool.call("crm__crm__whoami", {}, caller=ALICE)

        await _connect(pool, spec, ALICE, "alice")
        assert {t.name for t in await pool.list_tools(caller=ALICE)} == {"whoami", "add_crm_note"}
        assert (await pool.call("crm__crm__whoami", {}, caller=ALICE)).text == "signed in as alice"
        with pytest.raises(SignInRequired):
            await pool.call("crm__crm__whoami", {}, caller=BOB)

        await _connect(pool, spec, BOB, "bob")
        assert (await pool.call("crm__crm__whoami", {}, caller=BOB)).text == "signed in as bob"
        by_user = {c.user: c.token for c in state.calls}
        assert by_user["alice"] in state.tokens_of("alice")
        assert by_user["bob"] in state.tokens_of("bob") and by_user["alice"] != by_user["bob"]

        state.expire("alice")
        again = await pool.call("crm__crm__whoami", {}, caller=ALICE)
        assert again.text == "signed in as alice" and not again.is_error
        assert state.refreshes == 1
        assert state.calls[-1].token != by_user["alice"]
        assert state.calls[-1].token in state.tokens_of("alice")


async def test_a_revoked_grant_asks_for_a_new_sign_in(crm: tuple[str, CrmState]) -> None:
    base, state = crm
    spec = HttpSpec(name="crm", namespace="crm", url=f"{base}/mcp", connection="per_user")
    accounts = MemoryAccounts()
    async with ConnectorPool([spec], accounts=accounts, redirect_uri=REDIRECT) as pool:
        await _connect(pool, spec, ALICE, "alice")
        assert not (await pool.call("crm__crm__whoami", {}, caller=ALICE)).is_error
        state.access.clear()
        state.refresh.clear()
        with pytest.raises(SignInRequired):
            await pool.call("crm__crm__whoami", {}, caller=ALICE)
        assert accounts.storage("crm/crm", "T1", "UALICE").tokens is None


async def test_a_token_due_when_loaded_is_refreshed_before_it_is_used(
    crm: tuple[str, CrmState],
) -> None:
    base, state = crm
    spec = HttpSpec(name="crm", namespace="crm", url=f"{base}/mcp", connection="per_user")
    accounts = MemoryAccounts()
    async with ConnectorPool([spec], accounts=accounts, redirect_uri=REDIRECT) as pool:
        await _connect(pool, spec, ALICE, "alice")
    stored = accounts.storage("crm/crm", "T1", "UALICE")
    assert stored.tokens is not None
    stored.tokens = stored.tokens.model_copy(update={"expires_in": 0})  # due, as after a restart
    async with ConnectorPool([spec], accounts=accounts, redirect_uri=REDIRECT) as pool:
        result = await pool.call("crm__crm__whoami", {}, caller=ALICE)
    assert result.text == "signed in as alice"
    assert state.refreshes == 1
    assert state.calls[-1].token in state.tokens_of("alice")
