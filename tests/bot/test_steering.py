"""Steering a running turn, and the context a mention partway down a thread starts with.

Real `serve` over HTTP with the fake Slack and a fake model whose calls can be held in flight.
"""

from __future__ import annotations

import asyncio
import json
import threading

from redis.asyncio import Redis

from orchestrator.adapters.redis.keys import Keys
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import Reply, ToolUse, Turn
from tests.stack import CHANNEL, Stack


async def until_offered(stack: Stack, task_id: str, count: int = 1, timeout: float = 5) -> None:  # noqa: ASYNC109
    """Wait until the listener has offered `count` messages to the task's running turn."""
    redis = Redis.from_url(stack.settings.redis_url)
    key = Keys(stack.settings.redis_prefix).inbox(task_id)
    try:
        async with asyncio.timeout(timeout):
            while await redis.llen(key) < count:  # noqa: ASYNC110 - another process writes it
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()


async def task_id_of(stack: Stack, thread_ts: str) -> str:
    redis = Redis.from_url(stack.settings.redis_url)
    try:
        keys = Keys(stack.settings.redis_prefix)
        async with asyncio.timeout(5):
            while True:
                value = await redis.get(f"{keys.prefix}:thread:T0TEAM:{CHANNEL}:{thread_ts}")
                if value is not None:
                    return value.decode()
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()


def texts(body: dict) -> list[str]:
    out = []
    for message in body["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        out += [b["text"] for b in blocks if b.get("type") == "text"]
    return out


async def test_a_message_during_a_model_step_reaches_the_next_request_of_the_same_turn(
    stack: Stack,
) -> None:
    held = threading.Event()
    stack.model.script(
        "check production",
        [
            Turn([ToolUse("find_tools", {"query": "deploys"})], hold=held),
            Reply("Checked staging too."),
            Reply("Nothing else."),
        ],
    )
    try:
        mention = await stack.mention("check production")
        thread_ts = mention["ts"]
        await stack.model.until_in_flight(1)
        task_id = await task_id_of(stack, thread_ts)
        await stack.reply("also check staging", thread_ts=thread_ts)
        await stack.reply("and the EU region", thread_ts=thread_ts, user="U0BOB")
        await until_offered(stack, task_id, 2)
    finally:
        held.set()
    await stack.slack.until_thread(CHANNEL, thread_ts, "Checked staging too.")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Done")

    second = stack.model.requests[1].body
    assert tool_results(second), "the tool result is in the same request"
    last = second["messages"][-1]
    steering = [b["text"] for b in last["content"] if b.get("type") == "text"]
    assert steering == ["<@U0ALICE>: also check staging", "<@U0BOB>: and the EU region"]

    await stack.reply("anything else?", thread_ts=thread_ts)
    await stack.slack.until_thread(CHANNEL, thread_ts, "Nothing else.")
    assert len(stack.model.requests) == 3, "a steering message is not run again as its own turn"
    history = texts(stack.model.requests[2].body)
    assert history.count("<@U0ALICE>: also check staging") == 1
    assert json.dumps(history).count("and the EU region") == 1


async def test_a_mention_partway_down_a_thread_starts_with_its_earlier_messages(
    stack: Stack,
) -> None:
    parent = stack.slack.seed_message(CHANNEL, "The deploy failed at 14:02", user="U0CAROL")
    stack.slack.seed_message(
        CHANNEL,
        "Logs attached",
        user="U0DAVE",
        thread_ts=parent.ts,
        files=[{"id": "F1", "name": "deploy.log"}],
    )
    stack.model.script("what went wrong", [Reply("The migration timed out.")])
    await stack.mention("what went wrong?", thread_ts=parent.ts)
    await stack.slack.until_thread(CHANNEL, parent.ts, "The migration timed out.")

    first = stack.model.requests[0].first_user_text
    assert "<@U0CAROL>: The deploy failed at 14:02" in first
    assert "<@U0DAVE>: Logs attached [files: deploy.log]" in first
    assert first.index("14:02") < first.index("<@U0ALICE>: what went wrong?")
    assert len(stack.slack.calls_to("conversations.replies")) == 1


async def test_a_top_level_mention_reads_no_thread(stack: Stack) -> None:
    stack.model.script("fresh start", [Reply("hello")])
    mention = await stack.mention("fresh start")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "hello")
    assert stack.slack.calls_to("conversations.replies") == []
    assert stack.model.requests[0].first_user_text == "<@U0ALICE>: fresh start"
