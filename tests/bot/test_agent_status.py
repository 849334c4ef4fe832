"""The thread's assistant status says what the task is doing, and is cleared when it ends.

Real `serve` over HTTP with the fake Slack (which keeps the status showing per thread and clears
it, as Slack does, when the bot replies) and the fake model.
"""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from tests.approval_stack import CREATE, cards, click, start_stack, ticket_script
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse
from tests.harness.fake_slack import FakeSlack
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


async def test_the_progress_reply_shows_the_plan_as_task_cards(stack: Stack) -> None:
    stack.model.script(
        "plan it", [ToolUse("find_tools", {"query": "disk"}), Reply("Planned and done.")]
    )
    mention = await stack.mention("plan it")
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], "Done")
    progress = next(m for m in thread if m.all_text.startswith(":white_check_mark: Done"))
    (plan,) = [b for b in progress.blocks if b["type"] == "plan"]
    assert [(c["title"], c["status"]) for c in plan["tasks"]] == [("Run find_tools", "complete")]


async def test_where_plan_blocks_are_refused_the_plan_is_plain_lines(stack: Stack) -> None:
    stack.slack.refuse_blocks("plan", "task_card")
    stack.model.script(
        "plain plan", [ToolUse("find_tools", {"query": "disk"}), Reply("Plain and done.")]
    )
    mention = await stack.mention("plain plan")
    thread = await stack.slack.until_thread(CHANNEL, mention["ts"], "Plain and done.")
    thread = await stack.slack.until_thread(
        CHANNEL, mention["ts"], lambda ms: any("find_tools" in m.all_text for m in ms)
    )
    progress = next(m for m in thread if "find_tools" in m.all_text)
    assert not any(b["type"] == "plan" for b in progress.blocks)
    refused = [c for c in stack.slack.calls if c.error == "invalid_blocks"]
    assert len(refused) == 1, "refused once, then plain from then on"


async def test_a_task_at_a_checkpoint_shows_waiting_for_approval_until_it_goes_on(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    stack = await start_stack(settings, fake_slack, fake_anthropic, tmp_path / "ledger.jsonl")
    try:
        marker = "file it"
        stack.model.script(marker, ticket_script(marker, (CREATE, {"title": "x"}), then="Filed."))
        mention = await stack.mention(f"{marker}: a ticket")
        thread_ts = mention["ts"]
        (card,) = await cards(stack.slack, thread_ts)
        await stack.slack.until_call(
            "assistant.threads.setStatus",
            where=lambda c: c.args.get("status") == "is waiting for approval",
        )
        assert stack.slack.status(CHANNEL, thread_ts) == "is waiting for approval"
        assert "is running create_ticket…" in stack.slack.statuses(CHANNEL, thread_ts)

        await click(stack, "approve", card, thread_ts)
        await stack.slack.until_thread(CHANNEL, thread_ts, "Filed.")
        await stack.slack.until_call(
            "assistant.threads.setStatus", where=lambda c: c.args.get("status") == ""
        )
        shown = stack.slack.statuses(CHANNEL, thread_ts)
        waiting = shown.index("is waiting for approval")
        assert "is thinking…" in shown[waiting + 1 :], "the work went on after the approval"
        assert stack.slack.status(CHANNEL, thread_ts) is None
    finally:
        await stack.stop()
