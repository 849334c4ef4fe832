"""Approvals: open checkpoints, take people's decisions, run approved calls at most once, sweep deadlines.

The one place where a checkpoint changes. Decisions arrive as `Click`s from the Slack edge and are
checked server-side (the checkpoint exists, the click comes from its workspace and channel, the
clicker may decide, the checkpoint still waits for that decision) before one compare-and-set moves
it; the winner's decision resumes the task through the job queue. Execution marks the checkpoint
`executing` before the call, so a call whose worker died is never silently run twice.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.domain.checkpoint import (
    Approvers,
    Checkpoint,
    Permitted,
    Risk,
    Verdict,
    checkpoint_id,
    decide,
    model_result,
    permission,
    verdict_source,
)
from orchestrator.domain.commands import Click, Job
from orchestrator.domain.events import (
    ActivityEvent,
    CheckpointCreated,
    CheckpointDecided,
    CheckpointDecision,
    CheckpointExecuted,
    CheckpointOutcomeUnknown,
    CheckpointRefused,
    CheckpointReminded,
)
from orchestrator.domain.messages import ToolOutput, text_of
from orchestrator.domain.task import Agent, Task, ThreadRef, ToolCall
from orchestrator.domain.text import clip
from orchestrator.domain.views import CheckpointCard, Notice, NoticeCode
from orchestrator.engine.refusals import groups_with, tell_refusal
from orchestrator.errors import CheckpointConflict, DeliveryFailed, InvalidTransition
from orchestrator.ports import (
    ActivityLog,
    CheckpointStore,
    Directory,
    JobQueue,
    NoTelemetry,
    Notifier,
    Telemetry,
)
from plugins import ApprovalsConfig

log = logging.getLogger(__name__)

MAX_WHY_CHARS = 600
SWEEP_HOLD_S = 30.0
_CONFLICT_RETRIES = 5
_DECISIONS: dict[Verdict, CheckpointDecision] = {
    "approve": "approved",
    "reject": "rejected",
    "retry": "retried",
    "mark_done": "marked_done",
    "abort": "aborted",
}

Execute = Callable[[], Awaitable[tuple[ToolOutput, bool]]]
"""Runs the tool call; returns (result for the model, is_error)."""


@dataclass(frozen=True, slots=True)
class Decided:
    checkpoint: Checkpoint
    kind: Literal["decided"] = "decided"


@dataclass(frozen=True, slots=True)
class Refused:
    code: NoticeCode
    kind: Literal["refused"] = "refused"


ClickOutcome = Decided | Refused


class Approvals:
    def __init__(
        self,
        *,
        store: CheckpointStore,
        queue: JobQueue,
        notifier: Notifier,
        directory: Directory,
        activity: ActivityLog,
        config: ApprovalsConfig,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._store = store
        self._telemetry = telemetry or NoTelemetry()
        self._queue = queue
        self._notifier = notifier
        self._directory = directory
        self._activity = activity
        self._config = config
        self._me = f"{socket.gethostname()}:{os.getpid()}"

    # -- opening -------------------------------------------------------------------------------

    async def open(
        self,
        task: Task,
        agent: Agent,
        call: ToolCall,
        *,
        server: str,
        risk: Risk,
        read_before: tuple[str, ...] = (),
        runs_as: str | None = None,
        shared_account: bool = False,
    ) -> Checkpoint:
        """Open (or find, when a step is re-run) the checkpoint of `call` and show its card."""
        now = time.time()
        config = self._config
        excluded = config.requester_cannot_approve_destructive and risk.destructive
        draft = Checkpoint(
            id=checkpoint_id(task.id, call.id),
            task_id=task.id,
            agent_id=agent.id,
            call_id=call.id,
            thread=task.thread,
            tool=call.name,
            server=server,
            arguments=call.input,
            why=_why(agent),
            read_before=read_before,
            risk=risk,
            runs_as=runs_as,
            shared_account=shared_account,
            requester=task.requester,
            approvers=Approvers(
                requester=task.requester if config.requester_may_approve else None,
                users=config.approver_users,
                groups=config.approver_groups,
                requester_excluded=excluded,
            ),
            created_at=now,
            expires_at=now + config.expire_after.total_seconds(),
            remind_at=now + config.remind_after.total_seconds() if config.remind_after else None,
        )
        cp = await self._store.create(draft)
        if cp.message_ts is None:
            # Recorded before the card exists, so the trail never shows a decision first.
            await self._record(
                CheckpointCreated(
                    **_about(cp),
                    tool=cp.tool,
                    server=cp.server,
                    arguments=cp.arguments,
                    approvers=cp.approvers,
                    risk=cp.risk,
                    expires_at=cp.expires_at,
                )
            )
            message_ts = await self._notifier.post(cp.thread, CheckpointCard(checkpoint=cp))
            cp = await self._set_card(cp, message_ts)
        return cp

    async def _set_card(self, cp: Checkpoint, message_ts: str) -> Checkpoint:
        """Remember the card; a click may already have landed on it, so retry on conflict."""
        for _ in range(_CONFLICT_RETRIES):
            cp.message_ts = message_ts
            try:
                await self._store.save(cp)
            except CheckpointConflict:
                fresh = await self._store.load(cp.id)
                if fresh is None:
                    break
                cp = fresh
                continue
            if cp.status != "pending":
                await self._show(cp)  # decided before we knew the card: bring it up to date
            return cp
        raise CheckpointConflict(cp.id)

    # -- people's decisions --------------------------------------------------------------------

    async def decide(self, click: Click) -> ClickOutcome:
        """Apply a click if it is allowed and still applies; otherwise tell the clicker why not."""
        for _ in range(_CONFLICT_RETRIES):
            outcome = await self._try_decide(click)
            if outcome is not None:
                return outcome
        return await self._refuse(click, None, "already_decided")

    async def check(self, click: Click) -> bool:
        """Would `click` be accepted now? Tells the clicker why not (used before a dialog opens)."""
        cp = await self._store.load(click.checkpoint_id)
        refusal = await self._refusal(click, cp)
        if refusal is not None:
            await self._refuse(click, cp, refusal)
            return False
        return True

    async def _try_decide(self, click: Click) -> ClickOutcome | None:
        cp = await self._store.load(click.checkpoint_id)
        refusal = await self._refusal(click, cp)
        if refusal is not None:
            return await self._refuse(click, cp, refusal)
        assert cp is not None
        decide(cp, click.verdict, by=click.user_id, at=time.time(), reason=click.reason)
        try:
            await self._store.save(cp)
        except CheckpointConflict:
            return None
        self._waited(cp)
        await self._record(
            CheckpointDecided(
                **_about(cp),
                decision=_DECISIONS[click.verdict],
                by=click.user_id,
                reason=click.reason,
            )
        )
        await self._show(cp)
        await self._queue.enqueue(Job(kind="resume", task_id=cp.task_id))
        return Decided(cp)

    async def _refusal(self, click: Click, cp: Checkpoint | None) -> NoticeCode | None:
        if cp is None:
            return "unknown_checkpoint"
        if cp.status != verdict_source(click.verdict):
            return "already_decided"
        groups = await self._groups_with(click.user_id, cp)
        allowed = permission(
            cp,
            user_id=click.user_id,
            team_id=click.team_id,
            channel_id=click.channel_id,
            groups_with_user=groups,
        )
        return None if isinstance(allowed, Permitted) else allowed.reason

    async def _groups_with(self, user_id: str, cp: Checkpoint) -> frozenset[str]:
        if user_id in cp.approvers.users or user_id == cp.approvers.requester:
            return frozenset()
        return await groups_with(
            self._directory, user_id, cp.approvers.groups, team_id=cp.thread.team_id
        )

    async def _refuse(self, click: Click, cp: Checkpoint | None, code: NoticeCode) -> Refused:
        log.info(
            "refused %s on checkpoint %s by %s (team %s, channel %s): %s",
            click.verdict,
            click.checkpoint_id,
            click.user_id,
            click.team_id,
            click.channel_id,
            code,
        )
        if cp is not None:
            await self._record(
                CheckpointRefused(**_about(cp), user=click.user_id, verdict=click.verdict, why=code)
            )
        if cp is not None and click.team_id != cp.thread.team_id:
            return Refused(code)  # another workspace: our token cannot reach it
        if cp is None and click.channel_id is None:
            return Refused(code)  # pressed in a Home for a request that is gone: nowhere to say
        # Told where the click happened: a click in the wrong channel is answered there.
        thread = cp.thread if cp is not None and code != "wrong_place" else _click_thread(click)
        notice = Notice(code=code, checkpoint=cp)
        await tell_refusal(self._notifier, thread, click.user_id, notice, what="click")
        return Refused(code)

    # -- running approved calls ----------------------------------------------------------------

    async def settle(self, call: ToolCall, execute: Execute) -> bool:
        """Move a waiting call on from its checkpoint; True if the call now has a result.

        `approved` → run it; `executing` found at resume (its worker died) → run again only if the
        tool is idempotent, else ask a person; final statuses → the call's result.
        """
        cp = await self._store.load(call.checkpoint_id or "")
        if cp is None:
            call.finish(
                "Not run: the approval request is gone (it outlived its retention).", is_error=True
            )
            return True
        if cp.status == "executing":
            if not cp.risk.idempotent:
                await self._outcome_unknown(cp)
                return False
            await self._record(
                CheckpointExecuted(**_about(cp), outcome="retrying", attempt=cp.attempts)
            )
        if cp.status in ("approved", "executing"):
            cp = await self._execute(cp, execute)
        if cp.waiting or cp.status in ("approved", "executing"):
            return False
        result, is_error = model_result(cp)
        call.finish(result, is_error=is_error)
        return True

    async def _execute(self, cp: Checkpoint, execute: Execute) -> Checkpoint:
        cp.move("executing")
        cp.attempts += 1
        cp.started_at = time.time()
        cp.executed_by = self._me
        await self._store.save(cp)  # recorded before the call: never run twice unknowingly
        await self._show(cp)
        result, is_error = await execute()
        cp.duration_ms = round((time.time() - cp.started_at) * 1000)
        cp.result = result
        cp.is_error = is_error
        cp.move("failed" if is_error else "done")
        await self._store.save(cp)
        await self._record(
            CheckpointExecuted(
                **_about(cp),
                outcome="error" if is_error else "ok",
                duration_ms=cp.duration_ms,
                attempt=cp.attempts,
            )
        )
        await self._show(cp)
        return cp

    async def _outcome_unknown(self, cp: Checkpoint) -> None:
        cp.move("unknown")
        await self._store.save(cp)
        await self._record(
            CheckpointOutcomeUnknown(
                **_about(cp),
                started_at=cp.started_at,
                executed_by=cp.executed_by,
                attempt=cp.attempts,
            )
        )
        await self._show(cp)
        await self._post(cp, "outcome_unknown")

    async def cancel(self, call: ToolCall, reason: str) -> bool:
        """Withdraw a still-pending request (the person moved on); True if the call got a result."""
        cp = await self._store.load(call.checkpoint_id or "")
        if cp is None or cp.status != "pending":
            return False
        cp.move("cancelled")
        cp.reason = reason
        cp.decided_at = time.time()
        try:
            await self._store.save(cp)
        except CheckpointConflict:
            return False  # a decision won the race; the resume job will carry it out
        self._waited(cp)
        await self._record(CheckpointDecided(**_about(cp), decision="cancelled", reason=reason))
        await self._show(cp)
        result, is_error = model_result(cp)
        call.finish(result, is_error=is_error)
        return True

    # -- deadlines -----------------------------------------------------------------------------

    async def sweep(self, now: float | None = None) -> int:
        """Send due reminders and expire overdue requests; returns how many were handled."""
        now = time.time() if now is None else now
        handled = 0
        for cid in await self._store.claim_due(now, hold_s=SWEEP_HOLD_S):
            cp = await self._store.load(cid)
            if cp is None:
                continue
            try:
                handled += await self._deadline(cp, now)
            except (CheckpointConflict, InvalidTransition):
                continue  # a click won; the next sweep sees the new status
        return handled

    async def _deadline(self, cp: Checkpoint, now: float) -> int:
        if cp.status != "pending":
            await self._store.schedule(cp)  # decided meanwhile: drops it from the deadline index
            return 0
        if now >= cp.expires_at:
            cp.move("expired")
            cp.decided_at = now
            await self._store.save(cp)
            self._waited(cp)
            await self._record(CheckpointDecided(**_about(cp), decision="expired"))
            await self._show(cp)
            await self._queue.enqueue(Job(kind="resume", task_id=cp.task_id))
            return 1
        if cp.remind_at is not None and not cp.reminded and now >= cp.remind_at:
            cp.reminded = True
            await self._store.save(cp)
            await self._record(CheckpointReminded(**_about(cp)))
            await self._post(cp, "reminder")
            return 1
        await self._store.schedule(cp)  # not due yet (clock skew): put it back at its deadline
        return 0

    # -- showing and recording -----------------------------------------------------------------

    async def _show(self, cp: Checkpoint) -> None:
        if cp.message_ts is None:
            return
        try:
            await self._notifier.update(cp.thread, cp.message_ts, CheckpointCard(checkpoint=cp))
        except DeliveryFailed:
            log.warning("could not update the card of checkpoint %s", cp.id)

    async def _post(self, cp: Checkpoint, code: NoticeCode) -> None:
        try:
            await self._notifier.post(cp.thread, Notice(code=code, checkpoint=cp))
        except DeliveryFailed:
            log.warning("could not post %s for checkpoint %s", code, cp.id)

    async def _record(self, event: ActivityEvent) -> None:
        await self._activity.record(event)

    def _waited(self, cp: Checkpoint) -> None:
        """Trace the wait for a person, now over, however it ended."""
        self._telemetry.span_between(
            "checkpoint.wait",
            cp.created_at,
            cp.decided_at or time.time(),
            task_id=cp.task_id,
            checkpoint_id=cp.id,
            tool=cp.tool,
            outcome=cp.status,
        )


def _about(cp: Checkpoint) -> dict[str, Any]:
    """The fields every checkpoint event shares: whose it is, which one, and its status now."""
    return {
        "task_id": cp.task_id,
        "agent_id": cp.agent_id,
        "checkpoint": cp.id,
        "status": cp.status,
    }


def _why(agent: Agent) -> str:
    """The model's own words in the turn that asked for the call."""
    last = agent.messages[-1] if agent.messages else None
    if last is None or last.get("role") != "assistant" or not isinstance(last["content"], list):
        return ""
    text = text_of(last["content"]).strip()
    return clip(text, MAX_WHY_CHARS)


def _click_thread(click: Click) -> ThreadRef:
    return ThreadRef(
        team_id=click.team_id, channel_id=click.channel_id or "", thread_ts=click.thread_ts or ""
    )
