"""Merge a plugin's MCP server declaration with the admin's override and expand variables.

The result is what a connector needs to start or reach the server. Variables come only from the
`env` mapping the caller passes (the admin-controlled environment), plus `${CLAUDE_PLUGIN_ROOT}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plugins.config import ConnectorOverride
from plugins.errors import ServerConfigError
from plugins.servers import McpServerDeclaration, Transport
from plugins.variables import expand_variables


@dataclass(frozen=True)
class ResolvedServer:
    """A server ready to connect: stdio (command/args/env) or http/sse (url/headers)."""

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


def resolve_server(
    decl: McpServerDeclaration | None,
    override: ConnectorOverride | None,
    env: Mapping[str, str],
    *,
    name: str | None = None,
) -> ResolvedServer:
    """Merge and expand; raise ServerConfigError saying which key or variable to set."""
    server = name or (decl.name if decl else "connector")
    if decl is None and override is None:
        raise ServerConfigError(
            f"no configuration for server '{server}'; add connectors.{server} to threadwork.yaml",
            server=server,
        )
    values = dict(env)
    if decl is not None:
        values["CLAUDE_PLUGIN_ROOT"] = str(decl.plugin_root.resolve())
    expander = _Expander(values)
    transport = _transport(decl, override)
    merged = _merge(decl, override)
    resolved = ResolvedServer(
        name=server,
        plugin=decl.plugin if decl else None,
        transport=transport,
        command=expander.text(merged.command),
        args=tuple(expander.text(arg) or "" for arg in merged.args or ()),
        env={key: expander.text(value) or "" for key, value in merged.env.items()},
        url=expander.text(merged.url),
        headers={key: expander.text(value) or "" for key, value in merged.headers.items()},
        timeout=merged.timeout,
        tools=tuple(merged.tools) if merged.tools is not None else None,
        cwd=decl.plugin_root.resolve() if decl is not None and transport == "stdio" else None,
    )
    if decl is not None and decl.needs_admin_config and not _fills_endpoint(override):
        key = "command" if transport == "stdio" else "url"
        raise ServerConfigError(
            f"server '{server}' of plugin '{decl.plugin}' ships without a usable {key}; set "
            f"connectors.{_key(server)}.{key} in threadwork.yaml",
            server=server,
            path=decl.source,
        )
    _check(resolved, expander.missing, decl)
    return resolved


def _fills_endpoint(override: ConnectorOverride | None) -> bool:
    return override is not None and bool(override.url or override.command)


class _Expander:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.missing: list[str] = []

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        expanded = expand_variables(value, self.values)
        self.missing.extend(name for name in expanded.missing if name not in self.missing)
        return expanded.text


def _transport(decl: McpServerDeclaration | None, override: ConnectorOverride | None) -> Transport:
    if override is not None and override.transport is not None:
        return override.transport
    if override is not None and override.command:
        return "stdio"
    if override is not None and override.url:
        return decl.transport if decl is not None and decl.transport != "stdio" else "http"
    return decl.transport if decl is not None else "stdio"


def _merge(
    decl: McpServerDeclaration | None, override: ConnectorOverride | None
) -> ConnectorOverride:
    base = ConnectorOverride.model_construct(
        url=decl.url if decl else None,
        headers=dict(decl.headers) if decl else {},
        command=decl.command if decl else None,
        args=list(decl.args) if decl else [],
        env=dict(decl.env) if decl else {},
        transport=None,
        timeout=decl.timeout if decl else None,
        tools=None,
    )
    if override is None:
        return base
    command = override.command or base.command
    args = override.args if override.args is not None else ([] if override.command else base.args)
    return ConnectorOverride.model_construct(
        url=override.url or base.url,
        headers={**base.headers, **override.headers},
        command=command,
        args=args,
        env={**base.env, **override.env},
        transport=override.transport,
        timeout=override.timeout or base.timeout,
        tools=override.tools,
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
