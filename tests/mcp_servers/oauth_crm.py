"""A remote MCP server behind OAuth 2.1, built with the MCP SDK's server auth support.

One process plays both parts: the authorization server (metadata, dynamic client registration,
authorize with a login page, token with PKCE, refresh, revocation) and the resource server (the
MCP endpoint, bearer tokens required, protected-resource metadata). Tests sign in as a named user
by following the authorize URL with `&login=<user>` (or cancel with `&cancel=1`); every tool call records whose token it
carried, and `expire(user)` makes that user's current access token stale on the server's side.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from mcp.types import ToolAnnotations
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from tests.harness.waiting import wait_until_async

T = TypeVar("T")

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)


@dataclass
class Call:
    tool: str
    user: str
    token: str
    arguments: dict[str, Any]
    at: float = field(default_factory=time.time)
    """When the call reached the server (epoch seconds)."""


@dataclass
class CrmState:
    """What the server issued and saw; read by the tests."""

    clients: dict[str, OAuthClientInformationFull] = field(default_factory=dict)
    pending: dict[str, tuple[str, AuthorizationParams]] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    """Every access and refresh token ever issued (the tests look for them everywhere)."""
    calls: list[Call] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    refreshes: int = 0
    refresh_requests: int = 0
    """Refresh grants received, refused ones included (a refresh token works once: rotated)."""
    revoked: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    """Notified on every tool call, so tests wait for calls without polling."""

    def record(self, call: Call) -> None:
        with self.changed:
            self.calls.append(call)
            if call.tool == "add_crm_note":
                self.notes.append((call.user, call.arguments["text"]))
            self.changed.notify_all()

    async def until(self, check: Callable[[], T | None], what: str, timeout: float = 20) -> T:  # noqa: ASYNC109
        """Wait (bounded) until `check()` returns non-None, e.g. until a call arrived."""
        return await wait_until_async(
            self.changed,
            check,
            expected=what,
            dump=lambda: f"calls: {[(c.tool, c.user) for c in self.calls]}",
            timeout=timeout,
        )

    def tokens_of(self, user: str) -> list[str]:
        return [t for t, a in self.access.items() if a.subject == user]

    def revoke(self, user: str) -> None:
        """Every token of `user` stops working (the person must sign in again)."""
        for table in (self.access, self.refresh):
            for token, info in list(table.items()):
                if info.subject == user:
                    del table[token]

    def expire(self, user: str) -> None:
        """The user's access tokens are past their lifetime from now on (refresh still works)."""
        for token, info in self.access.items():
            if info.subject == user:
                self.access[token] = info.model_copy(update={"expires_at": int(time.time()) - 1})


class CrmProvider:
    """An in-memory `OAuthAuthorizationServerProvider` whose login page names the user."""

    def __init__(self, state: CrmState, base_url: str, resource: str) -> None:
        self.state = state
        self.base_url = base_url
        self.resource = resource

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.state.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        self.state.clients[client_info.client_id] = client_info

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        request_id = secrets.token_urlsafe(16)
        self.state.pending[request_id] = (client.client_id or "", params)
        return f"{self.base_url}/login?request={request_id}"

    def login(self, request_id: str, user: str) -> str | None:
        """The person `user` approved: the redirect back to the client, with a code."""
        found = self.state.pending.pop(request_id, None)
        if found is None:
            return None
        client_id, params = found
        code = secrets.token_urlsafe(24)
        self.state.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or ["crm"],
            expires_at=time.time() + 300,
            client_id=client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject=user,
        )
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    def cancel(self, request_id: str) -> str | None:
        """The person pressed Cancel on the login page: the redirect back says access_denied."""
        found = self.state.pending.pop(request_id, None)
        if found is None:
            return None
        _, params = found
        return construct_redirect_uri(
            str(params.redirect_uri), error="access_denied", state=params.state
        )

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        return self.state.codes.get(authorization_code)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        self.state.codes.pop(authorization_code.code, None)
        return self._issue(
            client.client_id or "",
            authorization_code.scopes,
            authorization_code.subject or "",
            authorization_code.resource,
        )

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        self.state.refresh_requests += 1
        return self.state.refresh.get(refresh_token)

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        self.state.refresh.pop(refresh_token.token, None)
        for token, info in list(self.state.access.items()):
            if info.subject == refresh_token.subject:
                del self.state.access[token]
        self.state.refreshes += 1
        return self._issue(
            client.client_id or "",
            scopes or refresh_token.scopes,
            refresh_token.subject or "",
            refresh_token.resource,
        )

    async def load_access_token(self, token: str) -> AccessToken | None:
        info = self.state.access.get(token)
        if info is None or (info.expires_at is not None and info.expires_at < time.time()):
            return None
        return info

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.state.revoked.append(token.token)
        self.state.access.pop(token.token, None)
        self.state.refresh.pop(token.token, None)

    def _issue(
        self, client_id: str, scopes: list[str], user: str, resource: str | None
    ) -> OAuthToken:
        access, refresh = f"crm-at-{secrets.token_hex(16)}", f"crm-rt-{secrets.token_hex(16)}"
        self.state.access[access] = AccessToken(
            token=access,
            client_id=client_id,
            scopes=scopes,
            expires_at=int(time.time()) + 3600,
            resource=resource,
            subject=user,
        )
        self.state.refresh[refresh] = RefreshToken(
            token=refresh, client_id=client_id, scopes=scopes, resource=resource, subject=user
        )
        self.state.issued += [access, refresh]
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=3600,
            refresh_token=refresh,
            scope=" ".join(scopes),
        )


def crm_app(base_url: str, state: CrmState) -> Any:
    """The Starlette app of the CRM server at `base_url` (MCP endpoint at `/mcp`)."""
    resource = f"{base_url}/mcp"
    provider = CrmProvider(state, base_url, resource)
    server = MCPServer(
        "crm",
        version="1.0.0",
        auth_server_provider=provider,
        auth=AuthSettings(
            issuer_url=base_url,  # type: ignore[arg-type]
            resource_server_url=resource,  # type: ignore[arg-type]
            validate_token_resource=False,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=["crm"], default_scopes=["crm"]
            ),
            revocation_options=RevocationOptions(enabled=True),
            required_scopes=["crm"],
        ),
    )

    def caller() -> tuple[str, str]:
        token = get_access_token()
        assert token is not None
        return token.subject or "", token.token

    @server.tool(annotations=READ_ONLY)
    def whoami() -> str:
        """Say whose CRM account this session acts for."""
        user, token = caller()
        state.record(Call("whoami", user, token, {}))
        return f"signed in as {user}"

    @server.tool(annotations=WRITE)
    def add_crm_note(text: str) -> str:
        """Add a note to the CRM (a change in the system of record)."""
        user, token = caller()
        state.record(Call("add_crm_note", user, token, {"text": text}))
        return f"note added by {user}"

    @server.custom_route("/login", methods=["GET"])
    async def login(request: Request) -> Response:
        request_id = request.query_params.get("request", "")
        if request.query_params.get("cancel"):
            target = provider.cancel(request_id)
        else:
            target = provider.login(request_id, request.query_params.get("login", ""))
        if target is None:
            return PlainTextResponse("unknown or used login request", status_code=400)
        return RedirectResponse(target, status_code=302)

    return server.streamable_http_app()
