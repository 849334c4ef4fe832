"""A connector's server asks for input mid-call (MCP elicitation), answered through Slack.

Real `serve`, the fake Slack and model over HTTP, and our `elicit.py` MCP server as a real
process (the `forms` test plugin). Form mode opens a modal built from the schema; URL mode is a
link button; declining and expiring are clean replies for the server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from tests.approval_stack import PLUGINS, buttons
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import block_action, view_submission
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack

DEPLOY = "forms__elicit__configure_deploy"
LINK = "forms__elicit__link_account"
MakeStack = Callable[[str], Awaitable[Stack]]


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "elicit.jsonl"


@pytest.fixture
async def make_stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, server_log: Path
) -> AsyncIterator[MakeStack]:
    started: list[Stack] = []

    async def make(extra: str = "") -> Stack:
        settings.config_path.write_text(
            f"""
plugins: [{PLUGINS / "forms"}]
channels:
  "*": [forms]
connectors:
  elicit:
    env:
      ELICIT_LOG: "{server_log}"
{extra}
"""
        )
        stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
        await stack.start()
        started.append(stack)
        return stack

    yield make
    for stack in started:
        await stack.stop()


def server_replies(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def script(stack: Stack, marker: str, tool: str, arguments: dict[str, Any], then: str) -> None:
    stack.model.script(
        marker,
        [ToolUse("find_tools", {"query": tool}), ToolUse(tool, arguments), Reply(then)],
    )


async def request_card(stack: Stack, thread_ts: str, text: str) -> SlackMessage:
    thread = await stack.slack.until_thread(
        CHANNEL, thread_ts, lambda ms: any(text in m.all_text and "asks" in m.all_text for m in ms)
    )
    return next(m for m in thread if text in m.all_text and "asks" in m.all_text)


async def press(stack: Stack, card: SlackMessage, action: str, thread_ts: str, user: str) -> None:
    payload = block_action(
        action, buttons(card)[action], user=user, message_ts=card.ts, thread_ts=thread_ts
    )
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response


def result_of(body: dict[str, Any]) -> dict[str, Any]:
    (result,) = tool_results(body)
    return result


async def test_a_form_request_opens_a_modal_from_the_schema_and_the_answer_reaches_the_server(
    make_stack: MakeStack, server_log: Path
) -> None:
    stack = await make_stack("")
    script(stack, "ship the api", DEPLOY, {"service": "api"}, "Deploy prepared.")
    mention = await stack.mention("ship the api")
    thread_ts = mention["ts"]
    card = await request_card(stack, thread_ts, "How should api be deployed?")
    assert {"elicitation.open", "elicitation.decline"} <= set(buttons(card))

    await press(stack, card, "elicitation.open", thread_ts, "U0STRANGER")
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert told.args["user"] == "U0STRANGER" and "Only <@U0ALICE>" in str(told.args["text"])
    assert stack.slack.views == [], "no form for someone else"

    await press(stack, card, "elicitation.open", thread_ts, "U0ALICE")
    await stack.slack.until_call("views.open")
    (opened,) = stack.slack.views
    inputs = {b["block_id"]: b for b in opened.view["blocks"] if b["type"] == "input"}
    kinds = {name: block["element"]["type"] for name, block in inputs.items()}
    assert kinds == {
        "environment": "static_select",
        "replicas": "number_input",
        "notify": "checkboxes",
        "note": "plain_text_input",
    }
    assert inputs["replicas"]["element"]["max_value"] == "10"
    assert not inputs["environment"]["optional"] and inputs["note"]["optional"]

    def values(replicas: str) -> dict[str, Any]:
        return {
            "environment": {
                "environment": {
                    "type": "static_select",
                    "selected_option": {"value": "production"},
                }
            },
            "replicas": {"replicas": {"type": "number_input", "value": replicas}},
            "notify": {"notify": {"type": "checkboxes", "selected_options": [{"value": "true"}]}},
            "note": {"note": {"type": "plain_text_input", "value": None}},
        }

    metadata = opened.view["private_metadata"]
    bad = await stack.sender.send_interaction(
        view_submission("elicitation.form", metadata, values("2.5"))
    )
    assert bad.json() == {
        "response_action": "errors",
        "errors": {"replicas": "A whole number, please."},
    }
    assert server_replies(server_log) == [], "nothing reaches the server until the form is valid"

    good = await stack.sender.send_interaction(
        view_submission("elicitation.form", metadata, values("3"))
    )
    assert good.status == 200 and not good.body.strip()
    await stack.slack.until_thread(CHANNEL, thread_ts, "Deploy prepared.")
    (reply,) = server_replies(server_log)
    assert reply["reply"] == {
        "action": "accept",
        "content": {"environment": "production", "replicas": 3, "notify": True},
    }
    result = result_of(stack.model.requests[-1].body)
    assert not result.get("is_error") and '\\"replicas\\": 3' in json.dumps(result)
    answered = stack.slack.message(CHANNEL, card.ts)
    assert answered is not None and "<@U0ALICE> answered" in answered.all_text
    assert "elicitation.open" not in buttons(answered)
    await stack.slack.until_thread(CHANNEL, thread_ts, "Done")  # the task record is final
    (task_id,) = await stack.task_ids_for(thread_ts)
    events = [e for e in await stack.events(task_id) if e.kind.startswith("elicitation.")]
    assert [e.kind for e in events] == ["elicitation.requested", "elicitation.answered"]
    assert "production" not in json.dumps([e.model_dump() for e in events]), "no values logged"


async def test_declining_a_form_and_opening_a_link_are_clean_replies_for_the_server(
    make_stack: MakeStack, server_log: Path
) -> None:
    stack = await make_stack("")
    script(stack, "ship the worker", DEPLOY, {"service": "worker"}, "Not deployed, as you said.")
    mention = await stack.mention("ship the worker")
    card = await request_card(stack, mention["ts"], "How should worker be deployed?")
    await press(stack, card, "elicitation.decline", mention["ts"], "U0ALICE")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Not deployed, as you said.")
    result = result_of(stack.model.requests[-1].body)
    assert not result.get("is_error") and "chose decline" in json.dumps(result)
    declined = stack.slack.message(CHANNEL, card.ts)
    assert declined is not None and "<@U0ALICE> declined" in declined.all_text

    script(stack, "link billing", LINK, {}, "Billing linked.")
    mention = await stack.mention("link billing")
    card = await request_card(stack, mention["ts"], "Link your billing account")
    link = next(
        e
        for b in card.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "elicitation.link"
    )
    assert link["url"] == "https://billing.example.test/link?session=s-42"
    await press(stack, card, "elicitation.link", mention["ts"], "U0ALICE")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Billing linked.")
    assert [r["reply"]["action"] for r in server_replies(server_log)] == ["decline", "accept"]
    assert "answered: accept" in json.dumps(result_of(stack.model.requests[-1].body))


async def test_an_unanswered_request_is_cancelled_after_its_bound_and_the_call_goes_on(
    make_stack: MakeStack, server_log: Path
) -> None:
    stack = await make_stack("questions:\n  elicitation_wait: 1s\n")
    script(stack, "ship later", DEPLOY, {"service": "cron"}, "Nobody filled the form.")
    mention = await stack.mention("ship later")
    card = await request_card(stack, mention["ts"], "How should cron be deployed?")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Nobody filled the form.")
    assert [r["reply"]["action"] for r in server_replies(server_log)] == ["cancel"]
    await stack.slack.until_thread(
        CHANNEL,
        mention["ts"],
        lambda ms: any(m.ts == card.ts and "Nobody answered in time" in m.all_text for m in ms),
    )
    await press(stack, card, "elicitation.decline", mention["ts"], "U0ALICE")
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert "already answered, declined or expired" in str(told.args["text"])
