"""What tasks cost, through Slack and the real CLI: priced model calls in the activity log, the
task's cost in `runs list` / `runs show`, `threadwork usage` per channel and person, and the
money ceilings explained in the thread.

Real `serve`, fake Slack and fake model over HTTP (with its simulated prompt cache), PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.cli.main import main
from bot.settings import Settings
from orchestrator.domain.events import ModelCalled
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.stack import Stack

# claude-test at prices high enough to show in dollars for a few thousand tokens.
PRICING = """
pricing:
  claude-t*:
    input: 1000
    output: 5000
    cache_write_5m: 1250
    cache_write_1h: 2000
    cache_read: 100
"""
INPUT, OUTPUT, WRITE_5M, READ = 1000, 5000, 1250, 100

StackFactory = Callable[[str], Awaitable[Stack]]


@pytest.fixture
async def make_stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> AsyncIterator[StackFactory]:
    stacks: list[Stack] = []

    async def make(limits: str = "") -> Stack:
        settings.config_path.write_text(PRICING + limits)
        stack = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
        await stack.start()
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        await stack.stop()


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Awaitable[str]]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for name in ("SLACK_BOT_TOKEN", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)

    async def run(*args: str) -> str:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(args))
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out

    return run


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


def dollars(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\$([\d,]+\.\d+)", text)]


async def test_model_calls_are_priced_and_the_cli_shows_what_tasks_cost(
    make_stack: StackFactory, cli: Callable[..., Awaitable[str]]
) -> None:
    stack = await make_stack("")
    channel, other = unique("C"), unique("C")
    stack.model.script(
        "price me",
        [Turn([Text("Checking."), ToolUse("load_skill", {"name": "x:y"})]), Reply("Priced.")],
    )
    stack.model.script("and me", [Reply("Me too.")])
    first = await stack.mention("price me " + "with context " * 400, channel=channel, user="U0ANN")
    second = await stack.mention("and me", channel=other, user="U0BOB")
    await stack.slack.until_thread(channel, first["ts"], "Done")
    await stack.slack.until_thread(other, second["ts"], "Done")
    (task_id,) = await stack.task_ids_for(first["ts"])

    calls = [e for e in await stack.events(task_id) if isinstance(e, ModelCalled)]
    requests = [r for r in stack.model.requests if "price me" in r.first_user_text]
    assert len(calls) == len(requests) == 2
    for call, request in zip(calls, requests, strict=True):
        usage = request.cache
        assert usage is not None
        expected = (
            usage.input_tokens * INPUT
            + usage.cache_creation_input_tokens * WRITE_5M
            + usage.cache_read_input_tokens * READ
            + call.output_tokens * OUTPUT
        ) / 1_000_000
        assert call.cost_usd == pytest.approx(expected)
    assert calls[1].cache_read_tokens > 0, "the second step reads the first from the cache"
    task_cost = sum(c.cost_usd or 0.0 for c in calls)
    all_input = sum(c.input_tokens + c.cache_read_tokens + c.cache_write_tokens for c in calls)

    shown = await cli("runs", "show", task_id)
    assert f"cost       ${task_cost:,.2f}" in shown
    assert f"tokens     {all_input:,} in (" in shown
    listed = await cli("runs", "list", "--channel", channel)
    (line,) = [row for row in listed.splitlines() if task_id in row]
    assert f"${task_cost:,.2f}" in line and f"{all_input:,}/" in line

    usage = await cli("usage", "--since", "1h")
    tasks = [t for t in await stack.tasks() if t.channel_id in (channel, other)]
    assert len(tasks) == 2
    by_channel = {
        row.split()[0]: dollars(row)[0]
        for row in usage.splitlines()
        if row.startswith((channel, other))
    }
    assert by_channel == {
        t.channel_id: pytest.approx(round(t.cost_usd, 2), abs=0.005) for t in tasks
    }
    by_person = {
        row.split()[0]: dollars(row)[0]
        for row in usage.splitlines()
        if row.startswith(("U0ANN", "U0BOB"))
    }
    assert by_person == {t.requester: pytest.approx(round(t.cost_usd, 2), abs=0.005) for t in tasks}
    mine = await cli("usage", "--channel", channel)
    assert f"${task_cost:,.2f} over 1 task" in mine and other not in mine
    assert "U0BOB" not in await cli("usage", "--user", "U0ANN")


async def test_a_task_that_reaches_its_cost_limit_stops_and_says_why(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack("limits:\n  max_cost_per_task_usd: 0.5\n")
    channel = unique("C")
    stack.model.script(
        "expensive",
        [Turn([ToolUse("load_skill", {"name": "x:y"})]), Reply("never reached")],
    )
    mention = await stack.mention("expensive " + "detail " * 400, channel=channel)
    thread = await stack.slack.until_thread(channel, mention["ts"], "Reference:")
    notice = next(m.all_text for m in thread if "Reference:" in m.all_text)
    assert "reaches its limit of $0.50" in notice
    assert "max_cost_per_task_usd" in notice and "Traceback" not in notice
    assert len([r for r in stack.model.requests if "expensive" in r.first_user_text]) == 1


async def test_a_channel_over_its_monthly_limit_gets_no_more_model_calls(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack("limits:\n  max_cost_per_channel_month_usd: 0.5\n")
    channel = unique("C")
    stack.model.script("first of the month", [Reply("Spent it.")])
    first = await stack.mention("first of the month " + "words " * 400, channel=channel)
    await stack.slack.until_thread(channel, first["ts"], "Done")

    second = await stack.mention("one more thing", channel=channel)
    thread = await stack.slack.until_thread(channel, second["ts"], "Reference:")
    notice = next(m.all_text for m in thread if "Reference:" in m.all_text)
    assert "This channel has spent $" in notice and "monthly limit of $0.50" in notice
    assert not [r for r in stack.model.requests if "one more thing" in r.first_user_text]

    elsewhere = unique("C")
    stack.model.script("other channel", [Reply("Still fine here.")])
    third = await stack.mention("other channel", channel=elsewhere)
    await stack.slack.until_thread(elsewhere, third["ts"], "Still fine here.")
