"""Feedback on answers, end to end: 👍/👎 under every answer, the task's reference in its footer,
clicks recorded in the activity log and printed by `threadwork runs show`; `runs list --thread`
finds the task from the thread's link.

Real `serve` over HTTP, the fake Slack and model, PostgreSQL, and the real CLI.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable

import pytest

from bot.cli.main import main
from bot.settings import Settings
from tests.harness.fake_anthropic import Reply
from tests.harness.slack_sender import block_action, view_submission
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack

Cli = Callable[..., Awaitable[str]]


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)

    async def run(*args: str) -> str:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(args))
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out

    return run


def feedback_values(message: SlackMessage) -> dict[str, str]:
    for block in message.blocks:
        if block["type"] == "context_actions":
            (element,) = block["elements"]
            return {
                "positive": element["positive_button"]["value"],
                "negative": element["negative_button"]["value"],
            }
    return {}


async def answered(stack: Stack, text: str) -> tuple[str, SlackMessage]:
    stack.model.script(text, [Reply(f"Answer to {text}.")])
    mention = await stack.mention(text)
    # The task is recorded before the progress says done.
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], f"Answer to {text}.")
    (answer,) = [m for m in thread if f"Answer to {text}." in m.all_text]
    return mention["ts"], answer


async def press(stack: Stack, answer: SlackMessage, thread_ts: str, value: str, user: str) -> None:
    payload = block_action(
        "answer.feedback",
        value,
        user=user,
        message_ts=answer.ts,
        thread_ts=thread_ts,
        element="feedback_buttons",
    )
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response


async def test_a_thumbs_up_is_recorded_and_printed_by_runs_show(stack: Stack, cli: Cli) -> None:
    thread_ts, answer = await answered(stack, "is the deploy green")
    (task_id,) = await stack.task_ids_for(thread_ts)
    footer = re.search(r"threadwork runs show (\S+?)`", answer.all_text)
    assert footer is not None and footer.group(1) == task_id, "the footer names the task"

    await press(stack, answer, thread_ts, feedback_values(answer)["positive"], "U0BOB")
    (thanks,) = await stack.slack.until_call("chat.postEphemeral")
    assert thanks.args["user"] == "U0BOB" and "Thanks" in thanks.args["text"]

    shown = await cli("runs", "show", task_id)
    (line,) = [line for line in shown.splitlines() if "feedback" in line]
    assert "positive" in line and "U0BOB" in line and answer.ts in line


async def test_a_thumbs_down_asks_why_and_both_are_recorded(stack: Stack, cli: Cli) -> None:
    thread_ts, answer = await answered(stack, "summarise the outage")
    (task_id,) = await stack.task_ids_for(thread_ts)

    await press(stack, answer, thread_ts, feedback_values(answer)["negative"], "U0ALICE")
    (opened,) = await stack.slack.until_call("views.open")
    view = opened.args["view"]
    values = {"comment": {"comment": {"type": "plain_text_input", "value": "It missed the DB"}}}
    submission = view_submission(view["callback_id"], view["private_metadata"], values)
    response = await stack.sender.send_interaction(submission)
    assert response.status == 200, response

    (thanks,) = await stack.slack.until_call("chat.postEphemeral")
    assert thanks.args["user"] == "U0ALICE" and "Thanks" in thanks.args["text"]
    shown = await cli("runs", "show", task_id)
    (vote,) = [line for line in shown.splitlines() if "negative from U0ALICE" in line]
    assert " feedback " in f" {vote} "
    (comment,) = [line for line in shown.splitlines() if "feedback.comment" in line]
    assert "U0ALICE" in comment and json.dumps("It missed the DB") in comment


async def test_another_threads_task_id_records_nothing(stack: Stack) -> None:
    thread_ts, answer = await answered(stack, "first thread")
    other_ts, _ = await answered(stack, "second thread")
    (other_task,) = await stack.task_ids_for(other_ts)
    # The other task's button value, pressed under this thread's answer.
    await press(stack, answer, thread_ts, f"positive:{other_task}", "U0MALLORY")
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert told.args["user"] == "U0MALLORY" and "can't find a task" in told.args["text"]
    assert not any(e.kind == "feedback" for e in await stack.events(other_task))


async def test_runs_list_finds_the_task_from_the_threads_link(stack: Stack, cli: Cli) -> None:
    thread_ts, _ = await answered(stack, "find me by link")
    await answered(stack, "another task")
    (task_id,) = await stack.task_ids_for(thread_ts)
    link = f"https://acme.slack.com/archives/{CHANNEL}/p{thread_ts.replace('.', '')}"

    listed = await cli("runs", "list", "--thread", link)
    (header, row) = listed.splitlines()
    assert row.startswith(task_id)
    assert await cli("runs", "list", "--channel", CHANNEL, "--thread", thread_ts) == listed
