"""`ask_user`: the model asks, the requester answers with a button or a thread reply, it goes on.

Real `serve` over HTTP with the fake Slack and fake model; the answer must reach the model as the
tool result, verbatim, and only the requester's answer counts.
"""

from __future__ import annotations

import json

from tests.approval_stack import buttons
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import Reply, ToolUse
from tests.harness.slack_sender import block_action
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack

ASK = "ask_user"


async def question_card(stack: Stack, thread_ts: str, text: str) -> SlackMessage:
    thread = await stack.slack.until_thread(
        CHANNEL, thread_ts, lambda ms: any(text in m.all_text and m.user == "UBOT" for m in ms)
    )
    return next(m for m in thread if text in m.all_text and m.user == "UBOT")


async def press(stack: Stack, card: SlackMessage, action: str, thread_ts: str, user: str) -> None:
    payload = block_action(
        action, buttons(card)[action], user=user, message_ts=card.ts, thread_ts=thread_ts
    )
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response


def result_text(body: dict) -> str:
    (result,) = tool_results(body)
    content = result["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


async def test_two_options_become_buttons_and_the_requesters_click_is_the_tool_result(
    stack: Stack,
) -> None:
    question = {"question": "Staging or production?", "options": ["staging", "production"]}
    stack.model.script(
        "deploy the fix", [ToolUse(ASK, question), Reply("Deploying to production.")]
    )
    mention = await stack.mention("deploy the fix")
    thread_ts = mention["ts"]
    card = await question_card(stack, thread_ts, "Staging or production?")
    labels = [
        b["text"]["text"]
        for blk in card.blocks
        if blk["type"] == "actions"
        for b in blk["elements"]
    ]
    assert "staging" in labels and "production" in labels
    assert len(stack.model.requests) == 1, "the task waits for the answer"

    await press(stack, card, "question.answer.0", thread_ts, "U0STRANGER")
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert told.args["user"] == "U0STRANGER" and "Only <@U0ALICE>" in str(told.args["text"])

    await press(stack, card, "question.answer.1", thread_ts, "U0ALICE")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Deploying to production.")
    assert result_text(stack.model.requests[1].body) == "production"
    answered = stack.slack.message(CHANNEL, card.ts)
    assert answered is not None and "<@U0ALICE> answered: *production*" in answered.all_text
    assert "question.answer.0" not in buttons(answered), "an answered question has no buttons"

    (task_id,) = await stack.task_ids_for(thread_ts)
    kinds = [e.kind for e in await stack.events(task_id)]
    assert kinds.count("question.asked") == 1 and kinds.count("question.answered") == 1


async def test_a_thread_reply_from_the_requester_answers_and_others_replies_are_conversation(
    stack: Stack,
) -> None:
    stack.model.script("pick a region", [ToolUse(ASK, {"question": "Which region?"}), Reply("EU.")])
    mention = await stack.mention("pick a region")
    thread_ts = mention["ts"]
    await question_card(stack, thread_ts, "Which region?")

    await stack.reply("I would say US", thread_ts=thread_ts, user="U0BOB")
    from tests.bot.test_steering import task_id_of, until_offered

    await until_offered(stack, await task_id_of(stack, thread_ts), 1)
    await stack.reply("EU, the Frankfurt one", thread_ts=thread_ts)
    await stack.slack.until_thread(CHANNEL, thread_ts, "EU.")

    second = stack.model.requests[1].body
    assert result_text(second) == "EU, the Frankfurt one", "the reply is the answer, verbatim"
    assert "<@U0BOB>: I would say US" in json.dumps(second["messages"][-1])
    assert len(stack.model.requests) == 2
