"""Many tasks in one workspace share Slack's budgets: edits are coalesced harder, none is refused,
and every task's final message still lands.

Real `serve` over HTTP; the fake Slack enforces a workspace-wide `chat.update` tier (429 past it)
equal to the budget the bot is configured with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.stack import Stack, running

TASKS = 10
UPDATES_PER_MINUTE = 120
BURST = 5  # chat.update's burst in bot.slack.budget.SLACK_RATES
WINDOW_S = 3.0


@pytest.fixture
async def busy(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> AsyncIterator[Stack]:
    tight = settings.model_copy(update={"slack_rates": {"chat.update": UPDATES_PER_MINUTE}})
    app = Stack(settings=tight, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(app):
        yield app


async def test_concurrent_tasks_stay_within_the_workspace_update_budget(busy: Stack) -> None:
    allowed = int(BURST + UPDATES_PER_MINUTE / 60 * WINDOW_S)
    busy.slack.limit("chat.update", calls=allowed, per_s=WINDOW_S)
    mentions = []
    for i in range(TASKS):
        busy.model.script(
            f"job {i} ",
            [
                ToolUse("find_tools", {"query": f"a{i}"}),
                ToolUse("find_tools", {"query": f"b{i}"}),
                Reply(f"Answer for job {i}."),
            ],
        )
        mentions.append(await busy.mention(f"job {i} please", channel=f"C0LOAD{i:02d}"))

    for i, mention in enumerate(mentions):
        channel = mention["channel"]
        thread = await busy.slack.until_thread(
            channel,
            mention["ts"],
            lambda ms, i=i: (
                any(f"Answer for job {i}." in m.all_text for m in ms)
                and any(m.all_text.startswith(":white_check_mark: Done") for m in ms)
                and any("feedback_buttons" in str(m.blocks) for m in ms)
            ),
            timeout=60,
        )
        answers = [m for m in thread if f"Answer for job {i}." in m.all_text]
        assert len(answers) == 1, "one answer per task, final"

    refused = [c for c in busy.slack.rate_limited if c.method == "chat.update"]
    assert refused == [], "no edit went past the workspace's budget"
    updates = [c.time for c in busy.slack.calls_to("chat.update")]
    for start in updates:
        in_window = [t for t in updates if start <= t < start + WINDOW_S]
        assert len(in_window) <= allowed
