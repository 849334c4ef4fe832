"""Control: people intervening in a task from Slack — today, stopping it.

A Stop is checked here (the task exists, the person may stop it, it is still going) and then
raised as the task's stop flag, which the worker running it polls, and queued as a `stop` job for
a task no worker is running (one waiting for approval). Refusals are told to the person alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.commands import Job, StopRequest
from orchestrator.domain.control import Stoppers, StopRefusal, stop_refusal
from orchestrator.domain.task import Task
from orchestrator.domain.views import ControlNotice
from orchestrator.engine.refusals import groups_with, tell_refusal
from orchestrator.ports import Directory, JobQueue, Notifier, TaskSignals, TaskStore
from plugins import AdminsConfig, ApprovalsConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stopping:
    task_id: str
    kind: Literal["stopping"] = "stopping"


@dataclass(frozen=True, slots=True)
class StopRefused:
    code: StopRefusal
    kind: Literal["refused"] = "refused"


StopOutcome = Stopping | StopRefused


class Control:
    def __init__(
        self,
        *,
        store: TaskStore,
        queue: JobQueue,
        signals: TaskSignals,
        directory: Directory,
        notifier: Notifier,
        approvals: ApprovalsConfig,
        admins: AdminsConfig,
    ) -> None:
        self._store = store
        self._queue = queue
        self._signals = signals
        self._directory = directory
        self._notifier = notifier
        self._approvals = approvals
        self._admins = admins

    async def stop(self, request: StopRequest) -> StopOutcome:
        task = await self._task(request)
        if task is None:
            return await self._refuse(request, None, "unknown_task")
        stoppers = self._stoppers(task)
        groups: frozenset[str] = frozenset()
        if not stoppers.names_user(request.user_id):
            groups = await groups_with(
                self._directory, request.user_id, stoppers.groups, team_id=request.thread.team_id
            )
        refusal = stop_refusal(
            stoppers, status=task.status, user_id=request.user_id, groups_with_user=groups
        )
        if refusal is not None:
            return await self._refuse(request, task, refusal)
        await self._signals.request_stop(task.id, request.user_id)
        await self._queue.enqueue(Job(kind="stop", task_id=task.id, stopped_by=request.user_id))
        log.info("task %s: stop requested by %s", task.id, request.user_id)
        return Stopping(task.id)

    async def _task(self, request: StopRequest) -> Task | None:
        task_id = request.task_id or await self._store.task_for_thread(request.thread)
        if task_id is None:
            return None
        task = await self._store.load(task_id)
        if task is None or task.thread != request.thread:
            return None  # a button from another thread (or workspace) names nothing here
        return task

    def _stoppers(self, task: Task) -> Stoppers:
        return Stoppers(
            requester=task.requester,
            users=(*self._approvals.approver_users, *self._admins.users),
            groups=(*self._approvals.approver_groups, *self._admins.groups),
        )

    async def _refuse(
        self, request: StopRequest, task: Task | None, code: StopRefusal
    ) -> StopRefused:
        log.info("refused a stop of %s by %s: %s", request.task_id, request.user_id, code)
        notice = ControlNotice(code=code, requester=task.requester if task else None)
        await tell_refusal(self._notifier, request.thread, request.user_id, notice, what="stop")
        return StopRefused(code)
