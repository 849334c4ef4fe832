"""Plugins through Slack: lazy skills per channel, slash-style commands, connector tools.

Real plugin bundles (the shipped example and the real `sales` fixture), real MCP server over
stdio, fake Slack and fake model over HTTP.
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
from tests.stack import Stack

ROOT = Path(__file__).resolve().parents[3]
REAL_PLUGINS = ROOT.parent / "shared" / "fixtures" / "real-plugins"
SALES = "C0SALES"
OPS = "C0OPS"
ELSEWHERE = "C0RANDOM"
CALL_PREP_LINE = "Prepare for a sales call with account context"


@pytest.fixture
async def plugin_stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[Stack]:
    notes = tmp_path / "notes.json"
    notes.write_text(
        json.dumps(
            [
                {
                    "id": 1,
                    "title": "Disk full on db-1",
                    "text": "runbook: rotate logs",
                    "tags": ["runbook"],
                    "created": "2026-01-01T00:00:00+00:00",
                }
            ]
        )
    )
    settings.config_path.write_text(
        f"""
plugins:
  - {REAL_PLUGINS / "sales"}
  - {ROOT / "examples" / "plugins"}
channels:
  {SALES}: [sales]
  {OPS}: [ops-notes]
connectors:
  notes:
    env:
      OPS_NOTES_FILE: "${{OPS_NOTES_FILE_FOR_TESTS:-{notes}}}"
"""
    )
    stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()


def request_text(body: dict) -> str:
    return json.dumps(body)


async def test_enabled_channel_lists_skills_and_loads_only_the_one_asked_for(
    plugin_stack: Stack,
) -> None:
    model = plugin_stack.model
    model.script(
        "prep me for my call",
        [Turn([ToolUse("load_skill", {"name": "sales:call-prep"})]), Reply("Here is your prep.")],
    )
    mention = await plugin_stack.mention("prep me for my call with Acme", channel=SALES)
    await plugin_stack.slack.until_thread(SALES, mention["ts"], "Here is your prep.")

    first, second = (r.body for r in model.requests)
    call_prep = (REAL_PLUGINS / "sales" / "skills" / "call-prep" / "SKILL.md").read_text()
    body_marker = call_prep.split("---", 2)[2].strip().splitlines()[0]
    assert CALL_PREP_LINE in request_text(first)
    assert body_marker not in request_text(first), "no skill body before it is asked for"
    (result,) = tool_results(second)
    assert body_marker in json.dumps(result)
    other = (REAL_PLUGINS / "sales" / "skills" / "forecast" / "SKILL.md").read_text()
    assert other.split("---", 2)[2].strip().splitlines()[0] not in request_text(second)
    assert first["system"] == second["system"], "the prompt prefix is stable across steps"
    assert first["system"][-1]["cache_control"] == {"type": "ephemeral"}


async def test_channel_without_the_plugin_never_hears_of_it(plugin_stack: Stack) -> None:
    plugin_stack.model.script("prep me elsewhere", [Reply("I can only talk here.")])
    mention = await plugin_stack.mention("prep me elsewhere for Acme", channel=ELSEWHERE)
    await plugin_stack.slack.until_thread(ELSEWHERE, mention["ts"], "I can only talk here.")
    (request,) = plugin_stack.model.requests
    assert "call-prep" not in request_text(request.body)
    assert "sales" not in json.dumps(request.body["system"])


async def test_loading_a_skill_of_another_channel_is_refused(plugin_stack: Stack) -> None:
    plugin_stack.model.script(
        "sneaky",
        [Turn([ToolUse("load_skill", {"name": "sales:call-prep"})]), Reply("understood")],
    )
    mention = await plugin_stack.mention("sneaky request", channel=OPS)
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "understood")
    (result,) = tool_results(plugin_stack.model.requests[1].body)
    assert result.get("is_error") is True
    assert CALL_PREP_LINE not in json.dumps(result)


async def test_slash_command_expands_with_its_arguments(plugin_stack: Stack) -> None:
    plugin_stack.model.script(
        lambda b: "handover" in json.dumps(b["messages"]), [Reply("handed over")]
    )
    mention = await plugin_stack.mention("/ops-notes:handover db-1 outage", channel=OPS)
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "handed over")
    text = json.dumps(plugin_stack.model.requests[0].body["messages"])
    assert "db-1 outage" in text
    assert "$ARGUMENTS" not in text


async def test_found_read_only_tool_runs_and_its_result_reaches_the_model(
    plugin_stack: Stack,
) -> None:
    model = plugin_stack.model
    model.script(
        "disk full",
        [
            Turn([ToolUse("find_tools", {"query": "search notes"})]),
            Turn([ToolUse("ops-notes__notes__search_notes", {"query": "disk full"})]),
            Reply("Rotate the logs."),
        ],
    )
    mention = await plugin_stack.mention("disk full on db-1, what now?", channel=OPS)
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "Rotate the logs.")
    first, second, third = (r.body for r in model.requests)
    (search,) = [t for t in first["tools"] if t["name"] == "ops-notes__notes__search_notes"]
    assert search["defer_loading"] is True, "schemas load lazily: announced, not loaded"
    assert first["tools"] == second["tools"] == third["tools"], "one tools array per task"
    (found,) = tool_results(second)
    reference = {"type": "tool_reference", "tool_name": "ops-notes__notes__search_notes"}
    assert reference in found["content"], "the search result loads the tool it found"
    (notes,) = tool_results(third)
    assert "rotate logs" in json.dumps(notes) and not notes.get("is_error")


async def test_side_effecting_tool_waits_for_approval_instead_of_running(
    plugin_stack: Stack, tmp_path: Path
) -> None:
    model = plugin_stack.model
    model.script(
        "write it down",
        [
            Turn([ToolUse("find_tools", {"query": "add note"})]),
            Turn([ToolUse("ops-notes__notes__add_note", {"title": "x", "text": "y"})]),
            Reply("Noted."),
        ],
    )
    mention = await plugin_stack.mention("write it down please", channel=OPS)
    thread = await plugin_stack.slack.until_thread(OPS, mention["ts"], "Approval needed")
    card = next(m for m in thread if "Approval needed" in m.all_text)
    assert "ops-notes__notes__add_note" in card.all_text and '"text": "y"' in card.all_text
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "Waiting for approval")
    assert len(model.requests) == 2, "the model is not asked again until someone decides"
    notes = json.loads((tmp_path / "notes.json").read_text())
    assert len(notes) == 1, "nothing was written"


async def test_a_connector_that_cannot_start_is_explained_in_the_thread(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> None:
    settings.config_path.write_text(
        f"""
plugins: [{ROOT / "examples" / "plugins"}]
channels: {{"*": [ops-notes]}}
connectors:
  notes:
    command: /nonexistent/notes-server
"""
    )
    stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    await stack.start()
    try:
        fake_anthropic.script(
            "any notes",
            [Turn([ToolUse("find_tools", {"query": "notes"})]), Reply("The notes server is down.")],
        )
        mention = await stack.mention("any notes about db-1?", channel=OPS)
        thread = await stack.slack.until_thread(OPS, mention["ts"], "is unavailable")
        notice = next(m.all_text for m in thread if "is unavailable" in m.all_text)
        assert "ops-notes/notes" in notice and "/nonexistent/notes-server" in notice
        (result,) = tool_results(fake_anthropic.requests[1].body)
        assert "Unavailable: ops-notes/notes" in json.dumps(result)
    finally:
        await stack.stop()


async def test_found_tools_stay_callable_after_a_restart(plugin_stack: Stack) -> None:
    model = plugin_stack.model
    model.script(
        "find the notes tool",
        [Turn([ToolUse("find_tools", {"query": "search notes"})]), Reply("Found it.")],
    )
    mention = await plugin_stack.mention("find the notes tool", channel=OPS)
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "Found it.")
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "Done")

    await plugin_stack.restart()

    model.script(
        lambda b: "use it now" in json.dumps(b["messages"]),
        [
            Turn([ToolUse("ops-notes__notes__search_notes", {"query": "disk full"})]),
            Reply("Used."),
        ],
    )
    await plugin_stack.reply("use it now", thread_ts=mention["ts"], channel=OPS)
    await plugin_stack.slack.until_thread(OPS, mention["ts"], "Used.")
    (notes,) = tool_results(model.requests[-1].body)
    assert "rotate logs" in json.dumps(notes) and not notes.get("is_error")
    assert model.requests[0].body["tools"] == model.requests[-1].body["tools"]
