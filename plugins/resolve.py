"""Merge a plugin's MCP server declaration with the admin's override and expand variables.

The result is what a connector needs to start or reach the server. Variables come only from the
`env` mapping the caller passes, filtered by the pass-through rule of `plugins.passthrough`,
plus `${CLAUDE_PLUGIN_ROOT}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from plugins.config import Connection, ConnectorOverride
from plugins.errors import ServerConfigError
from plugins.passthrough import admin_values, passed_values, refused_references
from plugins.servers import McpServerDeclaration, Transport
from plugins.variables import expand_variables


@dataclass(frozen=True)
class ResolvedServer:
    """A server ready to connect: stdio (command/args/env) or http/sse (url/headers).

    `secrets` are the values substituted for `${VAR}` references (anywhere: url, args, env,
    headers), which the connector layer redacts from every output and log line.
    """

    name: str
    plugin: str | None
    transport: Transport
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None
    tools: tuple[str, ...] | None = None
    cwd: Path | None = None
    secrets: frozenset[str] = frozenset()
    connection: Connection = "none"
    oauth: ResolvedOAuth | None = None


@dataclass(frozen=True)
class ResolvedOAuth:
    """The OAuth client to use: pre-registered (plugin `oauth.clientId` or admin), else none."""

    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
    grant: str = "authorization_code"


@dataclass(frozen=True)
class _Fields:
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    command: str | None = None
    args: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None


def resolve_server(
    decl: McpServerDeclaration | None,
    override: ConnectorOverride | None,
    env: Mapping[str, str],
    *,
    name: str | None = None,
) -> ResolvedServer:
    """Merge and expand; raise ServerConfigError saying which key or variable to set.

    `env` is the process environment. Plugin-written values expand only the names the admin
    passes through (`pass_env`) and `${CLAUDE_PLUGIN_ROOT}`; admin-written values expand any
    name; neither ever expands Threadwork's own variables (see `plugins.passthrough`).
    """
    server = name or (decl.name if decl else "connector")
    if decl is None and override is None:
        raise ServerConfigError(
            f"no configuration for server '{server}'; add connectors.{server} to threadwork.yaml",
            server=server,
        )
    passed = tuple(override.pass_env) if override is not None else ()
    plugin_values = passed_values(passed, env)
    if decl is not None:
        plugin_values[BUILT_IN_ROOT] = str(decl.plugin_root.resolve())
    plugin = _Expander(plugin_values)
    admin = _Expander(admin_values(env))
    transport = _transport(decl, override)
    merged = _merge(_expand_decl(decl, plugin), _expand_override(override, admin), override)
    resolved = ResolvedServer(
        name=server,
        plugin=decl.plugin if decl else None,
        transport=transport,
        command=merged.command,
        args=merged.args or (),
        env=dict(merged.env),
        url=merged.url,
        headers=dict(merged.headers),
        timeout=merged.timeout,
        tools=tuple(override.tools)
        if override is not None and override.tools is not None
        else None,
        cwd=decl.plugin_root.resolve() if decl is not None and transport == "stdio" else None,
        oauth=_oauth(decl, override, admin),
        secrets=frozenset(plugin.secrets | admin.secrets),
    )
    resolved = replace(resolved, connection=_connection(resolved, decl, override))
    if decl is not None and decl.needs_admin_config and not _fills_endpoint(override):
        key = "command" if transport == "stdio" else "url"
        raise ServerConfigError(
            f"server '{server}' of plugin '{decl.plugin}' ships without a usable {key}; set "
            f"connectors.{_key(server)}.{key} in threadwork.yaml",
            server=server,
            path=decl.source,
        )
    _check_references(server, decl, override)
    _check(resolved, [*plugin.missing, *admin.missing], decl)
    return resolved


BUILT_IN_ROOT = "CLAUDE_PLUGIN_ROOT"


def declaration_texts(decl: McpServerDeclaration) -> list[str]:
    """Every plugin-written string of a server that may hold `${VAR}` references."""
    return [
        *(t for t in (decl.url, decl.command) if t),
        *decl.args,
        *decl.env.values(),
        *decl.headers.values(),
    ]


def _override_texts(override: ConnectorOverride) -> list[str]:
    return [
        *(t for t in (override.url, override.command) if t),
        *(override.args or ()),
        *override.env.values(),
        *override.headers.values(),
    ]


def _check_references(
    server: str, decl: McpServerDeclaration | None, override: ConnectorOverride | None
) -> None:
    """Refuse a plugin reference that is not passed through, and any reserved reference."""
    passed = tuple(override.pass_env) if override is not None else ()
    refused = refused_references(declaration_texts(decl), passed) if decl is not None else []
    if override is not None:
        refused += [r for r in refused_references(_override_texts(override), ()) if r.reserved]
    if refused:
        where = f"{decl.source}: " if decl is not None else ""
        raise ServerConfigError(
            f"{where}server '{server}' stays off: " + "; ".join(r.reason(server) for r in refused),
            server=server,
            path=decl.source if decl is not None else None,
        )


def _oauth(
    decl: McpServerDeclaration | None, override: ConnectorOverride | None, admin: _Expander
) -> ResolvedOAuth | None:
    declared = decl.oauth if decl is not None and decl.oauth else {}
    configured = override.oauth if override is not None else None
    client_id = declared.get("clientId") if isinstance(declared.get("clientId"), str) else None
    if configured is None:
        return ResolvedOAuth(client_id=client_id) if declared else None
    return ResolvedOAuth(
        client_id=admin.text(configured.client_id) or client_id,
        client_secret=admin.text(configured.client_secret),
        scope=configured.scope,
        grant=configured.grant,
    )


def _connection(
    server: ResolvedServer, decl: McpServerDeclaration | None, override: ConnectorOverride | None
) -> Connection:
    """The admin's choice; else per_user for a remote server that declares OAuth or carries no
    credentials (a remote MCP server without any answers 401 and asks for a sign-in)."""
    if override is not None and override.connection is not None:
        return override.connection
    if server.transport == "stdio":
        return "none"
    if server.oauth is not None:
        return "shared" if server.oauth.grant == "client_credentials" else "per_user"
    return "none" if server.headers else "per_user"


def _fills_endpoint(override: ConnectorOverride | None) -> bool:
    return override is not None and bool(override.url or override.command)


class _Expander:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.missing: list[str] = []
        self.secrets: set[str] = set()

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        expanded = expand_variables(value, self.values)
        self.missing.extend(name for name in expanded.missing if name not in self.missing)
        self.secrets.update(self.values[n] for n in expanded.used if n != BUILT_IN_ROOT)
        return expanded.text

    def texts(self, values: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.text(v) or "" for v in values)

    def mapping(self, values: Mapping[str, str]) -> dict[str, str]:
        return {key: self.text(value) or "" for key, value in values.items()}


def _expand_decl(decl: McpServerDeclaration | None, expander: _Expander) -> _Fields:
    if decl is None:
        return _Fields(args=())
    return _Fields(
        url=expander.text(decl.url),
        headers=expander.mapping(decl.headers),
        command=expander.text(decl.command),
        args=expander.texts(decl.args),
        env=expander.mapping(decl.env),
        timeout=decl.timeout,
    )


def _expand_override(override: ConnectorOverride | None, expander: _Expander) -> _Fields:
    if override is None:
        return _Fields()
    return _Fields(
        url=expander.text(override.url),
        headers=expander.mapping(override.headers),
        command=expander.text(override.command),
        args=expander.texts(override.args) if override.args is not None else None,
        env=expander.mapping(override.env),
        timeout=override.timeout,
    )


def _transport(decl: McpServerDeclaration | None, override: ConnectorOverride | None) -> Transport:
    if override is not None and override.transport is not None:
        return override.transport
    if override is not None and override.command:
        return "stdio"
    if override is not None and override.url:
        return decl.transport if decl is not None and decl.transport != "stdio" else "http"
    return decl.transport if decl is not None else "stdio"


def _merge(base: _Fields, admin: _Fields, override: ConnectorOverride | None) -> _Fields:
    if override is None:
        return base
    command = admin.command or base.command
    # The admin's args win; an admin command without args drops the plugin's args.
    args = admin.args if admin.args is not None else (() if override.command else base.args)
    return _Fields(
        url=admin.url or base.url,
        headers={**base.headers, **admin.headers},
        command=command,
        args=args,
        env={**base.env, **admin.env},
        timeout=admin.timeout or base.timeout,
    )


def _check(server: ResolvedServer, missing: list[str], decl: McpServerDeclaration | None) -> None:
    where = decl.source if decl is not None else None
    if server.transport == "stdio" and not (server.command or "").strip():
        raise ServerConfigError(
            f"server '{server.name}' has no command; set connectors.{_key(server.name)}.command "
            "in threadwork.yaml",
            server=server.name,
            path=where,
        )
    if server.transport != "stdio" and not (server.url or "").strip():
        raise ServerConfigError(
            f"server '{server.name}' has no url; set connectors.{_key(server.name)}.url in "
            "threadwork.yaml",
            server=server.name,
            path=where,
        )
    if missing:
        raise ServerConfigError(
            f"server '{server.name}' needs environment variable(s) {', '.join(missing)}; set "
            "them where Threadwork runs, or give a default as ${NAME:-value}",
            server=server.name,
            path=where,
        )


def _key(name: str) -> str:
    return f'"{name}"' if " " in name else name
