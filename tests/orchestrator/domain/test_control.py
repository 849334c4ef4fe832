"""Who may stop a task: pure rules, no services."""

from __future__ import annotations

import pytest

from orchestrator.domain.control import Stoppers, stop_refusal

STOPPERS = Stoppers(requester="U0ALICE", users=("U0APPROVER", "U0ADMIN"), groups=("S0OPS",))


@pytest.mark.parametrize("user", ["U0ALICE", "U0APPROVER", "U0ADMIN"])
def test_requester_approvers_and_admins_may_stop_a_running_task(user: str) -> None:
    assert stop_refusal(STOPPERS, status="running", user_id=user) is None


def test_a_member_of_an_approver_or_admin_group_may_stop() -> None:
    allowed = stop_refusal(
        STOPPERS, status="awaiting_approval", user_id="U0OPS", groups_with_user=frozenset({"S0OPS"})
    )
    assert allowed is None


def test_anyone_else_is_refused_even_in_an_unrelated_group() -> None:
    refusal = stop_refusal(
        STOPPERS, status="running", user_id="U0BOB", groups_with_user=frozenset({"S0OTHER"})
    )
    assert refusal == "not_allowed_to_stop"


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_a_finished_task_has_nothing_to_stop(status: str) -> None:
    assert stop_refusal(STOPPERS, status=status, user_id="U0ALICE") == "nothing_to_stop"  # type: ignore[arg-type]


def test_a_stranger_is_told_they_may_not_stop_before_being_told_it_finished() -> None:
    assert stop_refusal(STOPPERS, status="completed", user_id="U0BOB") == "not_allowed_to_stop"
