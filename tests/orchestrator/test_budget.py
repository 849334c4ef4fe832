"""Step budgets: a model that never stops is stopped, per turn of the thread, with a clear reply."""

from __future__ import annotations

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn
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
        await stack.slack.until_thread(CHANNEL, mention["ts"], "step or token limit")
        assert len(fake_anthropic.requests) == 3
        fake_anthropic.script(lambda b: "carry on" in str(b["messages"][-1]), [Reply("resumed")])
        await stack.reply("carry on", thread_ts=mention["ts"])
        await stack.slack.until_thread(CHANNEL, mention["ts"], "resumed")
