"""OAuth 2.1 for remote MCP servers, split so that nobody waits in a process for a person.

The MCP SDK's `OAuthClientProvider` runs the authorization-code leg inline (it awaits the
browser's redirect inside an HTTP request), which would hold a worker while someone signs in.
So the leg is cut in two, built from the SDK's own helpers (discovery from the 401, RFC 9728 /
RFC 8414 metadata, dynamic client registration, PKCE, RFC 8707 `resource`, `iss` check):

- `begin`: discover, register (or use the pre-registered client), and return the authorize
  URL plus the `Pending` values the caller keeps (sealed) until the redirect comes back;
- `finish`: exchange the code with the verifier and store the tokens.

Every later request goes through the SDK's `OAuthClientProvider` built by `bearer_auth`: it adds
the bearer token and refreshes it when it expires. If the server still refuses, the provider
would start an interactive flow; ours answers that by flagging `needs_sign_in` and failing the
request, and the pool decides (refresh once more, or ask the person).

A refresh is one at a time per account, across processes (`RefreshLocks`): a server that rotates
refresh tokens refuses the second use of one, so whoever waited on the lock takes the tokens the
first stored instead of refreshing again.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx2
from mcp.client.auth import OAuthClientProvider, OAuthFlowError, TokenStorage
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.auth.oauth2 import OAuthContext, PKCEParameters
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    create_client_registration_request,
    create_oauth_metadata_request,
    extract_resource_metadata_from_www_auth,
    extract_scope_from_www_auth,
    get_client_metadata_scopes,
    handle_auth_metadata_response,
    handle_protected_resource_response,
    handle_registration_response,
    handle_token_response_scopes,
    validate_authorization_response_iss,
)
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    ProtectedResourceMetadata,
)
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from pydantic import AnyUrl, ValidationError

from connectors.errors import SignInFailed, SignInRequired
from connectors.spec import HttpSpec

CLIENT_NAME = "Threadwork"
_TIMEOUT_S = 20.0


class AccountStorage(TokenStorage, Protocol):
    """The SDK's `TokenStorage` for one account, plus the servers' public metadata and forget."""

    async def get_server_metadata(self) -> dict[str, Any] | None: ...

    async def set_server_metadata(self, metadata: dict[str, Any]) -> None: ...

    async def forget_tokens(self) -> None: ...


class RefreshLocks(Protocol):
    """One refresh of an account's tokens at a time, across every process."""

    def hold(self, connector: str, team_id: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """Held around "read the stored tokens, refresh if due, store"; `user_id` '' = shared."""
        ...


RefreshLock = Callable[[], AbstractAsyncContextManager[None]]
"""One account's `RefreshLocks.hold`, ready to enter."""


@asynccontextmanager
async def _unlocked() -> AsyncGenerator[None]:
    yield


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a call is made for: a person of a workspace (the pool picks the account by mode)."""

    team_id: str
    user_id: str


class Accounts(Protocol):
    """Where each account's tokens live (sealed, outside this package)."""

    def storage(self, connector: str, team_id: str, user_id: str) -> AccountStorage:
        """`user_id` is '' for the workspace's shared account."""
        ...


@dataclass(frozen=True, slots=True)
class Pending:
    """What `finish` needs after the redirect; the verifier is secret (keep it sealed)."""

    code_verifier: str
    redirect_uri: str
    token_endpoint: str
    resource: str | None
    issuer: str | None

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> Pending:
        return cls(**json.loads(text))


def client_metadata(redirect_uri: str, scope: str | None = None) -> OAuthClientMetadata:
    return OAuthClientMetadata(
        client_name=CLIENT_NAME,
        redirect_uris=[AnyUrl(redirect_uri)],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",  # a public client: PKCE protects the code
        scope=scope,
    )


def preregistered(spec: HttpSpec, redirect_uri: str) -> OAuthClientInformationFull | None:
    """The client the plugin (`oauth.clientId`) or the admin registered ahead, if any."""
    oauth = spec.oauth
    if oauth is None or not oauth.client_id:
        return None
    return OAuthClientInformationFull(
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        redirect_uris=[AnyUrl(redirect_uri)],
        token_endpoint_auth_method="client_secret_post" if oauth.client_secret else "none",
    )


async def begin(
    spec: HttpSpec, storage: AccountStorage, *, redirect_uri: str, state: str
) -> tuple[str, Pending]:
    """The authorize URL a person opens to connect `spec`, and what `finish` will need."""
    async with httpx2.AsyncClient(timeout=_TIMEOUT_S, headers=dict(spec.headers)) as http:
        try:
            challenge = await http.post(
                spec.url, json={"jsonrpc": "2.0", "id": 0, "method": "ping"}
            )
            prm = await _resource_metadata(http, spec.url, challenge)
            auth_server = str(prm.authorization_servers[0]) if prm is not None else None
            asm = await _server_metadata(http, spec.url, auth_server)
            scope = get_client_metadata_scopes(
                extract_scope_from_www_auth(challenge), prm, asm, ["authorization_code"]
            )
            if spec.oauth is not None and spec.oauth.scope:
                scope = spec.oauth.scope
            client = await _client(http, spec, storage, asm, redirect_uri, scope)
        except (httpx2.HTTPError, ValidationError, ValueError) as exc:
            raise SignInFailed(
                f"cannot start the sign-in to '{spec.label}': {exc}", server=spec.label
            ) from exc
    await storage.set_server_metadata(
        {
            "prm": prm.model_dump(mode="json") if prm else None,
            "asm": asm.model_dump(mode="json") if asm else None,
        }
    )
    pkce = PKCEParameters.generate()
    resource = _resource(spec.url, prm)
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce.code_challenge,
        "code_challenge_method": "S256",
        "resource": resource,
    }
    if scope:
        params["scope"] = scope
    base = spec.url.split("/", 3)
    origin = "/".join(base[:3])
    authorize = str(asm.authorization_endpoint) if asm else f"{origin}/authorize"
    token = str(asm.token_endpoint) if asm else f"{origin}/token"
    url = f"{authorize}?{urlencode({k: v for k, v in params.items() if v})}"
    pending = Pending(
        code_verifier=pkce.code_verifier,
        redirect_uri=redirect_uri,
        token_endpoint=token,
        resource=resource,
        issuer=str(asm.issuer) if asm else None,
    )
    return url, pending


async def finish(
    spec: HttpSpec, storage: AccountStorage, pending: Pending, *, code: str, iss: str | None
) -> None:
    """Exchange the code for tokens and store them; `SignInFailed` says why it did not work."""
    client = await storage.get_client_info()
    if client is None:
        raise SignInFailed(f"no client registration for '{spec.label}'", server=spec.label)
    stored = await storage.get_server_metadata() or {}
    asm = OAuthMetadata.model_validate(stored["asm"]) if stored.get("asm") else None
    try:
        validate_authorization_response_iss(iss, asm)
    except OAuthFlowError as exc:
        raise SignInFailed(
            f"the sign-in answer is not from {spec.label}'s server: {exc}", server=spec.label
        ) from exc
    context = OAuthContext(
        server_url=spec.url,
        client_metadata=client_metadata(pending.redirect_uri),
        storage=storage,
        redirect_handler=None,
        callback_handler=None,
        client_info=client,
    )
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": pending.redirect_uri,
        "client_id": client.client_id or "",
        "code_verifier": pending.code_verifier,
    }
    if pending.resource:
        data["resource"] = pending.resource
    data, headers = context.prepare_token_auth(data, {})
    async with httpx2.AsyncClient(timeout=_TIMEOUT_S) as http:
        try:
            response = await http.post(pending.token_endpoint, data=data, headers=headers)
        except httpx2.HTTPError as exc:
            raise SignInFailed(f"the token endpoint did not answer: {exc}") from exc
        if response.status_code not in (200, 201):
            raise SignInFailed(
                f"the server refused the sign-in code (HTTP {response.status_code})",
                server=spec.label,
            )
        tokens = await handle_token_response_scopes(response)
    await storage.set_tokens(tokens)


class BearerAuth(OAuthClientProvider):
    """The SDK's provider for requests after sign-in; never opens an interactive flow."""

    needs_sign_in = False
    refresh_lock: RefreshLock | None = None
    """Held around a refresh (None: this process alone refreshes the account)."""

    async def _initialize(self) -> None:
        """Load the stored tokens and count their lifetime from now: one that is due is
        refreshed before the first request (the SDK alone would trust it until a 401)."""
        await super()._initialize()
        tokens = self.context.current_tokens
        if tokens is not None and tokens.expires_in is not None:
            self.context.update_token_expiry(tokens)

    async def _auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        """The SDK's flow, with a due refresh made first under the account's lock."""
        async with self.context.lock:
            if not self._initialized:
                await self._initialize()
            if self._due():
                async with (self.refresh_lock or _unlocked)():
                    await self._adopt_stored()
                    if self._due():
                        response = yield await self._refresh_token()
                        # On failure the tokens are cleared: the request goes without one, the
                        # server refuses it, and the pool decides (as the SDK's own flow would).
                        await self._handle_refresh_response(response)
        flow = super()._auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                outgoing = await flow.asend((yield outgoing))
        except StopAsyncIteration:
            return

    def _due(self) -> bool:
        return not self.context.is_token_valid() and self.context.can_refresh_token()

    async def _adopt_stored(self) -> None:
        """Take the stored tokens if another task or process changed them (it refreshed)."""
        stored = await self.context.storage.get_tokens()
        held = self.context.current_tokens
        if stored is not None and (held is None or stored.access_token != held.access_token):
            self.context.current_tokens = stored
            self.context.update_token_expiry(stored)

    def force_refresh(self) -> None:
        """Treat the current access token as expired, so the next request refreshes it."""
        self.needs_sign_in = False
        self.context.token_expiry_time = 1.0  # long past (0 would mean "no expiry")


async def bearer_auth(
    spec: HttpSpec,
    storage: AccountStorage,
    redirect_uri: str,
    refresh_lock: RefreshLock | None = None,
) -> httpx2.Auth:
    """The `httpx2.Auth` for one account's session with `spec`; its refreshes hold
    `refresh_lock` (none: one process alone refreshes this account)."""
    oauth = spec.oauth
    if oauth is not None and oauth.grant == "client_credentials":
        return ClientCredentialsOAuthProvider(
            spec.url,
            storage,
            oauth.client_id or "",
            oauth.client_secret or "",
            scope=oauth.scope,
        )
    provider: BearerAuth

    async def refuse(url: str) -> None:
        provider.needs_sign_in = True
        raise SignInRequired(
            f"'{spec.label}' needs the person to connect their account again", server=spec.label
        )

    async def never() -> AuthorizationCodeResult:  # pragma: no cover - refuse() raises first
        raise SignInRequired(f"'{spec.label}' needs a sign-in", server=spec.label)

    provider = BearerAuth(
        spec.url,
        client_metadata(redirect_uri),
        storage,
        redirect_handler=refuse,
        callback_handler=never,
    )
    provider.refresh_lock = refresh_lock
    stored = await storage.get_server_metadata() or {}
    if stored.get("prm"):
        provider.context.protected_resource_metadata = ProtectedResourceMetadata.model_validate(
            stored["prm"]
        )
        servers = provider.context.protected_resource_metadata.authorization_servers
        provider.context.auth_server_url = str(servers[0]) if servers else None
    if stored.get("asm"):
        provider.context.oauth_metadata = OAuthMetadata.model_validate(stored["asm"])
    return provider


async def revoke(storage: AccountStorage) -> bool:
    """Revoke the account's tokens at the authorization server (RFC 7009), refresh token first;
    True when the server offers revocation and accepted it. The caller forgets them either way."""
    tokens = await storage.get_tokens()
    stored = await storage.get_server_metadata() or {}
    asm = OAuthMetadata.model_validate(stored["asm"]) if stored.get("asm") else None
    endpoint = asm.revocation_endpoint if asm is not None else None
    client = await storage.get_client_info()
    if tokens is None or endpoint is None or client is None:
        return False
    revoked = True
    async with httpx2.AsyncClient(timeout=_TIMEOUT_S) as http:
        for token, hint in (
            (tokens.refresh_token, "refresh_token"),
            (tokens.access_token, "access_token"),
        ):
            if not token:
                continue
            # A public client's secret is sent empty: the MCP SDK's server requires the field.
            data = {
                "token": token,
                "token_type_hint": hint,
                "client_id": client.client_id or "",
                "client_secret": client.client_secret or "",
            }
            try:
                response = await http.post(str(endpoint), data=data)
            except httpx2.HTTPError:
                revoked = False
                continue
            revoked = revoked and response.status_code == 200
    return revoked


def new_state() -> str:
    """An opaque, unguessable `state` for one sign-in."""
    return secrets.token_urlsafe(32)


async def _resource_metadata(
    http: httpx2.AsyncClient, url: str, challenge: httpx2.Response
) -> ProtectedResourceMetadata | None:
    hinted = extract_resource_metadata_from_www_auth(challenge)
    for candidate in build_protected_resource_metadata_discovery_urls(hinted, url):
        response = await http.send(create_oauth_metadata_request(candidate))
        prm = await handle_protected_resource_response(response)
        if prm is not None:
            return prm
    return None


async def _server_metadata(
    http: httpx2.AsyncClient, url: str, auth_server: str | None
) -> OAuthMetadata | None:
    for candidate in build_oauth_authorization_server_metadata_discovery_urls(auth_server, url):
        response = await http.send(create_oauth_metadata_request(candidate))
        ok, asm = await handle_auth_metadata_response(response)
        if not ok:
            break
        if asm is not None:
            return asm
    return None


async def _client(
    http: httpx2.AsyncClient,
    spec: HttpSpec,
    storage: AccountStorage,
    asm: OAuthMetadata | None,
    redirect_uri: str,
    scope: str | None,
) -> OAuthClientInformationFull:
    known = preregistered(spec, redirect_uri) or await storage.get_client_info()
    if known is None:
        origin = "/".join(spec.url.split("/", 3)[:3])
        request = create_client_registration_request(
            asm, client_metadata(redirect_uri, scope), origin
        )
        known = await handle_registration_response(await http.send(request))
    await storage.set_client_info(known)
    return known


def _resource(url: str, prm: ProtectedResourceMetadata | None) -> str:
    resource = resource_url_from_server_url(url)
    if prm is not None and prm.resource:
        advertised = str(prm.resource)
        if check_resource_allowed(requested_resource=resource, configured_resource=advertised):
            return advertised
    return resource
