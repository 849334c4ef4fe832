"""The approval card and checkpoint notices: pure renderers, checked on their Block Kit output."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack.blocks import reject_dialog, render
from orchestrator import Checkpoint, CheckpointCard, Notice, ThreadRef
from orchestrator.domain.checkpoint import Approvers, Risk
from tests.harness.block_kit import block_errors

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


def checkpoint(**changes: Any) -> Checkpoint:
    values: dict[str, Any] = {
        "id": "cp_0123456789abcdef01234567",
        "task_id": "task_1",
        "agent_id": "main",
        "call_id": "toolu_1",
        "thread": THREAD,
        "tool": "jira__api__create_issue",
        "server": "jira/api",
        "arguments": {"project": "OPS", "summary": "Disk full <!channel> on <@U0BOSS>"},
        "why": "The user asked me to file it <!here>.",
        "risk": Risk(destructive=False, open_world=True),
        "requester": "U0ALICE",
        "approvers": Approvers(requester="U0ALICE", users=("U0BOB",), groups=("S0OPS",)),
        "expires_at": 1_800_000_000.0,
    }
    values.update(changes)
    return Checkpoint.model_validate(values)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


def test_pending_card_shows_what_why_who_and_when_with_two_buttons() -> None:
    _, blocks = render(CheckpointCard(checkpoint=checkpoint()))
    text = text_of(blocks)
    assert "jira__api__create_issue" in text and "jira/api" in text
    assert '\\"project\\": \\"OPS\\"' in text
    assert "<@U0ALICE>" in text and "<@U0BOB>" in text and "<!subteam^S0OPS>" in text
    assert "<!date^1800000000^" in text, "expiry shown in each reader's time zone"
    assert "reaches systems outside" in text
    approve, reject = buttons(blocks)
    assert (approve["action_id"], reject["action_id"]) == (
        "checkpoint.approve",
        "checkpoint.reject",
    )
    assert approve["value"] == reject["value"] == "cp_0123456789abcdef01234567"
    assert "confirm" not in approve
    assert block_errors(blocks) == []


def test_model_and_tool_text_cannot_ping_anyone() -> None:
    _, blocks = render(CheckpointCard(checkpoint=checkpoint()))
    text = text_of(blocks)
    assert "<!channel>" not in text and "<!here>" not in text and "<@U0BOSS>" not in text
    assert "&lt;!channel&gt;" in text and "&lt;!here&gt;" in text


def test_a_card_names_the_tools_whose_output_was_read_before_asking() -> None:
    _text, blocks = render(
        CheckpointCard(checkpoint=checkpoint(read_before=("crm__search", "docs__fetch")))
    )
    shown = text_of(blocks)
    assert "`crm__search`, `docs__fetch`" in shown and "approve only if" in shown
    assert block_errors(blocks) == []
    _text, blocks = render(CheckpointCard(checkpoint=checkpoint()))
    assert "read the output" not in text_of(blocks)


def test_destructive_approval_asks_for_confirmation() -> None:
    _, blocks = render(CheckpointCard(checkpoint=checkpoint(risk=Risk(destructive=True))))
    approve = buttons(blocks)[0]
    assert approve["confirm"]["confirm"]["text"] == "Approve and run"
    assert "may delete or overwrite" in text_of(blocks)


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        (
            {"status": "approved", "decided_by": "U0BOB", "decided_at": 1.7e9},
            "Approved by <@U0BOB>",
        ),
        (
            {
                "status": "done",
                "decided_by": "U0BOB",
                "decided_at": 1.7e9,
                "result": "created OPS-7\nmore",
                "duration_ms": 120,
            },
            "Ran in 120 ms: created OPS-7",
        ),
        (
            {
                "status": "failed",
                "decided_by": "U0BOB",
                "decided_at": 1.7e9,
                "result": "quota exceeded",
                "is_error": True,
            },
            "Failed: quota exceeded",
        ),
        (
            {
                "status": "rejected",
                "decided_by": "U0BOB",
                "decided_at": 1.7e9,
                "reason": "use <#C9>",
            },
            "Rejected by <@U0BOB>",
        ),
        ({"status": "expired", "decided_at": 1.7e9}, "Expired"),
        (
            {"status": "cancelled", "reason": "the conversation moved on"},
            "Withdrawn: the conversation moved on",
        ),
    ],
)
def test_decided_cards_say_what_happened_and_lose_their_buttons(
    changes: dict[str, Any], shown: str
) -> None:
    _, blocks = render(CheckpointCard(checkpoint=checkpoint(**changes)))
    assert shown in text_of(blocks)
    assert buttons(blocks) == []
    assert "<#C9>" not in text_of(blocks)


def test_unknown_outcome_offers_retry_mark_done_and_abort() -> None:
    cp = checkpoint(status="unknown", attempts=1, started_at=1.7e9)
    _, blocks = render(CheckpointCard(checkpoint=cp))
    assert [b["action_id"] for b in buttons(blocks)] == [
        "checkpoint.retry",
        "checkpoint.mark_done",
        "checkpoint.abort",
    ]
    assert "Outcome unknown" in text_of(blocks)


def test_huge_arguments_still_make_a_valid_card() -> None:
    cp = checkpoint(arguments={"body": "x" * 50_000}, why="y" * 5_000)
    _, blocks = render(CheckpointCard(checkpoint=cp))
    assert block_errors(blocks) == []
    assert "more characters" in text_of(blocks)


def test_refusal_notices_name_who_may_decide() -> None:
    text, _ = render(Notice(code="not_an_approver", checkpoint=checkpoint()))
    assert "<@U0BOB>" in text and "<!subteam^S0OPS>" in text
    excluded = checkpoint(approvers=Approvers(users=("U0BOB",), requester_excluded=True))
    text, _ = render(Notice(code="own_destructive_action", checkpoint=excluded))
    assert "someone else" in text and "U0ALICE" not in text
    text, _ = render(
        Notice(code="already_decided", checkpoint=checkpoint(status="rejected", decided_by="U0BOB"))
    )
    assert "already rejected by <@U0BOB>" in text
    text, _ = render(Notice(code="unknown_checkpoint"))
    assert "Nothing was run" in text


def test_reject_dialog_names_only_the_checkpoint_and_place() -> None:
    view = reject_dialog("cp_1", channel_id="C1", thread_ts="1.2")
    assert json.loads(view["private_metadata"]) == {
        "checkpoint": "cp_1",
        "channel": "C1",
        "thread_ts": "1.2",
    }
    assert view["blocks"][0]["element"]["max_length"] == 500
    assert block_errors(view["blocks"], max_blocks=100) == []


def test_a_per_user_connector_card_says_whose_account_runs_it() -> None:
    _, blocks = render(CheckpointCard(checkpoint=checkpoint(runs_as="U0ALICE")))
    assert "Runs as <@U0ALICE>" in json.dumps(blocks)
    _, shared = render(CheckpointCard(checkpoint=checkpoint(shared_account=True)))
    assert "shared account" in json.dumps(shared)
    _, plain = render(CheckpointCard(checkpoint=checkpoint()))
    assert "Runs as" not in json.dumps(plain)
