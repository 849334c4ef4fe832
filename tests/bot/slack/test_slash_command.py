"""`/threadwork`: the verbs parsed from what a person typed, and the private answers rendered."""

from __future__ import annotations

import pytest

from bot.slack import payloads
from bot.slack.surfaces import render_command
from orchestrator import CommandReply, HomeTask, ThreadRef
from orchestrator.domain.views import Spend
from orchestrator.engine.reports import month_start
from tests.harness.block_kit import block_errors
from tests.harness.slack_sender import slash_command


@pytest.mark.parametrize(
    ("typed", "verb"),
    [
        ("", "help"),
        ("help", "help"),
        ("STATUS", "status"),
        (" usage  ", "usage"),
        ("stop it", "unknown"),
    ],
)
def test_what_was_typed_picks_the_verb(typed: str, verb: str) -> None:
    command = payloads.slash_command(slash_command(typed, response_url="https://x", user="U0BOB"))
    assert command is not None
    assert (command.verb, command.user_id, command.channel_id) == (verb, "U0BOB", "C0GENERAL")


def test_a_body_without_its_user_is_ignored() -> None:
    body = slash_command("status", response_url="https://x")
    del body["user_id"]
    assert payloads.slash_command(body) is None


def test_help_lists_the_verbs_and_an_unknown_verb_is_named_escaped() -> None:
    text, blocks = render_command(CommandReply(verb="unknown", text="<!channel> go"))
    assert "I don't know `/threadwork &lt;!channel&gt; go`" in text
    for verb in ("status", "usage", "help"):
        assert f"/threadwork {verb}" in text
    assert block_errors(blocks) == []


def test_status_lists_each_running_task_with_where_it_runs() -> None:
    thread = ThreadRef(team_id="T", channel_id="C0OPS", thread_ts="1.000001")
    running = (
        HomeTask(task_id="t1", thread=thread, status="running", title="Rotate keys", tokens=2500),
    )
    text, blocks = render_command(CommandReply(verb="status", running=running))
    assert text == "You have 1 task running or waiting:"
    body = blocks[1]["text"]["text"]
    assert "Rotate keys" in body and "Working" in body and "<#C0OPS>" in body
    assert render_command(CommandReply(verb="status"))[0].startswith("You have no task")


def test_usage_shows_mine_and_the_channels_month() -> None:
    reply = CommandReply(
        verb="usage",
        mine=Spend(tasks=2, input_tokens=12_000, output_tokens=800, cost_usd=0.25),
        channel=Spend(
            tasks=5, input_tokens=40_000, output_tokens=3_000, cost_usd=1.5, unpriced_calls=1
        ),
        channel_id="C0OPS",
        since=month_start(1_764_590_400),  # 2025-12-01 12:00 UTC
    )
    text, blocks = render_command(reply)
    assert text == "Model use in December 2025 (UTC):"
    body = blocks[1]["text"]["text"]
    assert "*You, in every channel*: 2 tasks, 12,000 tokens in, 800 out, $0.25" in body
    assert "*Everyone in <#C0OPS>*: 5 tasks" in body and "$1.50" in body
    assert "1 unpriced model call" in body


def test_a_month_starts_at_midnight_utc_on_the_first() -> None:
    assert month_start(1_764_590_400) == 1_764_547_200  # 2025-12-01 00:00 UTC
    assert month_start(1_764_547_199) == 1_761_955_200  # 2025-11-30 23:59:59 -> 2025-11-01
