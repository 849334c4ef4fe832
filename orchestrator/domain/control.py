"""Who may intervene in a running task, and what a stop request amounts to. Pure rules, no I/O.

A stop may come from the person who asked, from anyone who may approve the task's requests, or
from an admin (`threadwork.yaml` `admins:`); everyone else is refused, privately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.task import TaskStatus

StopRefusal = Literal["not_allowed_to_stop", "nothing_to_stop", "unknown_task"]
FINISHED: frozenset[TaskStatus] = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Stoppers:
    """Everyone who may stop one task: its requester, named users, and members of groups."""

    requester: str
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def names_user(self, user_id: str) -> bool:
        """True when `user_id` may stop without looking up any group's members."""
        return user_id == self.requester or user_id in self.users


def stop_refusal(
    stoppers: Stoppers,
    *,
    status: TaskStatus,
    user_id: str,
    groups_with_user: frozenset[str] = frozenset(),
) -> StopRefusal | None:
    """Why `user_id` may not stop a task in `status` now, or None when the stop goes ahead."""
    if not (stoppers.names_user(user_id) or groups_with_user & frozenset(stoppers.groups)):
        return "not_allowed_to_stop"
    if status in FINISHED:
        return "nothing_to_stop"
    return None
