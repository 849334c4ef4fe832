"""A worker killed while an approved call runs: never a silent second execution.

`threadwork serve` runs as a subprocess and is killed with SIGKILL while the ledger server holds the
approved call; another process takes the task over.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.approval_stack import (
    CREATE,
    SET_STATUS,
    card_state,
    cards,
    click,
    executions,
    ticket_script,
    until_executions,
    write_config,
)
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.stack import CHANNEL, KILL_RECLAIM_S, SubprocessStack, killable, running


@pytest.fixture
async def process(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[SubprocessStack]:
    write_config(settings, tmp_path / "ledger.jsonl")
    app = killable(settings, fake_slack, fake_anthropic, LEDGER_HOLD_FILE=str(tmp_path / "release"))
    async with running(app):
        try:
            yield app
        finally:
            (tmp_path / "release").touch()  # a held call must finish before the app stops


async def test_non_idempotent_call_is_not_rerun_and_a_person_decides(
    process: SubprocessStack, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    process.model.script(
        "file it", ticket_script("file it", (CREATE, {"title": "outage"}), then="Marked done.")
    )
    mention = await process.mention("file it please")
    (card,) = await cards(process.slack, mention["ts"])
    await click(process, "approve", card, mention["ts"])
    await until_executions(ledger, "create_ticket", 1)
    process.kill()
    (tmp_path / "release").touch()

    await process.start()
    thread = await process.slack.until_thread(
        CHANNEL, mention["ts"], "I can't tell whether", timeout=KILL_RECLAIM_S * 10
    )
    notice = next(m for m in thread if "I can't tell whether" in m.all_text)
    assert CREATE in notice.all_text and "attempt 1" in notice.all_text
    shown = await card_state(process.slack, mention["ts"], card.ts, "Outcome unknown")
    actions = {
        e["action_id"] for b in shown.blocks if b["type"] == "actions" for e in b["elements"]
    }
    assert actions == {"checkpoint.retry", "checkpoint.mark_done", "checkpoint.abort"}
    assert len(executions(ledger, "create_ticket")) == 1, "not run a second time"

    await click(process, "mark_done", card, mention["ts"])
    await process.slack.until_thread(CHANNEL, mention["ts"], "Marked done.")
    (result,) = tool_results(process.model.requests[-1].body)
    assert "Marked as done" in json.dumps(result)
    assert len(executions(ledger, "create_ticket")) == 1


async def test_idempotent_call_is_retried_automatically(
    process: SubprocessStack, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    process.model.script(
        "close it",
        ticket_script(
            "close it", (SET_STATUS, {"ticket": "T-1", "status": "closed"}), then="Closed."
        ),
    )
    mention = await process.mention("close it please")
    (card,) = await cards(process.slack, mention["ts"])
    await click(process, "approve", card, mention["ts"])
    await until_executions(ledger, "set_status", 1)
    process.kill()
    (tmp_path / "release").touch()

    await process.start()
    await process.slack.until_thread(CHANNEL, mention["ts"], "Closed.", timeout=KILL_RECLAIM_S * 10)
    assert len(executions(ledger, "set_status")) == 2, "retried once after the crash"
    (result,) = tool_results(process.model.requests[-1].body)
    assert "T-1 is now closed" in json.dumps(result)
    thread = process.slack.thread(CHANNEL, mention["ts"])
    assert sum(m.text == "Closed." for m in thread) == 1
