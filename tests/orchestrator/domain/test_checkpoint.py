"""The checkpoint lifecycle, decisions and permissions as pure functions."""

from __future__ import annotations

import pytest

from orchestrator.domain.checkpoint import (
    Approvers,
    Checkpoint,
    NotPermitted,
    Permitted,
    Risk,
    checkpoint_id,
    decide,
    model_result,
    move_checkpoint,
    permission,
    task_of_checkpoint,
)
from orchestrator.domain.task import ThreadRef
from orchestrator.errors import InvalidTransition

THREAD = ThreadRef(team_id="T1", channel_id="C1", thread_ts="1700000000.000100")


def checkpoint(**changes: object) -> Checkpoint:
    values: dict[str, object] = {
        "id": "cp_1",
        "task_id": "task_1",
        "agent_id": "main",
        "call_id": "toolu_1",
        "thread": THREAD,
        "tool": "jira__create",
        "server": "jira/api",
        "requester": "U0ALICE",
        "approvers": Approvers(requester="U0ALICE", users=("U0BOB",), groups=("S0OPS",)),
        "expires_at": 2000.0,
    }
    values.update(changes)
    return Checkpoint.model_validate(values)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "approved"),
        ("pending", "rejected"),
        ("pending", "expired"),
        ("pending", "cancelled"),
        ("approved", "executing"),
        ("executing", "done"),
        ("executing", "failed"),
        ("executing", "unknown"),
        ("executing", "executing"),
        ("unknown", "approved"),
        ("unknown", "done"),
        ("unknown", "failed"),
    ],
)
def test_allowed_moves(current: str, target: str) -> None:
    assert move_checkpoint(current, target) == target  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "executing"),
        ("pending", "done"),
        ("approved", "rejected"),
        ("rejected", "approved"),
        ("expired", "approved"),
        ("done", "executing"),
        ("cancelled", "approved"),
    ],
)
def test_forbidden_moves(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition):
        move_checkpoint(current, target)  # type: ignore[arg-type]


def test_ids_are_stable_per_call_and_distinct_across_calls() -> None:
    assert checkpoint_id("task_1", "toolu_1") == checkpoint_id("task_1", "toolu_1")
    assert checkpoint_id("task_1", "toolu_1") != checkpoint_id("task_1", "toolu_2")
    assert checkpoint_id("task_1", "toolu_1") != checkpoint_id("task_2", "toolu_1")
    assert task_of_checkpoint(checkpoint_id("task_1", "toolu_1")) == "task_1"
    assert task_of_checkpoint("cp_0123456789abcdef01234567") is None


def test_a_decision_applies_once() -> None:
    cp = checkpoint()
    decide(cp, "approve", by="U0BOB", at=1000.0, reason=None)
    assert (cp.status, cp.decided_by, cp.decided_at) == ("approved", "U0BOB", 1000.0)
    with pytest.raises(InvalidTransition):
        decide(cp, "reject", by="U0ALICE", at=1001.0, reason="too late")
    assert cp.decided_by == "U0BOB"


def test_unknown_outcome_choices() -> None:
    for verdict, status, is_error in (
        ("retry", "approved", False),
        ("mark_done", "done", False),
        ("abort", "failed", True),
    ):
        cp = checkpoint(status="unknown")
        decide(cp, verdict, by="U0BOB", at=1.0, reason=None)  # type: ignore[arg-type]
        assert cp.status == status
        assert cp.is_error is is_error
    with pytest.raises(InvalidTransition):
        decide(checkpoint(), "retry", by="U0BOB", at=1.0, reason=None)


def test_rejection_reason_and_expiry_reach_the_model_as_errors() -> None:
    rejected = checkpoint(status="rejected", decided_by="U0BOB", reason="use staging")
    text, is_error = model_result(rejected)
    assert is_error and "use staging" in str(text) and "<@U0BOB>" in str(text)
    text, is_error = model_result(checkpoint(status="expired"))
    assert is_error and "expired" in str(text)
    text, is_error = model_result(checkpoint(status="done", result="created T-1"))
    assert (text, is_error) == ("created T-1", False)


def allowed(
    cp: Checkpoint, user: str, groups: frozenset[str] = frozenset(), **where: str
) -> object:
    return permission(
        cp,
        user_id=user,
        team_id=where.get("team", "T1"),
        channel_id=where.get("channel", "C1"),
        groups_with_user=groups,
    )


def test_requester_listed_users_and_group_members_may_decide() -> None:
    cp = checkpoint()
    assert allowed(cp, "U0ALICE") == Permitted()
    assert allowed(cp, "U0BOB") == Permitted()
    assert allowed(cp, "U0CAROL", frozenset({"S0OPS"})) == Permitted()
    assert allowed(cp, "U0MALLORY") == NotPermitted("not_an_approver")
    assert allowed(cp, "U0MALLORY", frozenset({"S0OTHER"})) == NotPermitted("not_an_approver")


def test_clicks_from_another_channel_or_workspace_are_refused() -> None:
    cp = checkpoint()
    assert allowed(cp, "U0BOB", channel="C2") == NotPermitted("wrong_place")
    assert allowed(cp, "U0BOB", team="T2") == NotPermitted("wrong_place")


def test_a_click_from_the_home_tab_is_judged_on_who_and_which_workspace_only() -> None:
    cp = checkpoint()
    home = {"team_id": "T1", "channel_id": None, "groups_with_user": frozenset[str]()}
    assert permission(cp, user_id="U0BOB", **home) == Permitted()  # type: ignore[arg-type]
    assert permission(cp, user_id="U0MALLORY", **home) == NotPermitted("not_an_approver")  # type: ignore[arg-type]
    other = {**home, "team_id": "T2"}
    assert permission(cp, user_id="U0BOB", **other) == NotPermitted("wrong_place")  # type: ignore[arg-type]


def test_requester_excluded_from_their_own_destructive_action_even_when_named() -> None:
    cp = checkpoint(
        risk=Risk(destructive=True),
        approvers=Approvers(users=("U0ALICE", "U0BOB"), requester_excluded=True),
    )
    assert allowed(cp, "U0ALICE") == NotPermitted("own_destructive_action")
    assert allowed(cp, "U0BOB") == Permitted()


def test_deadline_is_the_reminder_first_then_expiry_and_none_once_decided() -> None:
    cp = checkpoint(remind_at=1500.0)
    assert cp.next_deadline == 1500.0
    cp.reminded = True
    assert cp.next_deadline == 2000.0
    cp.status = "approved"
    assert cp.next_deadline is None
