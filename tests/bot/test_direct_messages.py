"""Direct messages and Slack's assistant container, end to end: a DM starts a task answered in
its thread and a reply there continues it; opening the assistant suggests the enabled plugins'
commands and skills, and a message in its conversation is answered like a DM.

Real `serve` over HTTP with the fake Slack and model, Redis and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.harness.anthropic_requests import last_user_text
from tests.harness.fake_anthropic import FakeAnthropic, Reply
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import (
    assistant_thread_started,
    direct_message,
    event_home_opened,
)
from tests.stack import Stack, running

DM = "D0ALICE"


async def send(stack: Stack, event: dict) -> dict:
    response = await stack.sender.send_event(event)
    assert response.status == 200, response
    return event


async def test_a_dm_gets_an_answer_in_its_thread_and_a_reply_continues_it(stack: Stack) -> None:
    stack.model.script("what changed in billing", [Reply("Billing moved to monthly.")])
    stack.model.script(lambda b: "and refunds" in last_user_text(b), [Reply("Refunds too.")])

    first = await send(stack, direct_message("what changed in billing?", channel=DM))
    thread = await stack.slack.until_thread(DM, first["ts"], "Billing moved to monthly.")
    assert all(m.thread_ts == first["ts"] for m in thread if m.ts != first["ts"])
    await stack.slack.until_thread(DM, first["ts"], "Done")

    await send(stack, direct_message("and refunds?", channel=DM, thread_ts=first["ts"]))
    await stack.slack.until_thread(DM, first["ts"], "Refunds too.")
    assert len(await stack.task_ids_for(first["ts"])) == 1, "one task per DM thread"
    assert "what changed in billing" in str(stack.model.requests[-1].body["messages"])


@pytest.fixture
async def with_plugin(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[Stack]:
    plugin = tmp_path / "ops"
    (plugin / "commands").mkdir(parents=True)
    (plugin / "commands" / "triage.md").write_text(
        "---\ndescription: Triage a ticket\nargument-hint: [ticket]\n---\nTriage $ARGUMENTS.\n"
    )
    (plugin / "skills" / "incident-review").mkdir(parents=True)
    (plugin / "skills" / "incident-review" / "SKILL.md").write_text(
        "---\nname: incident-review\ndescription: Review an incident and its timeline\n---\n"
        "Read the timeline first.\n"
    )
    settings.config_path.write_text(f'plugins: ["{plugin}"]\nchannels:\n  "*": [ops]\n')
    stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(stack):
        yield stack


async def test_the_assistant_suggests_the_plugins_and_answers_its_conversation(
    with_plugin: Stack,
) -> None:
    stack = with_plugin
    opened = await send(stack, assistant_thread_started(user="U0ALICE", channel=DM))
    thread_ts = opened["assistant_thread"]["thread_ts"]
    (call,) = await stack.slack.until_call("assistant.threads.setSuggestedPrompts")
    assert (call.args["channel_id"], call.args["thread_ts"]) == (DM, thread_ts)
    prompts = call.args["prompts"]
    assert {"title": "Triage", "message": "/ops:triage"} in prompts
    assert any("ops:incident-review" in p["message"] for p in prompts)

    stack.model.script("review last night", [Reply("Here is the review.")])
    await send(stack, direct_message("review last night", channel=DM, thread_ts=thread_ts))
    await stack.slack.until_thread(DM, thread_ts, "Here is the review.")


async def test_opening_the_messages_tab_suggests_the_plugins_there(with_plugin: Stack) -> None:
    await send(with_plugin, event_home_opened("U0ALICE", tab="messages"))
    (call,) = await with_plugin.slack.until_call("assistant.threads.setSuggestedPrompts")
    assert call.args["channel_id"] == DM and not call.args.get("thread_ts")
    assert {"title": "Triage", "message": "/ops:triage"} in call.args["prompts"]
    assert not with_plugin.slack.calls_to("views.publish"), "the Home tab is not the Messages tab"
