"""`ask_user`: the model asks, the requester answers with a button or a thread reply, it goes on.

Real `serve` over HTTP with the fake Slack and fake model; the answer must reach the model as the
tool result, verbatim, and only the requester's answer counts. A question expires like a
checkpoint, survives its process being killed, and a sub-agent's question comes back to it.
"""

from __future__ import annotations

import json

from bot.settings import Settings
from tests.approval_stack import buttons
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import block_action
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack, SubprocessStack, running

ASK = "ask_user"


async def question_card(stack: Stack | SubprocessStack, thread_ts: str, text: str) -> SlackMessage:
    thread = await stack.slack.until_thread(
        CHANNEL, thread_ts, lambda ms: any(text in m.all_text and m.user == "UBOT" for m in ms)
    )
    return next(m for m in thread if text in m.all_text and m.user == "UBOT")


async def press(
    stack: Stack | SubprocessStack, card: SlackMessage, action: str, thread_ts: str, user: str
) -> None:
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


async def test_an_unanswered_question_expires_the_card_says_so_and_the_model_is_told(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> None:
    settings.config_path.write_text("questions:\n  expire_after: 1s\n")
    app = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(app) as stack:
        question = {"question": "Which region?", "options": ["eu", "us"]}
        stack.model.script("pick one", [ToolUse(ASK, question), Reply("Went with the default.")])
        mention = await stack.mention("pick one")
        thread_ts = mention["ts"]
        card = await question_card(stack, thread_ts, "Which region?")
        assert "until <!date^" in card.all_text

        await stack.slack.until_thread(CHANNEL, thread_ts, "Went with the default.")
        (result,) = tool_results(stack.model.requests[1].body)
        assert result.get("is_error") is True and "nobody answered" in result_text(
            stack.model.requests[1].body
        )
        expired = stack.slack.message(CHANNEL, card.ts)
        assert expired is not None and "Expired unanswered" in expired.all_text
        assert "question.answer.0" not in buttons(expired)

        await press(stack, card, "question.answer.0", thread_ts, "U0ALICE")
        (told,) = await stack.slack.until_call("chat.postEphemeral")
        assert "expired" in str(told.args["text"])
        (task_id,) = await stack.task_ids_for(thread_ts)
        kinds = [e.kind for e in await stack.events(task_id)]
        assert "question.expired" in kinds and "question.answered" not in kinds
        assert len(stack.model.requests) == 2


async def test_a_question_survives_the_process_being_killed_and_is_answered_after(
    process: SubprocessStack,
) -> None:
    process.model.script(
        "release the build",
        [
            ToolUse(ASK, {"question": "Which channel?", "options": ["beta", "stable"]}),
            ToolUse(ASK, {"question": "Any release notes?"}),
            Reply("Released to stable."),
        ],
    )
    mention = await process.mention("release the build")
    thread_ts = mention["ts"]
    card = await question_card(process, thread_ts, "Which channel?")
    process.kill()
    await process.start()

    await press(process, card, "question.answer.1", thread_ts, "U0ALICE")
    await question_card(process, thread_ts, "Any release notes?")
    assert result_text(process.model.requests[1].body) == "stable"
    process.kill()
    await process.start()

    await process.reply("Fixes the login bug", thread_ts=thread_ts)
    await process.slack.until_thread(CHANNEL, thread_ts, "Released to stable.")
    assert result_text(process.model.requests[2].body) == "Fixes the login bug"
    assert len(process.model.requests) == 3


async def test_a_subagents_question_is_asked_in_the_thread_and_answered_back_to_it(
    stack: Stack,
) -> None:
    brief = "BRIEF-Q: find the account owner"
    stack.model.script(
        "who owns acme",
        [
            ToolUse("spawn_subagents", {"agents": [{"type": "general-purpose", "brief": brief}]}),
            Reply("Acme belongs to the EU team."),
        ],
    )
    stack.model.script(
        "BRIEF-Q",
        [
            ToolUse(ASK, {"question": "Acme EU or Acme US?", "options": ["EU", "US"]}),
            Reply("Owner: the EU team."),
        ],
    )
    mention = await stack.mention("who owns acme")
    thread_ts = mention["ts"]
    card = await question_card(stack, thread_ts, "Acme EU or Acme US?")
    assert "Asked by the sub-agent _general-purpose_" in card.all_text

    await press(stack, card, "question.answer.0", thread_ts, "U0ALICE")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Acme belongs to the EU team.")
    sub = [r.body for r in stack.model.requests if brief in json.dumps(r.body["messages"][0])]
    assert len(sub) == 2 and result_text(sub[1]) == "EU", "the answer went to the sub-agent"
    parent = [r.body for r in stack.model.requests if "who owns acme" in json.dumps(r.body)]
    assert "Owner: the EU team." in json.dumps(tool_results(parent[-1]))
