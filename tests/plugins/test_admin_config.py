"""threadwork.yaml: validation messages name the key; channel and approval rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from plugins import AdminConfig, ConfigError, load_admin_config

REPO = Path(__file__).resolve().parents[2]


def _load(tmp_path: Path, text: str) -> AdminConfig:
    path = tmp_path / "threadwork.yaml"
    path.write_text(text, encoding="utf-8")
    return load_admin_config(path)


def _errors(tmp_path: Path, text: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    return error.value.errors


def test_absent_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_admin_config(tmp_path / "nope.yaml")
    assert config.plugins == [] and config.enabled_plugins("C123") == ()
    assert config.approvals.approvers == ["requester"]
    assert config.approvals.expire_after == timedelta(hours=24)
    assert config.limits.max_steps == 40


def test_plugin_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    config = _load(tmp_path, "plugins: [a, /abs/b]\n")
    assert config.plugins == [tmp_path / "a", Path("/abs/b")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "approvals:\n  expire_after: 3 days\n",
            "threadwork.yaml: approvals.expire_after: '3 days' is not a duration such as 30m, 24h "
            "or 7d",
        ),
        ("approvals:\n  approvers: [requester, bob]\n", "approvals.approvers.1: 'bob'"),
        ("approvals:\n  tools: {'*delete*': ask}\n", "approvals.tools.*delete*: 'ask'"),
        ("limits:\n  max_stepz: 3\n", "limits.max_stepz: unknown key"),
        ("channels:\n  '#general': [x]\n", "channels: '#general' is not a channel id"),
        (
            "connectors:\n  crm:\n    headers: {Authorization: Bearer abc123}\n",
            "connectors.crm.headers: Authorization: 'Bearer…' looks like a literal credential",
        ),
        (
            "connectors:\n  crm:\n    env: {OPENAI_KEY: sk-abcdefghijklmnop}\n",
            "connectors.crm.env: OPENAI_KEY",
        ),
        ("connectors:\n  crm:\n    env: {API_TOKEN: hunter2}\n", "connectors.crm.env: API_TOKEN"),
        ("connectors:\n  crm: {url: 'https://x', command: y}\n", "connectors.crm: set either"),
        ("pricing:\n  claude-*: {input: -1, output: 15}\n", "pricing.claude-*.input"),
        ("pricing:\n  claude-*: {input: 3}\n", "pricing.claude-*.output"),
        ("pricing:\n  claude-*: {input: 3, output: 15, cache_hit: 1}\n", "cache_hit: unknown key"),
        ("limits:\n  max_cost_per_task_usd: 0\n", "limits.max_cost_per_task_usd"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    errors = _errors(tmp_path, text)
    assert any(expected in line for line in errors), errors
    assert all(line.startswith("threadwork.yaml: ") for line in errors)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (line,) = _errors(tmp_path, "plugins:\n  - a\n channels: [\n")
    assert line.startswith("threadwork.yaml: line ")


def test_credentials_by_reference_are_accepted(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "connectors:\n  crm:\n    url: https://crm.example.net/mcp\n"
        "    headers: {Authorization: 'Bearer ${CRM_TOKEN}'}\n"
        "    env: {API_TOKEN: '${API_TOKEN}', LOG_LEVEL: debug}\n",
    )
    assert config.connectors["crm"].headers == {"Authorization": "Bearer ${CRM_TOKEN}"}
    assert config.connector_for("any-plugin", "crm") is config.connectors["crm"]


def test_enabled_plugins_channel_rules(tmp_path: Path) -> None:
    config = _load(tmp_path, "channels:\n  '*': [a, b]\n  C111: [c]\n  C222: []\n")
    assert config.enabled_plugins("C111") == ("c",)
    assert config.enabled_plugins("C222") == ()
    assert config.enabled_plugins("C999") == ("a", "b")
    no_star = _load(tmp_path, "channels:\n  C111: [c]\n")
    assert no_star.enabled_plugins("C999") == ()


def test_rule_for_first_matching_glob_in_file_order(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "approvals:\n  tools:\n    'crm__get_*': never\n"
        "    'crm__*': always\n    '*__search*': never\n",
    )
    rules = config.approvals
    assert rules.rule_for("crm__get_deal") == "never"
    assert rules.rule_for("crm__update_deal") == "always"
    assert rules.rule_for("crm__search") == "always"  # the earlier glob wins
    assert rules.rule_for("notes__search_notes") == "never"
    assert rules.rule_for("notes__add_note") == "auto"


def test_durations_and_approvers(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "approvals:\n  expire_after: 1h30m\n  remind_after: 7d\n"
        "  approvers: [requester, U123ABC, S0GROUP]\n",
    )
    assert config.approvals.expire_after == timedelta(minutes=90)
    assert config.approvals.remind_after == timedelta(days=7)
    assert config.approvals.approver_users == ("U123ABC",)
    assert config.approvals.approver_groups == ("S0GROUP",)


def test_the_shipped_example_is_valid_and_points_at_the_example_plugin() -> None:
    config = load_admin_config(REPO / "threadwork.example.yaml")
    assert config.plugins == [REPO / "examples" / "plugins"]
    assert config.enabled_plugins("C0ANY") == ("ops-notes",)


def test_admins_are_users_and_user_groups(tmp_path: Path) -> None:
    path = tmp_path / "threadwork.yaml"
    path.write_text("admins: [U0BOSS, S0OPS]\n")
    config = load_admin_config(path)
    assert config.admins.users == ("U0BOSS",) and config.admins.groups == ("S0OPS",)
    assert load_admin_config(tmp_path / "absent.yaml").admins.users == ()


def test_an_admin_that_is_not_an_id_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "threadwork.yaml"
    path.write_text("admins: [alice]\n")
    with pytest.raises(ConfigError) as error:
        load_admin_config(path)
    assert "'alice' is not an admin" in str(error.value) and "admins" in str(error.value)
