"""Sub-agents through Slack: own briefs and tools, summaries to the parent, progress replies,
failure isolation, checkpoints inside a sub-agent.

Real `serve`, fake Slack and fake model over HTTP (the fake answers each agent by its own
conversation), real MCP servers of the `ledger` test plugin and the `ops-notes` example.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from orchestrator.domain.events import SubagentFinished
from tests.approval_stack import CREATE, PLUGINS, cards, click, executions
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import Error, FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack, running

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[Stack]:
    notes = tmp_path / "notes.json"
    notes.write_text("[]")
    settings.config_path.write_text(
        f"""
plugins: [{PLUGINS / "ledger"}, {ROOT / "examples" / "plugins"}]
channels:
  "*": [ledger, ops-notes]
connectors:
  tickets:
    env:
      LEDGER_FILE: "{tmp_path / "ledger.jsonl"}"
  notes:
    env:
      OPS_NOTES_FILE: "{notes}"
"""
    )
    settings = settings.model_copy(update={"model_max_attempts": 2})
    app = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(app):
        yield app


def spawn(*agents: dict[str, Any]) -> Turn:
    return Turn([Text("Splitting the work."), ToolUse("spawn_subagents", {"agents": list(agents)})])


def requests_of(model: FakeAnthropic, marker: str) -> list[dict[str, Any]]:
    """Bodies of the requests of the conversation whose first user message contains `marker`."""
    out = []
    for request in model.requests:
        first = request.body["messages"][0]["content"]
        if marker in json.dumps(first):
            out.append(request.body)
    return out


SUBAGENT_HEADLINE = ":robot_face: Sub-agent `"
"""How a sub-agent's own reply starts; the parent's plan names sub-agents too, without it."""


def subagent_replies(thread: list[SlackMessage]) -> list[SlackMessage]:
    return [m for m in thread if SUBAGENT_HEADLINE in m.all_text]


async def test_three_subagents_work_on_their_own_briefs_and_the_parent_gets_summaries(
    stack: Stack,
) -> None:
    model = stack.model
    model.script(
        "review the three contracts",
        [
            spawn(
                {"type": "general-purpose", "brief": "BRIEF-A: review contract A"},
                {"type": "general-purpose", "brief": "BRIEF-B: review contract B"},
                {
                    "type": "general-purpose",
                    "brief": "BRIEF-C: check open tickets",
                    "tools": ["ledger__tickets__list_tickets"],
                },
            ),
            Reply("All three contracts reviewed."),
        ],
    )
    model.script(
        "BRIEF-A",
        [
            Turn([Text("scratch work A"), ToolUse("find_tools", {"query": "contract"})]),
            Reply("Summary A: fine"),
        ],
    )
    model.script(
        "BRIEF-B",
        [
            Turn([Text("scratch work B"), ToolUse("load_skill", {"name": "nope"})]),
            Reply("Summary B: renewal clause risky"),
        ],
    )
    model.script(
        "BRIEF-C",
        [Turn([ToolUse("find_tools", {"query": "ticket"})]), Reply("Summary C: no tickets")],
    )
    mention = await stack.mention("review the three contracts please")
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], "All three contracts reviewed.")

    for marker, others in (("BRIEF-A", "BRIEF-B"), ("BRIEF-B", "BRIEF-C"), ("BRIEF-C", "BRIEF-A")):
        for body in requests_of(model, marker):
            text = json.dumps(body["messages"])
            assert others not in text and "review the three contracts" not in text
            assert "spawn_subagents" not in [t["name"] for t in body.get("tools", [])]
    (found,) = tool_results(requests_of(model, "BRIEF-C")[-1])
    assert "list_tickets" in json.dumps(found)
    assert "create_ticket" not in json.dumps(found), "a sub-agent sees only the tools it was given"

    parent = requests_of(model, "review the three contracts")[-1]
    (result,) = tool_results(parent)
    report = json.dumps(result)
    for summary in ("Summary A: fine", "Summary B: renewal clause risky", "Summary C: no tickets"):
        assert summary in report
    assert "scratch work" not in json.dumps(parent["messages"]), "no intermediate messages"

    replies = subagent_replies(thread)
    assert len(replies) == 3
    thread = await stack.slack.until_thread(
        CHANNEL,
        mention["ts"],
        lambda ms: sum("done" in m.all_text for m in subagent_replies(ms)) == 3,
    )
    assert any("Summary B: renewal clause risky" in m.all_text for m in subagent_replies(thread))

    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")  # the task is settled
    (task_id,) = await stack.task_ids_for(mention["ts"])
    finished = [e for e in await stack.events(task_id) if isinstance(e, SubagentFinished)]
    assert len(finished) == 3 and all(e.input_tokens + e.cache_read_tokens > 0 for e in finished)


async def test_plugin_agent_definition_sets_prompt_model_and_tools(stack: Stack) -> None:
    model = stack.model
    model.script(
        "dig through the notes",
        [
            spawn({"type": "ops-notes:notes-researcher", "brief": "BRIEF-N: db-1 history"}),
            Reply("Digest ready."),
        ],
    )
    model.script(
        "BRIEF-N",
        [Turn([ToolUse("find_tools", {"query": "notes"})]), Reply("- nothing on db-1")],
    )
    mention = await stack.mention("dig through the notes for db-1")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Digest ready.")
    first, second = requests_of(model, "BRIEF-N")
    assert first["model"] == "claude-haiku-4-5", "model: haiku maps to the configured id"
    assert "You research the team's operational notes" in json.dumps(first["system"])
    (found,) = tool_results(second)
    assert "search_notes" in json.dumps(found) and "add_note" not in json.dumps(found)


async def test_one_failing_subagent_leaves_the_others_and_the_parent_says_so(
    stack: Stack,
) -> None:
    model = stack.model
    model.script(
        "three jobs",
        [
            spawn(
                {"type": "general-purpose", "brief": "BRIEF-OK1: part one"},
                {"type": "general-purpose", "brief": "BRIEF-BAD: part two"},
                {"type": "general-purpose", "brief": "BRIEF-OK2: part three"},
            ),
            Reply("Two parts done; part two failed."),
        ],
    )
    model.script("BRIEF-OK1", [Reply("one is done")])
    model.script("BRIEF-BAD", [Error(529), Error(529)])
    model.script("BRIEF-OK2", [Reply("three is done")])
    mention = await stack.mention("three jobs please")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], "Two parts done; part two failed."
    )
    (result,) = tool_results(requests_of(model, "three jobs")[-1])
    report = json.dumps(result)
    assert "one is done" in report and "three is done" in report
    assert "FAILED" in report and "model API failed" in report
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], lambda ms: any("failed" in m.all_text for m in subagent_replies(ms))
    )
    failed = [m for m in subagent_replies(thread) if ":x: failed" in m.all_text]
    assert len(failed) == 1 and "part two" in failed[0].all_text


async def test_a_subagent_waits_for_approval_while_its_siblings_finish(
    stack: Stack, tmp_path: Path
) -> None:
    model = stack.model
    model.script(
        "file and check",
        [
            spawn(
                {"type": "general-purpose", "brief": "BRIEF-FILE: file the outage ticket"},
                {"type": "general-purpose", "brief": "BRIEF-X: read part x"},
                {"type": "general-purpose", "brief": "BRIEF-Y: read part y"},
            ),
            Reply("Ticket filed and parts read."),
        ],
    )
    model.script(
        "BRIEF-FILE",
        [
            Turn([ToolUse("find_tools", {"query": "ticket"})]),
            Turn([ToolUse(CREATE, {"title": "outage"})]),
            Reply("filed T-1"),
        ],
    )
    model.script("BRIEF-X", [Reply("x read")])
    model.script("BRIEF-Y", [Reply("y read")])
    mention = await stack.mention("file and check please")
    (card,) = await cards(stack.slack, mention["ts"])
    thread = await stack.slack.until_thread(
        CHANNEL,
        mention["ts"],
        lambda ms: (
            sum("done" in m.all_text for m in subagent_replies(ms)) == 2
            and any("waiting for approval" in m.all_text for m in subagent_replies(ms))
        ),
    )
    assert not any("Ticket filed and parts read." in m.all_text for m in thread)
    assert executions(tmp_path / "ledger.jsonl") == []

    await click(stack, "approve", card, mention["ts"])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Ticket filed and parts read.")
    (result,) = tool_results(requests_of(model, "file and check")[-1])
    assert "filed T-1" in json.dumps(result) and "x read" in json.dumps(result)
    assert len(executions(tmp_path / "ledger.jsonl", "create_ticket")) == 1


async def test_spawning_too_many_or_unknown_types_is_explained_to_the_model(
    stack: Stack,
) -> None:
    model = stack.model
    model.script(
        "too many helpers",
        [
            spawn(*({"type": "general-purpose", "brief": f"BRIEF-{i}"} for i in range(9))),
            spawn({"type": "nonexistent", "brief": "BRIEF-?"}),
            Reply("I'll do it myself."),
        ],
    )
    mention = await stack.mention("too many helpers please")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "I'll do it myself.")
    first, second, third = requests_of(model, "too many helpers")
    (too_many,) = tool_results(second)
    assert too_many.get("is_error") and "At most 8 sub-agents" in json.dumps(too_many)
    (unknown,) = tool_results(third)
    assert unknown.get("is_error") and "ops-notes:notes-researcher" in json.dumps(unknown)


async def test_a_new_message_cancels_waiting_subagents_and_the_conversation_goes_on(
    stack: Stack, tmp_path: Path
) -> None:
    model = stack.model
    model.script(
        "file it via a helper",
        [spawn({"type": "general-purpose", "brief": "BRIEF-W: file the ticket"})],
    )
    model.script(
        "BRIEF-W",
        [
            Turn([ToolUse("find_tools", {"query": "ticket"})]),
            Turn([ToolUse(CREATE, {"title": "later"})]),
        ],
    )
    model.script(
        lambda body: "forget it" in json.dumps(body["messages"][-1]), [Reply("Dropped it.")]
    )
    mention = await stack.mention("file it via a helper")
    (card,) = await cards(stack.slack, mention["ts"])
    await stack.reply("forget it", thread_ts=mention["ts"])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Dropped it.")
    await stack.slack.until_thread(
        CHANNEL,
        mention["ts"],
        lambda ms: any(":x: failed" in m.all_text for m in subagent_replies(ms)),
    )
    last = model.requests[-1].body
    (result,) = [b for b in last["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert "FAILED" in json.dumps(result) and "moved on" in json.dumps(result)
    await click(stack, "approve", card, mention["ts"])
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert "cancelled" in json.dumps(told.args)
    assert executions(tmp_path / "ledger.jsonl") == []
