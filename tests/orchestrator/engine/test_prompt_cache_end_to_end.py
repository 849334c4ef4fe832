"""Model requests built for the prompt cache, through Slack: one tools array per task, breakpoints
that follow the conversation, and the fake's simulated cache serving most of every step.

Real `serve`, fake Slack and fake model over HTTP, the real MCP server of the `atlas` test plugin
(twelve read-only report tools, eleven skills: a prompt above the minimum cacheable length, as a
channel with a few plugins has).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, RecordedRequest, Reply, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.stack import CHANNEL, Stack, running

PLUGINS = Path(__file__).resolve().parents[2] / "fixtures" / "plugins"
REPORTS = [
    "revenue_by_region",
    "churned_accounts",
    "pipeline_forecast",
    "support_backlog",
    "invoice_aging",
    "usage_trends",
    "renewal_calendar",
    "discount_audit",
    "headcount_plan",
    "nps_comments",
]


@pytest.fixture
async def stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> AsyncIterator[Stack]:
    settings.config_path.write_text(
        f"""
plugins: [{PLUGINS / "atlas"}]
channels:
  "*": [atlas]
"""
    )
    app = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(app):
        yield app


def long_task() -> list[Turn | Reply]:
    """Twenty model turns: find a report tool, run it, for ten tools; the last find is answered."""
    turns: list[Turn | Reply] = []
    for index, report in enumerate(REPORTS):
        turns.append(Turn([ToolUse("find_tools", {"query": f"atlas__reports__{report}"})]))
        if index < len(REPORTS) - 1:
            turns.append(Turn([ToolUse(f"atlas__reports__{report}", {"period": "Q3"})]))
    return [*turns, Reply("Quarterly review ready.")]


def cached_share(request: RecordedRequest) -> float:
    usage = request.cache
    assert usage is not None
    return usage.cache_read_input_tokens / usage.total_input_tokens


async def test_a_long_task_sends_one_tools_array_and_reads_most_of_every_step_from_the_cache(
    stack: Stack,
) -> None:
    model = stack.model
    model.script("quarterly review for Acme", long_task())
    mention = await stack.mention("quarterly review for Acme, all the reports please")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Quarterly review ready.", timeout=60)

    requests = model.requests
    assert len(requests) == 20
    first = requests[0].body
    assert all(r.body["tools"] == first["tools"] for r in requests), "one tools array per task"
    assert all(r.body["system"] == first["system"] for r in requests), "a stable system prompt"
    assert all(r.body["cache_control"] == {"type": "ephemeral"} for r in requests)
    deferred = [t["name"] for t in first["tools"] if t.get("defer_loading")]
    assert {f"atlas__reports__{r}" for r in REPORTS} <= set(deferred)
    assert "load_skill" not in deferred and "find_tools" not in deferred

    # Each found tool entered as a tool_reference and then ran.
    for step, report in enumerate(REPORTS[:-1]):
        (found,) = tool_results(requests[2 * step + 1].body)
        reference = {"type": "tool_reference", "tool_name": f"atlas__reports__{report}"}
        assert reference in found["content"]
        (ran,) = tool_results(requests[2 * step + 2].body)
        assert f"{report} for Q3" in json.dumps(ran) and not ran.get("is_error")

    opening = requests[0].cache
    assert opening is not None and opening.cache_creation_input_tokens > 0, (
        "the channel's tools and prompt are above the minimum cacheable length",
        opening,
    )
    shares = [cached_share(r) for r in requests[1:]]
    assert min(shares) >= 0.8, [round(s, 3) for s in shares]
    later = [r.cache for r in requests[1:] if r.cache]
    read = sum(u.cache_read_input_tokens for u in later)
    assert read / sum(u.total_input_tokens for u in later) >= 0.9
