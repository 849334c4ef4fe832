"""Client entry point for the MCP conformance suite, built on our connector layer.

The harness runs `python -m tests.conformance.client <server-url>` with
`MCP_CONFORMANCE_SCENARIO` (and, for some auth scenarios, `MCP_CONFORMANCE_CONTEXT`) set, then
judges what its scenario server observed. We connect through `ConnectorPool`, list the tools and
call each one with arguments filled from its schema defaults. Exit code 0 means we finished.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.extensions.client_credentials import (
    ClientCredentialsOAuthProvider,
    PrivateKeyJWTOAuthProvider,
    SignedJWTParameters,
)
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from connectors.elicitation import ElicitationReply, ElicitationRequest
from connectors.pool import ConnectorPool
from connectors.spec import HttpSpec

CIMD_URL = "https://conformance-test.local/client-metadata.json"
REDIRECT_URI = AnyUrl("http://localhost:3030/callback")


class MemoryStorage:
    """Token storage for one run (the harness starts a fresh client per scenario)."""

    def __init__(self, client_info: OAuthClientInformationFull | None = None) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info = client_info

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class HeadlessBrowser:
    """Follows the authorization URL like a user who approves at once, and hands back the code."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None

    async def redirect(self, url: str) -> None:
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            response = await http.get(url)
        location = response.headers.get("location", "")
        query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        self.result = AuthorizationCodeResult(
            code=query.get("code", ""), state=query.get("state"), iss=query.get("iss")
        )

    async def callback(self) -> AuthorizationCodeResult:
        if self.result is None:
            raise RuntimeError("the authorization server did not redirect back")
        return self.result


def _auth(url: str, scenario: str, context: dict[str, Any]) -> Any:
    if not scenario.startswith("auth/"):
        return None
    if scenario == "auth/client-credentials-jwt":
        jwt = SignedJWTParameters(
            issuer=context["client_id"],
            subject=context["client_id"],
            signing_key=context["private_key_pem"],
            signing_algorithm=context.get("signing_algorithm", "ES256"),
        )
        return PrivateKeyJWTOAuthProvider(
            url, MemoryStorage(), context["client_id"], jwt.create_assertion_provider()
        )
    if scenario == "auth/client-credentials-basic":
        return ClientCredentialsOAuthProvider(
            url, MemoryStorage(), context["client_id"], context["client_secret"]
        )
    preregistered = None
    if "client_id" in context:
        preregistered = OAuthClientInformationFull(
            client_id=context["client_id"],
            client_secret=context.get("client_secret"),
            redirect_uris=[REDIRECT_URI],
            token_endpoint_auth_method="client_secret_basic",
        )
    browser = HeadlessBrowser()
    metadata = OAuthClientMetadata(
        client_name="threadwork-conformance",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
    )
    return OAuthClientProvider(
        url,
        metadata,
        MemoryStorage(preregistered),
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
        client_metadata_url=CIMD_URL,
    )


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties") or {}
    return {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}


async def _elicit(request: ElicitationRequest) -> ElicitationReply:
    return ElicitationReply(action="accept", content=_defaults(request.schema))


async def run(url: str, scenario: str, context: dict[str, Any]) -> int:
    spec = HttpSpec(
        name="conformance",
        url=url,
        auth=_auth(url, scenario, context),
        timeout_s=20,
        connect_timeout_s=20,
        mode="legacy",
    )
    async with ConnectorPool([spec], elicitation=_elicit) as pool:
        tools = await pool.list_tools()
        [status] = pool.status()
        if not status.reachable:
            print(status.line(), file=sys.stderr)
            return 1
        for tool in tools:
            result = await pool.call(tool.model_name, _defaults(dict(tool.input_schema)))
            print(f"{tool.name}: {'error' if result.is_error else 'ok'} {result.text[:200]!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m tests.conformance.client <server-url>", file=sys.stderr)
        return 2
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    return asyncio.run(run(args[-1], scenario, context))


if __name__ == "__main__":
    sys.exit(main())
