"""Checkpoints through Slack: approval cards, decisions, authorisation, races, expiry.

Real `serve` with the fake Slack and fake model over HTTP, and a real MCP server (the `ledger` test
plugin) that records every execution of its tools.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.settings import Settings
from orchestrator.domain.events import CheckpointDecided, CheckpointRefused
from tests.approval_stack import (
    CREATE,
    DELETE,
    REQUESTER,
    Card,
    buttons,
    card_state,
    cards,
    click,
    executions,
    start_stack,
    submit_reason,
    ticket_script,
)
from tests.harness.anthropic_requests import tool_results
from tests.harness.fake_anthropic import FakeAnthropic, Reply
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SINGLE_AND_CLUSTER
from tests.harness.slack_sender import block_action
from tests.stack import CHANNEL, Stack

MakeStack = Callable[[str], Awaitable[Stack]]


@pytest.fixture
async def make_stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[MakeStack]:
    started: list[Stack] = []

    async def make(approvals: str = "") -> Stack:
        stack = await start_stack(
            settings, fake_slack, fake_anthropic, tmp_path / "ledger.jsonl", approvals
        )
        started.append(stack)
        return stack

    yield make
    for stack in started:
        await stack.stop()


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.jsonl"


async def ask_for_ticket(
    stack: Stack, marker: str, *, then: str = "Ticket filed."
) -> tuple[str, Card]:
    stack.model.script(
        marker,
        ticket_script(
            marker, (CREATE, {"title": f"Fix <b>{marker}</b>", "priority": "high"}), then=then
        ),
    )
    mention = await stack.mention(f"{marker}: please file a ticket")
    (card,) = await cards(stack.slack, mention["ts"])
    return mention["ts"], card


@SINGLE_AND_CLUSTER
async def test_approved_call_runs_once_and_its_result_reaches_the_model(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    thread_ts, card = await ask_for_ticket(stack, "disk alert")

    text = card.message.all_text
    assert CREATE in text and "ledger/tickets" in text
    assert '"priority": "high"' in text
    assert "Fix &lt;b&gt;disk alert&lt;/b&gt;" in text, "arguments are shown exactly, escaped"
    assert "because the user asked (disk alert)" in text, "the model's reason is on the card"
    assert f"<@{REQUESTER}>" in text and "Expires" in text
    assert executions(ledger) == [], "nothing runs before approval"
    assert len(stack.model.requests) == 2, "the task waits for the decision"

    await click(stack, "approve", card, thread_ts)
    await stack.slack.until_thread(CHANNEL, thread_ts, "Ticket filed.")
    (run,) = executions(ledger, "create_ticket")
    assert run["arguments"] == {"title": "Fix <b>disk alert</b>", "priority": "high"}
    (result,) = tool_results(stack.model.requests[2].body)
    assert "created ticket T-1" in json.dumps(result) and not result.get("is_error")
    shown = await card_state(stack.slack, thread_ts, card.ts, "Ran")
    assert f"Approved by <@{REQUESTER}>" in shown.all_text
    assert "checkpoint.approve" not in buttons(shown), "a decided card has no buttons"

    (task_id,) = await stack.task_ids_for(thread_ts)
    kinds = [e.kind for e in await stack.events(task_id)]
    for kind in ("checkpoint.created", "checkpoint.decided", "checkpoint.executed"):
        assert kinds.count(kind) == 1, kinds


async def test_rejection_with_a_reason_goes_back_to_the_model(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    thread_ts, card = await ask_for_ticket(stack, "reject me", then="Understood, not filed.")

    await click(stack, "reject", card, thread_ts)
    (opened,) = await stack.slack.until_call("views.open")
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "checkpoint.reject"
    assert executions(ledger) == [], "opening the dialog decides nothing"

    await submit_reason(stack, card.checkpoint_id, thread_ts, "use the staging tracker")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Understood, not filed.")
    (result,) = tool_results(stack.model.requests[2].body)
    assert result.get("is_error") is True
    assert "use the staging tracker" in json.dumps(result)
    assert executions(ledger) == []
    shown = await card_state(stack.slack, thread_ts, card.ts, "Rejected by")
    assert "use the staging tracker" in shown.all_text


async def test_twenty_concurrent_approvals_execute_once(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    thread_ts, card = await ask_for_ticket(stack, "race")

    await asyncio.gather(*(click(stack, "approve", card, thread_ts) for _ in range(20)))
    await stack.slack.until_thread(CHANNEL, thread_ts, "Ticket filed.")
    await stack.slack.until_call("chat.postEphemeral", 19)
    assert len(executions(ledger, "create_ticket")) == 1
    (task_id,) = await stack.task_ids_for(thread_ts)
    decided = [e for e in await stack.events(task_id) if isinstance(e, CheckpointDecided)]
    assert len(decided) == 1
    told = stack.slack.calls_to("chat.postEphemeral")
    assert all("already approved" in json.dumps(c.args) for c in told)


async def test_approve_and_reject_racing_make_one_decision(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    thread_ts, card = await ask_for_ticket(stack, "tug of war", then="Settled.")

    await asyncio.gather(
        *(click(stack, "approve", card, thread_ts) for _ in range(5)),
        *(submit_reason(stack, card.checkpoint_id, thread_ts, "no") for _ in range(5)),
    )
    await stack.slack.until_thread(CHANNEL, thread_ts, "Settled.")
    (task_id,) = await stack.task_ids_for(thread_ts)
    (decided,) = [e for e in await stack.events(task_id) if isinstance(e, CheckpointDecided)]
    runs = executions(ledger, "create_ticket")
    assert len(runs) == (1 if decided.decision == "approved" else 0)


async def test_unauthorised_clicker_is_told_privately_and_changes_nothing(
    make_stack: MakeStack, fake_slack: FakeSlack, ledger: Path
) -> None:
    fake_slack.usergroups = {"S0ONCALL": ["U0CAROL"]}
    stack = await make_stack("approvals:\n  approvers: [S0ONCALL]\n")
    thread_ts, card = await ask_for_ticket(stack, "guarded")
    assert "<!subteam^S0ONCALL>" in card.message.all_text

    await click(stack, "approve", card, thread_ts, user="U0MALLORY")
    await click(stack, "approve", card, thread_ts, user=REQUESTER)
    told = await stack.slack.until_call("chat.postEphemeral", 2)
    assert {c.args["user"] for c in told} == {"U0MALLORY", REQUESTER}
    assert all("<!subteam^S0ONCALL>" in json.dumps(c.args) for c in told)
    assert executions(ledger) == []
    assert len(stack.model.requests) == 2

    await click(stack, "approve", card, thread_ts, user="U0CAROL")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Ticket filed.")
    assert len(executions(ledger, "create_ticket")) == 1
    (task_id,) = await stack.task_ids_for(thread_ts)
    refused = [e for e in await stack.events(task_id) if isinstance(e, CheckpointRefused)]
    assert {e.user for e in refused} == {"U0MALLORY", REQUESTER}


async def test_requester_may_not_approve_their_own_destructive_action(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack(
        "approvals:\n  approvers: [requester, U0BOB]\n  requester_cannot_approve_destructive: true\n"
    )
    stack.model.script(
        "purge", ticket_script("purge", (DELETE, {"ticket": "T-9"}), then="Deleted.")
    )
    mention = await stack.mention("purge: delete T-9")
    (card,) = await cards(stack.slack, mention["ts"])
    approve = next(
        e
        for b in card.message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "checkpoint.approve"
    )
    assert "confirm" in approve, "a destructive action asks for confirmation before approving"

    await click(stack, "approve", card, mention["ts"], user=REQUESTER)
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert "someone else" in json.dumps(told.args)
    assert executions(ledger) == []
    await click(stack, "approve", card, mention["ts"], user="U0BOB")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Deleted.")
    assert len(executions(ledger, "delete_ticket")) == 1


async def test_forged_misplaced_and_stale_clicks_are_refused_without_effect(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    thread_ts, card = await ask_for_ticket(stack, "guard rails")

    await click(stack, "approve", card, thread_ts, value="cp_000000000000000000000000")
    await click(stack, "approve", card, thread_ts, channel="C0OTHER")
    await click(stack, "approve", card, thread_ts, team="T0ELSEWHERE")
    malformed = block_action("checkpoint.approve", "../../etc", message_ts=card.ts)
    assert (await stack.sender.send_interaction(malformed)).status == 200
    broken = {"type": "block_actions", "actions": "nope"}
    assert (await stack.sender.send_interaction(broken)).status in (200, 400)
    told = await stack.slack.until_call("chat.postEphemeral", 2)
    texts = [json.dumps(c.args) for c in told]
    assert any("can't find this approval request" in t for t in texts)
    assert any(
        "another conversation" in t and c.args["channel"] == "C0OTHER"
        for t, c in zip(texts, told, strict=True)
    )
    assert executions(ledger) == []
    assert len(stack.model.requests) == 2

    await click(stack, "approve", card, thread_ts)
    await stack.slack.until_thread(CHANNEL, thread_ts, "Ticket filed.")
    await click(stack, "approve", card, thread_ts)
    late = await stack.slack.until_call("chat.postEphemeral", 3)
    assert "already approved" in json.dumps(late[-1].args)
    assert len(executions(ledger, "create_ticket")) == 1


async def test_unanswered_request_is_reminded_then_expires_and_the_model_is_told(
    make_stack: MakeStack, ledger: Path
) -> None:
    # The sweep runs about once a second: a reminder due at 1 s needs room before the 4 s expiry.
    stack = await make_stack("approvals:\n  remind_after: 1s\n  expire_after: 4s\n")
    thread_ts, card = await ask_for_ticket(stack, "slow approvers", then="Nobody approved it.")

    await stack.slack.until_thread(CHANNEL, thread_ts, "Reminder for")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Nobody approved it.")
    shown = await card_state(stack.slack, thread_ts, card.ts, "Expired")
    assert "checkpoint.approve" not in buttons(shown)
    (result,) = tool_results(stack.model.requests[2].body)
    assert result.get("is_error") is True and "expired" in json.dumps(result)
    assert executions(ledger) == []


async def test_several_calls_in_one_turn_get_one_card_each_and_wait_for_all(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    stack.model.script(
        "two tickets",
        ticket_script(
            "two tickets",
            (CREATE, {"title": "first"}),
            (CREATE, {"title": "second"}),
            then="Both handled.",
        ),
    )
    mention = await stack.mention("two tickets please")
    # The two cards are posted concurrently: tell them apart by their arguments, not order.
    found = await cards(stack.slack, mention["ts"], 2)
    (first,) = [c for c in found if '"first"' in c.message.all_text]
    (second,) = [c for c in found if '"second"' in c.message.all_text]

    await click(stack, "approve", first, mention["ts"])
    await card_state(stack.slack, mention["ts"], first.ts, "Ran")
    assert len(stack.model.requests) == 2, "the model waits until every call is decided"
    await click(stack, "reject", second, mention["ts"])
    await submit_reason(stack, second.checkpoint_id, mention["ts"], "one is enough")
    await stack.slack.until_thread(CHANNEL, mention["ts"], "Both handled.")
    ok, rejected = tool_results(stack.model.requests[2].body)
    assert "created ticket" in json.dumps(ok) and "one is enough" in json.dumps(rejected)
    assert [r["arguments"]["title"] for r in executions(ledger)] == ["first"]


async def test_a_new_message_withdraws_a_pending_request(
    make_stack: MakeStack, ledger: Path
) -> None:
    stack = await make_stack("")
    marker = "changed my mind"
    stack.model.script(marker, ticket_script(marker, (CREATE, {"title": "x"}), then="")[:2])
    stack.model.script(
        lambda body: "never mind" in json.dumps(body["messages"][-1]),
        [Reply("OK, I won't file it.")],
    )
    mention = await stack.mention(f"{marker}: file a ticket")
    thread_ts = mention["ts"]
    (card,) = await cards(stack.slack, thread_ts)
    await stack.reply("never mind, don't file it", thread_ts=thread_ts)
    await stack.slack.until_thread(CHANNEL, thread_ts, "OK, I won't file it.")
    await card_state(stack.slack, thread_ts, card.ts, "Withdrawn")
    await click(stack, "approve", card, thread_ts)
    (told,) = await stack.slack.until_call("chat.postEphemeral")
    assert "already cancelled" in json.dumps(told.args)
    assert executions(ledger) == []


async def test_runs_show_prints_the_whole_trail_of_an_approved_call(
    make_stack: MakeStack,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.main import main

    stack = await make_stack("")
    thread_ts, card = await ask_for_ticket(stack, "audit me")
    await click(stack, "approve", card, thread_ts)
    await stack.slack.until_thread(CHANNEL, thread_ts, "Ticket filed.")
    await stack.slack.until_thread(CHANNEL, thread_ts, "Done")
    (task_id,) = await stack.task_ids_for(thread_ts)

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["runs", "show", task_id]) == 0
    trail = capsys.readouterr().out
    kinds = [
        "task.created",
        "model.call",
        "checkpoint.created",
        "checkpoint.decided",
        "checkpoint.executed",
        "tool.call",
        "task.completed",
    ]
    positions = [trail.index(kind) for kind in kinds]
    assert positions[2:5] == sorted(positions[2:5]), trail
    assert "approved" in trail and REQUESTER in trail
    assert "Fix <b>audit me</b>" in trail, "the exact arguments are in the trail"
