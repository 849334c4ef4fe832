"""The thread's assistant status says what the task is doing, and is cleared when it ends.

Real `serve` over HTTP with the fake Slack (which keeps the status showing per thread and clears
it, as Slack does, when the bot replies) and the fake model.
"""

from __future__ import annotations

from tests.harness.fake_anthropic import Reply, ToolUse
from tests.stack import CHANNEL, Stack


async def test_status_follows_the_work_and_is_cleared_when_the_answer_is_in(stack: Stack) -> None:
    stack.model.script(
        "look it up",
        [ToolUse("find_tools", {"query": "disk usage"}), Reply("Found nothing relevant.")],
    )
    mention = await stack.mention("look it up")
    thread_ts = mention["ts"]
    await stack.slack.until_thread(CHANNEL, thread_ts, "Found nothing relevant.")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Done")
    await stack.slack.until_call(
        "assistant.threads.setStatus", where=lambda c: c.args.get("status") == ""
    )

    shown = stack.slack.statuses(CHANNEL, thread_ts)
    assert shown[:3] == ["is thinking…", "is looking for the right tools…", "is thinking…"]
    assert shown[-1] == "", "the status is cleared at the end"
    assert stack.slack.status(CHANNEL, thread_ts) is None


async def test_a_question_shows_waiting_for_your_answer(stack: Stack) -> None:
    stack.model.script(
        "which region", [ToolUse("ask_user", {"question": "EU or US?"}), Reply("EU then.")]
    )
    mention = await stack.mention("which region should I use")
    thread_ts = mention["ts"]
    await stack.slack.until_call(
        "assistant.threads.setStatus",
        count=2,
        where=lambda c: c.args.get("status") == "is waiting for your answer",
    )
    assert stack.slack.statuses(CHANNEL, thread_ts)[0] == "is thinking…"
    assert stack.slack.status(CHANNEL, thread_ts) == "is waiting for your answer", (
        "set again after the question was posted (a reply clears it)"
    )
