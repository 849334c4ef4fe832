"""`plugins validate` and `plugins list`, called through their argparse handlers."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import plugins as cli_plugins
from bot.settings import load_settings

Writer = Callable[[str, object], Path]
REPO = Path(__file__).resolve().parents[2]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="threadwork")
    cli_plugins.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Call the handler as `threadwork` does, with settings read from this test's environment."""
    return int(args.func(args, load_settings()))


def _broken_bundle(write: Writer) -> dict[str, Path]:
    return {
        "manifest": write(".claude-plugin/plugin.json", '{"name": "broken", "version": '),
        "frontmatter": write("skills/bad-yaml/SKILL.md", "---\nname: [oops\n---\nBody\n"),
        "mismatch": write(
            "skills/folder/SKILL.md",
            "---\nname: other\ndescription: D.\n---\nRead `references/missing.md` first.\n",
        ),
        "no_close": write("commands/open.md", "---\ndescription: never closed\n"),
        "mcp": write(".mcp.json", {"mcpServers": {"x": {"type": "carrier-pigeon"}}}),
    }


def test_validate_prints_every_problem_with_its_file(
    bundle: Path, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _broken_bundle(write)
    args = _parse(["plugins", "validate", str(bundle)])
    code = run(args)
    out = capsys.readouterr().out
    assert code == 1
    for path in files.values():
        assert str(path) in out
    assert "not valid JSON" in out
    assert "'references/missing.md', which does not exist" in out
    assert "differs from its folder 'folder'" in out
    assert "never closed" in out
    assert "carrier-pigeon" in out
    assert out.strip().splitlines()[-1].startswith("FAILED:")


def test_validate_with_warnings_only_exits_zero(
    bundle: Path, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    write(".claude-plugin/plugin.json", {"name": "fine", "colour": "blue"})
    write("skills/fine/SKILL.md", "---\nname: fine\ndescription: Fine.\n---\nBody\n")
    args = _parse(["plugins", "validate", str(bundle)])
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "unknown keys ignored: colour" in out
    assert out.strip().splitlines()[-1] == "ok: 1 plugin(s) read (fine): 0 error(s), 1 warning(s)"


def test_validate_the_example_marketplace_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["plugins", "validate", str(REPO / "examples" / "plugins")])
    assert run(args) == 0
    assert capsys.readouterr().out.strip() == (
        "ok: 1 plugin(s) read (ops-notes): 0 error(s), 0 warning(s)"
    )


def test_validate_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["plugins", "validate", str(tmp_path / "nope")])
    assert run(args) == 1
    assert "plugin folder not found" in capsys.readouterr().out


def test_list_shows_counts_channels_and_problems(
    tmp_path: Path,
    real_plugins: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "threadwork.yaml"
    config.write_text(
        json.dumps(
            {
                "plugins": [str(REPO / "examples" / "plugins"), str(real_plugins / "sales")],
                "channels": {
                    "*": ["ops-notes"],
                    "C0SALES": ["sales", "ops-notes"],
                    "C0X": ["ghost"],
                },
                "connectors": {"gmail": {"url": "https://mail.example.net/mcp"}},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("THREADWORK_CONFIG", str(config))
    args = _parse(["plugins", "list"])
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "ops-notes (0.1.0)" in out and "sales (1.3.0)" in out
    assert "2 skills, 1 commands, 1 agents, 1 MCP servers" in out
    assert "9 skills, 0 commands, 0 agents, 14 MCP servers" in out
    assert "enabled in: *, C0SALES" in out and "enabled in: C0SALES" in out
    assert "needs connectors config: google calendar" in out  # gmail is configured
    assert "ships without a url" in out
    assert "'ghost', which is not installed" in out


def test_list_reports_a_bad_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "threadwork.yaml"
    config.write_text("limits:\n  max_steps: lots\n", encoding="utf-8")
    monkeypatch.setenv("THREADWORK_CONFIG", str(config))
    args = _parse(["plugins", "list"])
    assert run(args) == 1
    assert "limits.max_steps" in capsys.readouterr().out


def test_validate_names_the_file_and_a_variable_that_is_not_passed_through(
    bundle: Path,
    write: Writer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(".claude-plugin/plugin.json", {"name": "crm"})
    mcp = write(
        ".mcp.json",
        {
            "mcpServers": {
                "crm": {
                    "type": "http",
                    "url": "https://crm.example.net/mcp",
                    "headers": {"Authorization": "Bearer ${SLACK_BOT_TOKEN}", "X": "${CRM_KEY}"},
                }
            }
        },
    )
    config = tmp_path / "threadwork.yaml"
    monkeypatch.setenv("THREADWORK_CONFIG", str(config))
    args = _parse(["plugins", "validate", str(bundle)])
    assert run(args) == 1
    out = capsys.readouterr().out
    assert str(mcp) in out
    assert "${SLACK_BOT_TOKEN} is one of Threadwork's own settings" in out
    assert "add CRM_KEY to connectors.crm.pass_env" in out

    write(".mcp.json", {"mcpServers": {"crm": {"command": "crm", "env": {"K": "${CRM_KEY}"}}}})
    config.write_text("connectors:\n  crm:\n    pass_env: [CRM_KEY]\n")
    assert run(args) == 0
    assert "0 error(s)" in capsys.readouterr().out
