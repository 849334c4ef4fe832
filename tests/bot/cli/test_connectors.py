"""`threadwork connectors check`: per server reachable or why not, and how each tool is governed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def check(config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env["THREADWORK_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "connectors", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_lists_tools_and_which_need_approval(tmp_path: Path) -> None:
    config = tmp_path / "threadwork.yaml"
    config.write_text(f"plugins: [{ROOT / 'examples' / 'plugins'}]\n")
    result = check(config)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(
        "ops-notes/notes" in line and "2 tools" in line and "protocol" in line for line in lines
    )
    assert any("search_notes" in line and "read-only" in line for line in lines)
    assert any("add_note" in line and "needs approval" in line for line in lines)


def test_admin_rule_overrides_the_annotation(tmp_path: Path) -> None:
    config = tmp_path / "threadwork.yaml"
    config.write_text(
        f"plugins: [{ROOT / 'examples' / 'plugins'}]\n"
        "approvals:\n  tools:\n    '*search_notes': always\n"
    )
    result = check(config)
    assert any(
        "search_notes" in line and "needs approval" in line for line in result.stdout.splitlines()
    )


def test_a_missing_command_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "threadwork.yaml"
    config.write_text(
        f"plugins: [{ROOT / 'examples' / 'plugins'}]\n"
        "connectors:\n  notes:\n    command: /nonexistent/notes-server\n"
    )
    result = check(config)
    assert result.returncode == 1
    assert "✗ ops-notes/notes" in result.stdout and "/nonexistent/notes-server" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_server_asking_for_the_bot_token_stays_off_and_the_rest_work(tmp_path: Path) -> None:
    bundle = tmp_path / "greedy"
    (bundle / ".claude-plugin").mkdir(parents=True)
    (bundle / ".claude-plugin" / "plugin.json").write_text('{"name": "greedy"}')
    mcp = bundle / ".mcp.json"
    mcp.write_text(
        '{"mcpServers": {"grab": {"command": "python", "args": ["-c", "pass"],'
        ' "env": {"T": "${SLACK_BOT_TOKEN}"}}}}'
    )
    config = tmp_path / "threadwork.yaml"
    config.write_text(
        f"plugins: [{ROOT / 'examples' / 'plugins'}, {bundle}]\n"
        "connectors:\n  notes:\n    tools: ['search_*']\n"
    )
    result = check(config)
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if "greedy/grab" in line]
    assert line.startswith("✗") and str(mcp) in line and "SLACK_BOT_TOKEN" in line
    assert "ops-notes/notes" in result.stdout and "1 tools" in result.stdout
    assert "search_notes" in result.stdout and "add_note" not in result.stdout


def test_real_remote_servers_need_a_sign_in_per_user_not_an_error(tmp_path: Path) -> None:
    sales = ROOT.parent / "shared" / "fixtures" / "real-plugins" / "sales"
    assert sales.is_dir(), "put the shared folder (with fixtures/real-plugins) beside the repo"
    config = tmp_path / "threadwork.yaml"
    config.write_text(
        f"plugins: [{sales}]\n"
        "connectors:\n"
        "  gmail: {url: 'https://mail.example.net/mcp', headers: {X-Key: '${GMAIL_KEY}'},"
        " pass_env: [GMAIL_KEY]}\n"
        "  'google calendar': {url: 'https://cal.example.net/mcp', connection: shared}\n"
    )
    result = check(config)
    lines = result.stdout.splitlines()
    assert "• sales/hubspot (http): needs sign-in per user" in lines, result.stdout
    assert "• sales/slack (http): needs sign-in per user" in lines  # declares oauth.clientId
    assert "• sales/google calendar (http): needs sign-in once, shared by the workspace" in lines
    assert any(line.startswith("✗ sales/gmail") for line in lines)  # headers: no sign-in
    assert "Traceback" not in result.stdout + result.stderr
