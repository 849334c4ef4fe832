"""A connector server that hangs or dies in the middle of a call, inside a running task.

The call ends as an error result the model reads (not a failed task), the server is started
again, and the task's next call to it works: the thread gets its answer. Real stdio MCP server
(tests/mcp_servers/toolbox.py) in a plugin written for the test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.stack import CHANNEL, Stack, running

ROOT = Path(__file__).resolve().parents[3]
SERVER = ROOT / "tests" / "mcp_servers" / "toolbox.py"
PREFIX = "probe__toolbox__"


def write_plugin(root: Path) -> Path:
    plugin = root / "probe"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text(
        json.dumps({"name": "probe", "version": "1.0.0", "description": "fault probe"})
    )
    servers = {"toolbox": {"command": "python", "args": [str(SERVER)]}}
    (plugin / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return plugin


@pytest.fixture
async def app(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[Stack]:
    settings.config_path.write_text(
        f"""
plugins: [{write_plugin(tmp_path)}]
channels:
  "*": [probe]
connectors:
  toolbox:
    timeout: 1
approvals:
  tools:
    "{PREFIX}crash": never
"""
    )
    stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(stack):
        yield stack


def results_of(app: Stack, marker: str) -> list[dict]:
    """The tool results the model was sent, one list per request of this task."""
    return [
        tool_results(r.body) for r in app.model.requests if marker in json.dumps(r.body["messages"])
    ]


@pytest.mark.parametrize(
    ("fault", "call", "said"),
    [
        ("hangs", ("sleep", {"seconds": 60}), "timed out after 1 s"),
        ("dies", ("crash", {}), "stopped during 'crash'"),
    ],
)
async def test_a_faulty_call_is_an_error_result_and_the_task_goes_on(
    app: Stack, fault: str, call: tuple[str, dict], said: str
) -> None:
    marker = f"server {fault}"
    app.model.script(
        marker,
        [
            Turn([ToolUse("find_tools", {"query": "pid sleep crash"})]),
            Turn([ToolUse(PREFIX + "pid", {})]),
            Turn([ToolUse(PREFIX + call[0], call[1])]),
            Turn([ToolUse(PREFIX + "pid", {})]),
            Reply(f"went on after the server {fault}"),
        ],
    )
    mention = await app.mention(f"the {marker} mid-call")
    await app.slack.until_thread(CHANNEL, mention["ts"], f"went on after the server {fault}", 30)

    sent = [r for r in results_of(app, marker) if r]
    before, faulty, after = sent[1], sent[2], sent[3]
    assert faulty[0].get("is_error") is True
    text = json.dumps(faulty[0]["content"])
    assert said in text and "restarted" in text
    assert not after[0].get("is_error")
    assert json.dumps(after[0]["content"]) != json.dumps(before[0]["content"]), "a new server"
    thread = app.slack.thread(CHANNEL, mention["ts"])
    assert not any("went wrong" in m.all_text for m in thread)
