"""A running Threadwork with the `ledger` test plugin, and helpers to find cards and click them.

The plugin's MCP server (tests/fixtures/plugins/ledger) appends one line per tool execution to a
ledger file, so tests count executions exactly.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import TEAM_ID, block_action, view_submission
from tests.harness.slack_workspace import SlackMessage
from tests.stack import CHANNEL, Stack

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "tests" / "fixtures" / "plugins"
CREATE = "ledger__tickets__create_ticket"
DELETE = "ledger__tickets__delete_ticket"
SET_STATUS = "ledger__tickets__set_status"
REQUESTER = "U0ALICE"


def write_config(
    settings: Settings, ledger: Path, approvals: str = "", list_output: str = ""
) -> None:
    """`list_output`: what the read-only `list_tickets` answers (default: no open tickets)."""
    settings.config_path.write_text(
        f"""
plugins: [{PLUGINS / "ledger"}]
channels:
  "*": [ledger]
connectors:
  tickets:
    env:
      LEDGER_FILE: "{ledger}"
      LEDGER_HOLD_FILE: "${{LEDGER_HOLD_FILE:-}}"
      LEDGER_LIST_OUTPUT: {json.dumps(list_output)}
{approvals}
"""
    )


async def start_stack(
    settings: Settings, slack: FakeSlack, model: FakeAnthropic, ledger: Path, approvals: str = ""
) -> Stack:
    write_config(settings, ledger, approvals)
    stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
    await stack.start()
    return stack


def ticket_script(marker: str, *calls: tuple[str, dict[str, Any]], then: str) -> list[Any]:
    """find_tools, then one turn with the side-effecting calls (with a reason), then `then`."""
    return [
        Turn([ToolUse("find_tools", {"query": "ticket"})]),
        Turn(
            [
                Text(f"I will do this because the user asked ({marker})."),
                *(ToolUse(name, args) for name, args in calls),
            ]
        ),
        Reply(then),
    ]


def executions(ledger: Path, tool: str | None = None) -> list[dict[str, Any]]:
    if not ledger.exists():
        return []
    lines = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()]
    return [line for line in lines if tool is None or line["tool"] == tool]


async def until_executions(ledger: Path, tool: str, count: int, timeout: float = 20) -> None:  # noqa: ASYNC109
    """Poll the ledger file (written by another process) every 20 ms, for at most `timeout` s."""
    async with asyncio.timeout(timeout):
        while len(executions(ledger, tool)) < count:  # noqa: ASYNC110 - another process writes it
            await asyncio.sleep(0.02)


def buttons(message: SlackMessage) -> dict[str, str]:
    """action_id → value of every button on a message."""
    found = {}
    for block in message.blocks:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element.get("value", "")
    return found


@dataclass
class Card:
    ts: str
    checkpoint_id: str
    message: SlackMessage


async def cards(
    slack: FakeSlack, thread_ts: str, count: int = 1, channel: str = CHANNEL
) -> list[Card]:
    """Wait until the thread shows `count` approval cards with Approve buttons."""

    def with_approve(messages: list[SlackMessage]) -> bool:
        return sum("checkpoint.approve" in buttons(m) for m in messages) >= count

    thread = await slack.until_thread(channel, thread_ts, with_approve)
    return [
        Card(m.ts, buttons(m)["checkpoint.approve"], m)
        for m in thread
        if "checkpoint.approve" in buttons(m)
    ]


async def click(
    stack: Stack,
    action: str,
    card: Card,
    thread_ts: str,
    *,
    user: str = REQUESTER,
    channel: str = CHANNEL,
    team: str | None = None,
    value: str | None = None,
) -> None:
    payload = block_action(
        f"checkpoint.{action}",
        card.checkpoint_id if value is None else value,
        user=user,
        channel=channel,
        message_ts=card.ts,
        thread_ts=thread_ts,
        team=team or TEAM_ID,
    )
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response


async def submit_reason(
    stack: Stack, checkpoint_id: str, thread_ts: str, reason: str, *, user: str = REQUESTER
) -> None:
    metadata = json.dumps({"checkpoint": checkpoint_id, "channel": CHANNEL, "thread_ts": thread_ts})
    values = {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    response = await stack.sender.send_interaction(
        view_submission("checkpoint.reject", metadata, values, user=user)
    )
    assert response.status == 200, response


async def card_state(slack: FakeSlack, thread_ts: str, ts: str, text: str) -> SlackMessage:
    """Wait until the card `ts` shows `text`."""
    thread = await slack.until_thread(
        CHANNEL, thread_ts, lambda ms: any(m.ts == ts and text in m.all_text for m in ms)
    )
    return next(m for m in thread if m.ts == ts)
