"""A mention in Slack becomes a task that a worker runs and answers in the thread — end to end.

Everything below goes through real HTTP: signed events into the real app, the real Slack and
Anthropic clients out to the fakes, real Redis and PostgreSQL.
"""

from __future__ import annotations

import re

from orchestrator.domain.events import ModelCalled
from tests.harness.anthropic_requests import last_user_text
from tests.harness.fake_anthropic import Error, Reply, StreamError
from tests.harness.fixtures import SINGLE_AND_CLUSTER
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack


def answers(thread: list[SlackMessage], text: str) -> list[SlackMessage]:
    return [m for m in thread if text in m.all_text]


def user_texts(body: dict) -> list[str]:
    out = []
    for message in body["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        out += [f"{message['role']}: {b['text']}" for b in blocks if b.get("type") == "text"]
    return out


@SINGLE_AND_CLUSTER
async def test_mention_is_answered_in_its_thread_and_follow_up_keeps_context(stack: Stack) -> None:
    stack.model.script("what a checkpoint is", [Reply("A checkpoint is an approval card.")])
    stack.model.script(lambda b: "Shorter" in last_user_text(b), [Reply("Approve before acting.")])

    mention = await stack.mention("summarise what a checkpoint is")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], "A checkpoint is an approval card."
    )
    assert all(m.thread_ts == mention["ts"] for m in thread), "every reply stays in the thread"
    assert any(
        "Done" in m.all_text for m in await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")
    )

    await stack.reply("Shorter please", thread_ts=mention["ts"])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Approve before acting.")

    second = stack.model.requests[1].body
    history = user_texts(second)
    assert any("summarise what a checkpoint is" in t for t in history)
    assert "assistant: A checkpoint is an approval card." in history
    assert history[-1].endswith("Shorter please")
    assert len(await stack.task_ids_for(mention["ts"])) == 1


async def test_progress_reply_appears_before_the_answer(stack: Stack) -> None:
    stack.model.script("progress", [Reply("here it is")])
    mention = await stack.mention("show progress")
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], "here it is")
    posts = stack.slack.calls_to("chat.postMessage")
    assert "Working" in posts[0].args["text"], "the first reply is the progress message"
    assert answers(thread, "here it is")[0].ts > posts[0].response["ts"]


async def test_redelivered_event_makes_one_task_and_one_answer(stack: Stack) -> None:
    stack.model.script("only once", [Reply("answered once")])
    from tests.harness.slack_sender import app_mention

    event = app_mention("only once please")
    first = await stack.sender.send_event(event)
    for retry in (1, 2):
        again = await stack.sender.send_event(event, event_id=first.event_id, retry_num=retry)
        assert again.status == 200
    thread = await stack.slack.until_thread(CHANNEL, event["ts"], "Done")
    assert len(answers(thread, "answered once")) == 1
    assert len(stack.model.requests) == 1
    assert len(await stack.task_ids_for(event["ts"])) == 1


async def test_thread_survives_a_restart_between_turns(stack: Stack) -> None:
    stack.model.script("remember the number", [Reply("Noted: 42.")])
    stack.model.script(lambda b: "which number" in last_user_text(b), [Reply("It was 42.")])
    mention = await stack.mention("remember the number 42")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Noted: 42.")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")

    await stack.restart()

    await stack.reply("which number was it?", thread_ts=mention["ts"])
    await stack.slack.until_thread(CHANNEL, mention["ts"], "It was 42.")
    assert "assistant: Noted: 42." in user_texts(stack.model.requests[-1].body)


async def test_one_overload_is_retried_and_the_user_still_gets_the_answer(stack: Stack) -> None:
    stack.model.script("overloaded once", [Error(529), Reply("made it")])
    mention = await stack.mention("overloaded once")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "made it")
    assert len(stack.model.requests) == 2


async def test_an_error_inside_the_stream_is_retried(stack: Stack) -> None:
    stack.model.script("stream hiccup", [StreamError("overloaded_error"), Reply("recovered")])
    mention = await stack.mention("stream hiccup")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "recovered")


async def test_persistent_overload_fails_the_task_with_a_correlation_id(stack: Stack) -> None:
    stack.model.script("always overloaded", [Error(529)] * 5)
    mention = await stack.mention("always overloaded")
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], "Reference:")
    notice = answers(thread, "Reference:")[0].all_text
    assert "Traceback" not in notice
    correlation = re.search(r"Reference: `([0-9a-f]{12})`", notice)
    assert correlation, notice
    assert len(stack.model.requests) == 5

    (task_id,) = await stack.task_ids_for(mention["ts"])
    (task,) = [t for t in await stack.tasks() if t.id == task_id]
    assert task.status == "failed"
    failed = [e for e in await stack.events(task_id) if e.kind == "task.failed"]
    assert failed and failed[0].correlation_id == correlation.group(1)


async def test_model_calls_and_token_usage_are_in_the_activity_log(stack: Stack) -> None:
    stack.model.script("count my tokens", [Reply("counted")])
    mention = await stack.mention("count my tokens")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")
    (task_id,) = await stack.task_ids_for(mention["ts"])
    calls = [e for e in await stack.events(task_id) if isinstance(e, ModelCalled)]
    assert len(calls) == 1
    # A prefix long enough to cache is counted as cache writes rather than plain input.
    prompt = calls[0].input_tokens + calls[0].cache_write_tokens + calls[0].cache_read_tokens
    assert prompt > 0 and calls[0].output_tokens > 0
    (task,) = [t for t in await stack.tasks() if t.id == task_id]
    assert task.status == "completed"
    assert task.input_tokens == calls[0].input_tokens
