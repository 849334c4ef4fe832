"""Credential isolation: a plugin expands only the variables the admin passes through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plugins import (
    ConfigError,
    ConnectorOverride,
    PluginRegistry,
    ServerConfigError,
    resolve_server,
)
from plugins.config import AdminConfig
from plugins.passthrough import is_reserved

Writer = Callable[[str, object], Path]
BOT_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-bot-own-token-1234",
    "ANTHROPIC_API_KEY": "sk-ant-bot-own-key-5678",
    "DATABASE_URL": "postgresql://bot:pw@db/tw",
    "CRM_TOKEN": "crm-secret-9a8b7c",
    "CRM_HOST": "crm.example.net",
}


def _server(bundle: Path, write: Writer, config: dict[str, object]):  # noqa: ANN202
    write(".claude-plugin/plugin.json", {"name": "crm"})
    write(".mcp.json", {"mcpServers": {"crm": config}})
    return PluginRegistry.load([bundle]).plugins["crm"].mcp_servers["crm"]


def test_a_plugin_never_receives_the_bots_own_token(bundle: Path, write: Writer) -> None:
    decl = _server(
        bundle,
        write,
        {"type": "http", "url": "https://x.example.net", "headers": {"X": "${SLACK_BOT_TOKEN}"}},
    )
    for override in (None, ConnectorOverride(pass_env=["CRM_TOKEN"])):
        with pytest.raises(ServerConfigError) as error:
            resolve_server(decl, override, BOT_ENV)
        assert str(decl.source) in error.value.message
        assert "SLACK_BOT_TOKEN" in error.value.message
        assert "never passed" in error.value.message
        assert BOT_ENV["SLACK_BOT_TOKEN"] not in error.value.message


def test_an_unlisted_variable_keeps_the_server_off_and_says_how_to_allow_it(
    bundle: Path, write: Writer
) -> None:
    decl = _server(bundle, write, {"command": "crm-mcp", "env": {"TOKEN": "${CRM_TOKEN}"}})
    with pytest.raises(ServerConfigError) as error:
        resolve_server(decl, None, BOT_ENV)
    assert "connectors.crm.pass_env" in error.value.message and "CRM_TOKEN" in error.value.message
    assert error.value.path == decl.source

    resolved = resolve_server(decl, ConnectorOverride(pass_env=["CRM_TOKEN"]), BOT_ENV)
    assert resolved.env == {"TOKEN": BOT_ENV["CRM_TOKEN"]}


def test_every_substituted_value_is_a_secret(bundle: Path, write: Writer) -> None:
    decl = _server(
        bundle,
        write,
        {
            "command": "crm-mcp",
            "args": ["--host", "${CRM_HOST}", "--root", "${CLAUDE_PLUGIN_ROOT}"],
            "env": {"TOKEN": "${CRM_TOKEN}", "MODE": "${CRM_MODE:-fast}"},
        },
    )
    resolved = resolve_server(decl, ConnectorOverride(pass_env=["CRM_TOKEN", "CRM_HOST"]), BOT_ENV)
    assert resolved.args == ("--host", "crm.example.net", "--root", str(bundle.resolve()))
    assert resolved.env["MODE"] == "fast"  # an unpassed name with a default reads nothing
    assert resolved.secrets == {BOT_ENV["CRM_TOKEN"], BOT_ENV["CRM_HOST"]}


def test_admin_values_expand_any_variable_but_the_bots_own(bundle: Path, write: Writer) -> None:
    decl = _server(bundle, write, {"type": "http", "url": ""})
    fine = ConnectorOverride(
        url="https://${CRM_HOST}/mcp", headers={"Authorization": "Bearer ${CRM_TOKEN}"}
    )
    resolved = resolve_server(decl, fine, BOT_ENV)
    assert resolved.url == "https://crm.example.net/mcp"
    assert resolved.secrets == {BOT_ENV["CRM_HOST"], BOT_ENV["CRM_TOKEN"]}
    sneaky = ConnectorOverride(url="https://x.example.net", headers={"K": "${ANTHROPIC_API_KEY}"})
    with pytest.raises(ServerConfigError, match="ANTHROPIC_API_KEY"):
        resolve_server(decl, sneaky, BOT_ENV)


@pytest.mark.parametrize(
    "name", ["SLACK_BOT_TOKEN", "ANTHROPIC_API_KEY", "THREADWORK_SECRET_KEY", "REDIS_URL"]
)
def test_the_admin_cannot_pass_the_bots_own_variables(name: str) -> None:
    assert is_reserved(name)
    with pytest.raises(ValueError, match="never passed to a connector"):
        AdminConfig.model_validate({"connectors": {"crm": {"pass_env": [name]}}})


def test_a_bad_pass_env_names_the_key(tmp_path: Path) -> None:
    from plugins import load_admin_config

    path = tmp_path / "threadwork.yaml"
    path.write_text("connectors:\n  crm:\n    pass_env: [DATABASE_URL]\n")
    with pytest.raises(ConfigError) as error:
        load_admin_config(path)
    assert "connectors.crm.pass_env" in error.value.errors[0]
    assert not is_reserved("CRM_TOKEN")


def test_connection_modes_default_to_per_user_for_remote_servers_without_credentials(
    bundle: Path, write: Writer
) -> None:
    write(".claude-plugin/plugin.json", {"name": "crm"})
    write(
        ".mcp.json",
        {
            "mcpServers": {
                "open": {"type": "http", "url": "https://a.example.net/mcp"},
                "declared": {
                    "type": "sse",
                    "url": "https://b.example.net/sse",
                    "oauth": {"clientId": "plugin-client", "callbackPort": 3118},
                },
                "keyed": {
                    "type": "http",
                    "url": "https://c.example.net/mcp",
                    "headers": {"X-Key": "${C_KEY}"},
                },
                "local": {"command": "crm-mcp"},
            }
        },
    )
    servers = PluginRegistry.load([bundle]).plugins["crm"].mcp_servers
    env = {"C_KEY": "c-key-1234", "SVC_SECRET": "svc-secret-5678"}

    def resolved(name: str, override: ConnectorOverride | None = None):  # noqa: ANN202
        return resolve_server(servers[name], override, env)

    assert resolved("open").connection == "per_user"
    declared = resolved("declared")
    assert (declared.connection, declared.transport) == ("per_user", "sse")
    assert declared.oauth is not None and declared.oauth.client_id == "plugin-client"
    assert resolved("keyed", ConnectorOverride(pass_env=["C_KEY"])).connection == "none"
    assert resolved("local").connection == "none"
    assert resolved("open", ConnectorOverride(connection="shared")).connection == "shared"
    service = resolved(
        "open",
        ConnectorOverride.model_validate(
            {
                "oauth": {
                    "client_id": "svc",
                    "client_secret": "${SVC_SECRET}",
                    "grant": "client_credentials",
                }
            }
        ),
    )
    assert service.connection == "shared" and service.oauth is not None
    assert service.oauth.client_secret == "svc-secret-5678"
    assert "svc-secret-5678" in service.secrets


def test_a_literal_client_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="looks like a literal credential"):
        AdminConfig.model_validate(
            {
                "connectors": {
                    "crm": {"oauth": {"client_id": "x", "client_secret": "s3cr3t-literal"}}
                }
            }
        )
