"""Checkpoints: one side-effecting tool call waiting for a person's decision, and its rules.

A checkpoint moves `pending → approved → executing → done | failed`, or `pending → rejected |
expired | cancelled`. When a worker died while the call was `executing`, nobody knows whether it
ran: the checkpoint becomes `unknown` and a person picks Retry (back to `approved`), Mark done or
Abort. Every move is a pure function here; `checkpoints` persists them atomically. Who may decide
is a pure function too: facts in (the clicker, the groups they are in), a decision value out.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.domain.messages import ToolOutput
from orchestrator.domain.task import ThreadRef
from orchestrator.errors import InvalidTransition

CheckpointStatus = Literal[
    "pending",
    "approved",
    "executing",
    "done",
    "failed",
    "rejected",
    "expired",
    "cancelled",
    "unknown",
]
Verdict = Literal["approve", "reject", "retry", "mark_done", "abort"]

_MOVES: dict[CheckpointStatus, frozenset[CheckpointStatus]] = {
    "pending": frozenset({"approved", "rejected", "expired", "cancelled"}),
    "approved": frozenset({"executing"}),
    # executing → executing: an idempotent tool retried after its worker died.
    "executing": frozenset({"executing", "done", "failed", "unknown"}),
    "unknown": frozenset({"approved", "done", "failed"}),
    "done": frozenset(),
    "failed": frozenset(),
    "rejected": frozenset(),
    "expired": frozenset(),
    "cancelled": frozenset(),
}
_VERDICTS: dict[Verdict, tuple[CheckpointStatus, CheckpointStatus]] = {
    "approve": ("pending", "approved"),
    "reject": ("pending", "rejected"),
    "retry": ("unknown", "approved"),
    "mark_done": ("unknown", "done"),
    "abort": ("unknown", "failed"),
}
WAITING: frozenset[CheckpointStatus] = frozenset({"pending", "unknown"})
"""Statuses in which the checkpoint waits for a person."""


def move_checkpoint(current: CheckpointStatus, target: CheckpointStatus) -> CheckpointStatus:
    if target not in _MOVES[current]:
        raise InvalidTransition("checkpoint", current, target)
    return target


_DIGEST = len("cp_") + 24
"""Length of a checkpoint id without its task: `cp_` and 24 hex digits."""


def checkpoint_id(task_id: str, call_id: str) -> str:
    """The id of the checkpoint of one tool call: stable, so a re-run step finds the same one.

    `cp_<24 hex>_<task id>`: it carries the task id, so a click that names only the checkpoint
    also names the task whose storage it shares (`task_of_checkpoint`).
    """
    digest = hashlib.sha256(f"{task_id}\0{call_id}".encode()).hexdigest()[:24]
    return f"cp_{digest}_{task_id}"


def task_of_checkpoint(checkpoint_id: str) -> str | None:
    """The task id a checkpoint id carries; None for ids made before they carried one."""
    if len(checkpoint_id) <= _DIGEST + 1 or checkpoint_id[_DIGEST] != "_":
        return None
    return checkpoint_id[_DIGEST + 1 :]


class ToolHints(Protocol):
    """A tool's annotation hints, as the connector layer read them (`connectors.ToolInfo`)."""

    @property
    def destructive(self) -> bool: ...
    @property
    def open_world(self) -> bool: ...
    @property
    def idempotent(self) -> bool: ...


class Risk(BaseModel):
    """What the tool's annotations say about its effect (hints from the server)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    destructive: bool = True
    open_world: bool = True
    idempotent: bool = False

    @classmethod
    def from_tool(cls, tool: ToolHints) -> Risk:
        return cls(
            destructive=tool.destructive, open_world=tool.open_world, idempotent=tool.idempotent
        )


class Approvers(BaseModel):
    """Who may decide, fixed when the checkpoint is opened (so the audit trail is unambiguous)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    requester: str | None = None
    """The requester's user id when the requester may decide this checkpoint."""
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    requester_excluded: bool = False
    """The requester may not decide, even when named (their own destructive action)."""


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    task_id: str
    agent_id: str
    call_id: str
    thread: ThreadRef
    tool: str
    server: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    why: str = ""
    read_before: tuple[str, ...] = ()
    """Connector tools whose output the turn read before asking (their output may have asked)."""
    risk: Risk = Field(default_factory=Risk)
    runs_as: str | None = None
    """The person whose own connector account the call uses (a per-user connector)."""
    shared_account: bool = False
    """The call uses the workspace's shared connector account."""
    requester: str
    approvers: Approvers
    created_at: float = Field(default_factory=time.time)
    expires_at: float
    remind_at: float | None = None
    reminded: bool = False
    status: CheckpointStatus = "pending"
    decided_by: str | None = None
    decided_at: float | None = None
    reason: str | None = None
    message_ts: str | None = None
    attempts: int = 0
    started_at: float | None = None
    executed_by: str | None = None
    result: ToolOutput | None = None
    is_error: bool = False
    duration_ms: int | None = None
    version: int = -1

    @property
    def waiting(self) -> bool:
        return self.status in WAITING

    @property
    def next_deadline(self) -> float | None:
        """When the sweeper must look at this checkpoint next (reminder, then expiry)."""
        if self.status != "pending":
            return None
        if self.remind_at is not None and not self.reminded:
            return min(self.remind_at, self.expires_at)
        return self.expires_at

    def move(self, target: CheckpointStatus) -> None:
        self.status = move_checkpoint(self.status, target)


def decide(cp: Checkpoint, verdict: Verdict, *, by: str, at: float, reason: str | None) -> None:
    """Apply a person's verdict; raises `InvalidTransition` if the checkpoint is not waiting for it."""
    source, target = _VERDICTS[verdict]
    if cp.status != source:
        raise InvalidTransition("checkpoint", cp.status, target)
    cp.move(target)
    cp.decided_by = by
    cp.decided_at = at
    cp.reason = reason
    if verdict == "mark_done":
        cp.result = f"Marked as done by <@{by}>; the tool's own output is unknown."
    elif verdict == "abort":
        cp.result = f"Aborted by <@{by}> after its outcome became unknown."
        cp.is_error = True


def verdict_source(verdict: Verdict) -> CheckpointStatus:
    return _VERDICTS[verdict][0]


@dataclass(frozen=True, slots=True)
class Permitted:
    kind: Literal["permitted"] = "permitted"


@dataclass(frozen=True, slots=True)
class NotPermitted:
    reason: Literal["not_an_approver", "own_destructive_action", "wrong_place"]
    kind: Literal["not_permitted"] = "not_permitted"


Permission = Permitted | NotPermitted


def permission(
    cp: Checkpoint,
    *,
    user_id: str,
    team_id: str,
    channel_id: str | None,
    groups_with_user: frozenset[str],
) -> Permission:
    """May `user_id`, clicking in `team_id`/`channel_id`, decide `cp`? `channel_id` None: the
    click came from the person's own App Home, which lists only what they may decide."""
    wrong_channel = channel_id is not None and channel_id != cp.thread.channel_id
    if team_id != cp.thread.team_id or wrong_channel:
        return NotPermitted("wrong_place")
    if user_id == cp.requester and cp.approvers.requester_excluded:
        return NotPermitted("own_destructive_action")
    if (
        user_id == cp.approvers.requester
        or user_id in cp.approvers.users
        or bool(groups_with_user & set(cp.approvers.groups))
    ):
        return Permitted()
    return NotPermitted("not_an_approver")


def model_result(cp: Checkpoint) -> tuple[ToolOutput, bool]:
    """The tool result the model sees once the checkpoint reached a final status."""
    who = f"<@{cp.decided_by}>" if cp.decided_by else "a person"
    if cp.status == "rejected":
        why = f" Reason: {cp.reason}" if cp.reason else " No reason was given."
        return f"Rejected by {who}: the call was not run.{why}", True
    if cp.status == "expired":
        return "Not run: nobody approved the call before its approval request expired.", True
    if cp.status == "cancelled":
        return f"Not run: the approval request was cancelled ({cp.reason or 'no reason'}).", True
    return (cp.result if cp.result is not None else "(no output)"), cp.is_error
