"""Turn plugin server declarations plus the admin's connector overrides into connector specs.

The one place that knows both `plugins` and `connectors`. Credentials are resolved here, from the
environment mapping handed in by the composition root (only what the admin passes through), and
every value that came from a `${VAR}` reference is registered as a secret so the connector layer
redacts it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from connectors import HttpSpec, OAuthClient, ServerSpec, StdioSpec
from connectors.spec import DEFAULT_CALL_TIMEOUT_S
from plugins import AdminConfig, PluginRegistry, ResolvedServer, ServerConfigError, resolve_server

log = logging.getLogger(__name__)

_PYTHON_NAMES = frozenset({"python", "python3"})


@dataclass(frozen=True, slots=True)
class Unavailable:
    server: str
    reason: str


def server_specs(
    registry: PluginRegistry, config: AdminConfig, env: Mapping[str, str]
) -> tuple[list[ServerSpec], list[Unavailable]]:
    """Specs for every server of every installed plugin; unusable ones are listed with why."""
    specs: list[ServerSpec] = []
    skipped: list[Unavailable] = []
    for plugin in registry.plugins.values():
        for name, decl in sorted(plugin.mcp_servers.items()):
            override = config.connector_for(plugin.name, name)
            try:
                resolved = resolve_server(decl, override, env)
            except ServerConfigError as exc:
                skipped.append(Unavailable(f"{plugin.name}/{name}", str(exc)))
                continue
            specs.append(_spec(plugin.name, resolved, _secrets(resolved)))
    return specs, skipped


def _spec(namespace: str, server: ResolvedServer, secrets: frozenset[str]) -> ServerSpec:
    timeout_s = server.timeout or DEFAULT_CALL_TIMEOUT_S
    if server.transport == "stdio":
        command = server.command or ""
        # `python` in a plugin means "the interpreter Threadwork runs on" (same packages).
        if command in _PYTHON_NAMES:
            command = sys.executable
        return StdioSpec(
            name=server.name,
            namespace=namespace,
            command=command,
            args=server.args,
            env=dict(server.env),
            cwd=server.cwd,
            secrets=secrets,
            timeout_s=timeout_s,
            tools=server.tools,
        )
    oauth = server.oauth
    return HttpSpec(
        name=server.name,
        namespace=namespace,
        url=server.url or "",
        headers=dict(server.headers),
        secrets=secrets,
        timeout_s=timeout_s,
        tools=server.tools,
        sse=server.transport == "sse",
        connection=server.connection,
        oauth=OAuthClient(
            client_id=oauth.client_id,
            client_secret=oauth.client_secret,
            scope=oauth.scope,
            grant="client_credentials"
            if oauth.grant == "client_credentials"
            else "authorization_code",
        )
        if oauth is not None
        else None,
    )


def _secrets(server: ResolvedServer) -> frozenset[str]:
    """Every value substituted for a `${VAR}` (in url, args, env or headers), and its words."""
    # A value such as "Bearer <token>" is split too: the token part is the secret.
    return frozenset(p for v in server.secrets for p in (v, *v.split()) if p)
