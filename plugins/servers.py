"""MCP server declarations from `.mcp.json` (or plugin.json `mcpServers`): what, not how.

Both shapes are read: `{"mcpServers": {...}}` and the bare `{name: config}` map. Values are kept
unexpanded; `resolve.resolve_server` merges the admin's overrides and expands variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from plugins.files import read_json_object
from plugins.problems import Problems

Transport = Literal["stdio", "http", "sse"]
_TYPES: dict[str, Transport] = {
    "stdio": "stdio",
    "http": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "sse": "sse",
}
# "Fill me in" urls seen in templates: <your-host>, YOUR_TENANT, changeme, TODO.
_PLACEHOLDER_URL = re.compile(r"<[^>]*>|\byour[-_]|changeme|\btodo\b", re.IGNORECASE)
_KNOWN_KEYS = frozenset(
    {
        "type",
        "command",
        "args",
        "env",
        "url",
        "headers",
        "oauth",
        "timeout",
        "alwaysLoad",
        "headersHelper",
        "cwd",
    }
)


@dataclass(frozen=True)
class McpServerDeclaration:
    """One server a plugin asks for. `needs_admin_config`: shipped without a usable endpoint."""

    plugin: str
    name: str
    transport: Transport
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    needs_admin_config: bool = False
    plugin_root: Path = Path()
    source: Path = Path()
    timeout: float | None = None
    oauth: Mapping[str, Any] | None = None


_NOT_A_MAP = 'expected a JSON object such as {"mcpServers": {"name": {...}}}'


def read_mcp_file(
    plugin: str, plugin_root: Path, path: Path, problems: Problems
) -> list[McpServerDeclaration]:
    """Read a `.mcp.json` file; problems are recorded, never raised."""
    data = read_json_object(
        path,
        problems,
        if_invalid="no MCP servers loaded from it — fix the JSON",
        expected=_NOT_A_MAP,
    )
    return [] if data is None else read_mcp_map(plugin, plugin_root, path, data, problems)


def read_mcp_map(
    plugin: str, plugin_root: Path, path: Path, data: Any, problems: Problems
) -> list[McpServerDeclaration]:
    """Read servers from a parsed `.mcp.json` (wrapped or bare) or inline plugin.json map."""
    if not isinstance(data, dict):
        problems.error(path, _NOT_A_MAP)
        return []
    servers = data.get("mcpServers", data)
    if not isinstance(servers, dict):
        problems.error(path, "'mcpServers' must be an object mapping server names to configs")
        return []
    declared = []
    for name, config in servers.items():
        server = _server(plugin, plugin_root, path, str(name), config, problems)
        if server is not None:
            declared.append(server)
    return declared


def _server(
    plugin: str, root: Path, path: Path, name: str, config: Any, problems: Problems
) -> McpServerDeclaration | None:
    where = f"server '{name}'"
    if not isinstance(config, dict):
        problems.error(path, f"{where}: expected an object with 'url' or 'command'; skipped")
        return None
    transport = _transport(config, where, path, problems)
    if transport is None:
        return None
    unknown = sorted(set(config) - _KNOWN_KEYS)
    if unknown:
        problems.warning(path, f"{where}: unknown keys ignored: {', '.join(unknown)}")
    url = _string(config.get("url"), f"{where}: url", path, problems)
    command = _string(config.get("command"), f"{where}: command", path, problems)
    needs_admin = _needs_admin(transport, url, command)
    if needs_admin:
        key = "url" if transport != "stdio" else "command"
        problems.warning(
            path,
            f"{where} ships without a {key}; it stays off until threadwork.yaml sets "
            f"connectors.{_yaml_key(name)}.{key}",
        )
    if transport == "http" and url and url.rstrip("/").endswith("/sse"):
        problems.warning(path, f"{where}: type is http but the url ends in /sse; check the type")
    return McpServerDeclaration(
        plugin=plugin,
        name=name,
        transport=transport,
        command=command or None,
        args=_string_list(config.get("args"), f"{where}: args", path, problems),
        env=_string_map(config.get("env"), f"{where}: env", path, problems),
        url=url or None,
        headers=_string_map(config.get("headers"), f"{where}: headers", path, problems),
        needs_admin_config=needs_admin,
        plugin_root=root,
        source=path,
        timeout=_timeout(config.get("timeout")),
        oauth=config["oauth"] if isinstance(config.get("oauth"), dict) else None,
    )


def _transport(
    config: dict[str, Any], where: str, path: Path, problems: Problems
) -> Transport | None:
    kind = config.get("type")
    if kind is None:
        if "url" in config and "command" not in config:
            problems.warning(path, f'{where}: has a url but no type; read as http — add "type"')
            return "http"
        return "stdio"
    transport = _TYPES.get(str(kind).lower())
    if transport is None:
        problems.error(
            path, f"{where}: type '{kind}' is not supported (use stdio, http or sse); skipped"
        )
        return None
    if str(kind).lower() == "sse":
        problems.warning(path, f"{where}: the sse transport is deprecated; prefer http")
    return transport


def _needs_admin(transport: Transport, url: str | None, command: str | None) -> bool:
    if transport == "stdio":
        return not command or not command.strip()
    return not url or not url.strip() or bool(_PLACEHOLDER_URL.search(url))


def _yaml_key(name: str) -> str:
    return f'"{name}"' if " " in name else name


def _string(value: Any, where: str, path: Path, problems: Problems) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.warning(path, f"{where} should be a string; read as '{value}'")
    return str(value)


def _string_list(value: Any, where: str, path: Path, problems: Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    problems.warning(path, f"{where} should be a list of strings; read as one argument")
    return (str(value),)


def _string_map(value: Any, where: str, path: Path, problems: Problems) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(key): str(item) for key, item in value.items()}
    problems.warning(path, f"{where} should be an object of strings; ignored")
    return {}


def _timeout(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        # Claude Code's timeout is in milliseconds.
        return float(value) / 1000.0
    return None
