"""`/threadwork` end to end: `status` lists my running task (not my finished ones, never other
people's), `usage` sums this month's tokens and cost, mine and the channel's; both privately.

Real `serve` over HTTP with the fake Slack and model, Redis and PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid

from tests.harness.fake_anthropic import Reply
from tests.harness.slack_sender import slash_command
from tests.stack import Stack

# The database lives for the whole test session: this test's people and channel are its own.
CHANNEL = f"C{uuid.uuid4().hex[:8].upper()}"
ALICE, BOB = (f"U{name}{uuid.uuid4().hex[:6].upper()}" for name in ("ALICE", "BOB"))


async def typed(stack: Stack, text: str, user: str, count: int) -> str:
    """Type `/threadwork text` as `user` in CHANNEL; the text of the `count`th private answer."""
    fields = slash_command(text, response_url=stack.slack.response_url, user=user, channel=CHANNEL)
    response = await stack.sender.send_command(fields)
    assert response.status == 200, response
    answers = await stack.slack.until_call("response_url", count=count)
    answer = answers[count - 1].args
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"]) + "\n" + str(answer.get("blocks"))


async def test_status_lists_my_running_task_and_usage_counts_it(stack: Stack) -> None:
    stack.model.script("finished errand", [Reply("All done.")])
    finished = await stack.mention("finished errand", user=ALICE, channel=CHANNEL)
    await stack.slack.until_thread(CHANNEL, finished["ts"], "Done")
    stack.model.script("bob's own task", [Reply("Bob's answer.")])
    bob = await stack.mention("bob's own task", user=BOB, channel=CHANNEL)
    await stack.slack.until_thread(CHANNEL, bob["ts"], "Done")

    held = threading.Event()
    stack.model.script("long migration", [Reply("Migrated.", hold=held)])
    try:
        await stack.mention("long migration", user=ALICE, channel=CHANNEL)
        await stack.model.until_in_flight(1)

        status = await typed(stack, "status", ALICE, 1)
        assert "You have 1 task running or waiting" in status
        assert "long migration" in status and "Working" in status
        assert "finished errand" not in status and "bob's own task" not in status

        usage = await typed(stack, "usage", ALICE, 2)
        assert "*You, in every channel*: 2 tasks" in usage, "the finished and the running one"
        assert f"*Everyone in <#{CHANNEL}>*: 3 tasks" in usage
        assert "tokens in" in usage
    finally:
        held.set()

    help_text = await typed(stack, "", ALICE, 3)
    assert "/threadwork status" in help_text and "/threadwork usage" in help_text
