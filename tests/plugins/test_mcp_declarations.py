"""`.mcp.json`: both shapes, transports, placeholders, and expansion through resolve_server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plugins import (
    ConnectorOverride,
    PluginRegistry,
    ServerConfigError,
    expand_variables,
    resolve_server,
)

Writer = Callable[[str, object], Path]


def _servers(bundle: Path):  # noqa: ANN202
    registry = PluginRegistry.load([bundle])
    return registry, registry.plugins["bundle"].mcp_servers


def test_bare_map_and_wrapped_map_read_the_same(bundle: Path, write: Writer) -> None:
    config = {"db": {"command": "db-mcp", "args": ["--ro"], "env": {"DSN": "${DSN}"}}}
    write(".mcp.json", config)
    _, bare = _servers(bundle)
    write(".mcp.json", {"mcpServers": config})
    _, wrapped = _servers(bundle)
    assert bare == wrapped
    assert bare["db"].transport == "stdio" and bare["db"].args == ("--ro",)


def test_transports_and_admin_placeholders(bundle: Path, write: Writer) -> None:
    write(
        ".mcp.json",
        {
            "mcpServers": {
                "remote": {
                    "type": "http",
                    "url": "https://mcp.example.net/mcp",
                    "headers": {"Authorization": "Bearer ${TOKEN}"},
                },
                "alias": {"type": "streamable-http", "url": "https://a.example.net/mcp"},
                "legacy": {"type": "sse", "url": "https://b.example.net/sse"},
                "google calendar": {"type": "http", "url": ""},
                "template": {"type": "http", "url": "https://<your-tenant>.example.net/mcp"},
                "weird": {"type": "ws", "url": "wss://x"},
            }
        },
    )
    registry, servers = _servers(bundle)
    assert servers["remote"].headers == {"Authorization": "Bearer ${TOKEN}"}
    assert servers["alias"].transport == "http"
    assert servers["legacy"].transport == "sse"
    assert servers["google calendar"].needs_admin_config
    assert servers["template"].needs_admin_config
    assert not servers["remote"].needs_admin_config
    assert "weird" not in servers
    errors = [p for p in registry.problems if p.severity == "error"]
    assert len(errors) == 1 and "ws" in errors[0].message


def test_bad_json_is_an_error_naming_the_file(bundle: Path, write: Writer) -> None:
    path = write(".mcp.json", '{"mcpServers": {"a": ')
    write("skills/s/SKILL.md", "---\nname: s\ndescription: S.\n---\n")
    registry, servers = _servers(bundle)
    assert servers == {}
    assert [(p.severity, p.path) for p in registry.problems] == [("error", path)]
    assert "not valid JSON" in registry.problems[0].message


def test_expand_variables_defaults_and_missing() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert expand_variables("${SET}/${UNSET:-d}/${EMPTY:-e}/${EMPTY}", env).text == "v/d/e/"
    result = expand_variables("x ${NOPE} y", env)
    assert (result.text, result.missing) == ("x ${NOPE} y", ("NOPE",))


def test_resolve_expands_plugin_root_and_env(bundle: Path, write: Writer) -> None:
    write(
        ".mcp.json",
        {
            "mcpServers": {
                "local": {
                    "command": "${CLAUDE_PLUGIN_ROOT}/bin/srv",
                    "args": ["--db", "${DB:-/tmp/db}"],
                    "env": {"TOKEN": "${TOKEN}"},
                }
            }
        },
    )
    _, servers = _servers(bundle)
    passed = ConnectorOverride(pass_env=["TOKEN"])
    resolved = resolve_server(servers["local"], passed, {"TOKEN": "t0k"})
    assert resolved.command == f"{bundle.resolve()}/bin/srv"
    assert resolved.args == ("--db", "/tmp/db")
    assert resolved.env == {"TOKEN": "t0k"}


def test_resolve_fills_an_empty_url_from_the_admin_override(bundle: Path, write: Writer) -> None:
    write(".mcp.json", {"mcpServers": {"gmail": {"type": "http", "url": ""}}})
    _, servers = _servers(bundle)
    with pytest.raises(ServerConfigError, match="connectors.gmail.url"):
        resolve_server(servers["gmail"], None, {})
    override = ConnectorOverride(
        url="${GMAIL_URL:-https://mail.example.net/mcp}",
        headers={"Authorization": "Bearer ${GMAIL_TOKEN}"},
        timeout=5,
    )
    resolved = resolve_server(servers["gmail"], override, {"GMAIL_TOKEN": "abc"})
    assert resolved.url == "https://mail.example.net/mcp"
    assert resolved.headers == {"Authorization": "Bearer abc"}
    assert (resolved.transport, resolved.timeout) == ("http", 5)


def test_resolve_refuses_unset_variables(bundle: Path, write: Writer) -> None:
    write(
        ".mcp.json",
        {
            "mcpServers": {
                "r": {
                    "type": "http",
                    "url": "https://r.example.net",
                    "headers": {"X-Key": "${R_KEY}"},
                }
            }
        },
    )
    _, servers = _servers(bundle)
    with pytest.raises(ServerConfigError, match="R_KEY") as error:
        resolve_server(servers["r"], ConnectorOverride(pass_env=["R_KEY"]), {})
    assert error.value.server == "r"


def test_admin_defined_server_without_plugin() -> None:
    resolved = resolve_server(None, ConnectorOverride(command="srv", args=["-v"]), {}, name="x")
    assert (resolved.name, resolved.transport, resolved.args) == ("x", "stdio", ("-v",))
