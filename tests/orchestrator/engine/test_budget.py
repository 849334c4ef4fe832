"""Budgets: a model that never stops is stopped, per turn of the thread and over the thread's
whole life, with a reply that says which limit was hit and what to do next."""

from __future__ import annotations

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.stack import CHANNEL, Stack, running


async def test_a_runaway_turn_stops_at_the_step_limit_and_the_next_turn_starts_fresh(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> None:
    settings.config_path.write_text("limits:\n  max_steps: 3\n")
    loop = [Turn([ToolUse("load_skill", {"name": "x"})]) for _ in range(3)]
    fake_anthropic.script("go forever", loop)
    stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(stack):
        mention = await stack.mention("go forever")
        await stack.slack.until_thread(CHANNEL, mention["ts"], "limit of 3 steps")
        assert len(fake_anthropic.requests) == 3
        text = "\n".join(m.text for m in stack.slack.thread(CHANNEL, mention["ts"]))
        assert "Reply in this thread to continue" in text and "limits.max_steps" in text
        fake_anthropic.script(lambda b: "carry on" in str(b["messages"][-1]), [Reply("resumed")])
        await stack.reply("carry on", thread_ts=mention["ts"])
        await stack.slack.until_thread(CHANNEL, mention["ts"], "resumed")


async def test_a_thread_stops_for_good_at_its_lifetime_token_ceiling(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> None:
    settings.config_path.write_text("limits:\n  max_tokens: 900\n  max_task_tokens: 1000\n")
    fake_anthropic.script(
        "first",
        [
            Turn([Text("first answer")], usage=(600, 100)),
            Turn([Text("second answer")], usage=(400, 100)),
        ],
    )
    stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(stack):
        mention = await stack.mention("first")
        await stack.slack.until_thread(CHANNEL, mention["ts"], "first answer")
        # 700 tokens so far: under the ceiling, and each turn stays under its own 900.
        await stack.reply("second", thread_ts=mention["ts"])
        await stack.slack.until_thread(CHANNEL, mention["ts"], "second answer")
        # 1,200 tokens in all: the next message is refused before any model call.
        await stack.reply("third", thread_ts=mention["ts"])
        await stack.slack.until_thread(CHANNEL, mention["ts"], "1,000 tokens in all")
        assert len(fake_anthropic.requests) == 2
        text = "\n".join(m.text for m in stack.slack.thread(CHANNEL, mention["ts"]))
        assert "Start a new thread" in text and "limits.max_task_tokens" in text
