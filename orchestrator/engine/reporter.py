"""The thread's view of a run: the task's progress reply, one reply per sub-agent, the failure note.

Views are built from task state by pure functions; `ThreadReporter` hands them to the `Notifier`.
Slack refusing something never stops a run: delivery failures are logged and the run goes on.
Slack that cannot be reached at all (`DeliveryUnavailable`) pauses the task instead: it is passed
up, and the task resumes from its last save once Slack answers again.
"""

from __future__ import annotations

import logging

from orchestrator.domain import subagents
from orchestrator.domain.activity import Activity
from orchestrator.domain.task import Agent, CallLine, Task, ToolCall, first_line, with_entry
from orchestrator.domain.views import Failure, Progress, ProgressState, Stopped, SubagentCard
from orchestrator.errors import DeliveryFailed
from orchestrator.ports import Notifier

log = logging.getLogger(__name__)


class ThreadReporter:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    async def status(self, task: Task, activity: Activity | None) -> None:
        """The thread's status line: what the task does now; None clears it."""
        try:
            await self._notifier.status(task.thread, activity)
        except DeliveryFailed:
            log.warning("could not set the status of task %s", task.id)

    async def open_progress(self, task: Task) -> bool:
        """Post the task's progress reply for this turn if it has none; True if it was posted."""
        if task.progress_ts is not None:
            return False
        try:
            task.progress_ts = await self._notifier.post(task.thread, progress(task, "working"))
        except DeliveryFailed:
            log.warning("could not post progress for task %s", task.id)
            return False
        return True

    async def progress(
        self, task: Task, state: ProgressState, *, stopped_by: str | None = None
    ) -> None:
        if task.progress_ts is None:
            return
        view = progress(task, state, stopped_by=stopped_by)
        try:
            await self._notifier.update(task.thread, task.progress_ts, view)
        except DeliveryFailed:
            log.warning("could not update progress for task %s", task.id)

    async def open_subagent(self, task: Task, agent: Agent) -> bool:
        """Post a sub-agent's own reply if it has none; True if it was posted."""
        if agent.progress_ts is not None:
            return False
        try:
            agent.progress_ts = await self._notifier.post(task.thread, subagent_card(agent))
        except DeliveryFailed:
            log.warning("could not post progress of sub-agent %s", agent.id)
            return False
        return True

    async def subagent(self, task: Task, agent: Agent) -> None:
        if agent.progress_ts is None:
            return
        try:
            await self._notifier.update(task.thread, agent.progress_ts, subagent_card(agent))
        except DeliveryFailed:
            log.warning("could not update progress of sub-agent %s", agent.id)

    async def failure(self, task: Task, view: Failure) -> None:
        try:
            await self._notifier.post(task.thread, view)
            await self._notifier.flush(task.thread)
        except DeliveryFailed:
            log.warning("could not tell thread of task %s about its failure", task.id)

    async def stopped(self, task: Task, view: Stopped) -> None:
        try:
            await self._notifier.post(task.thread, view)
            await self._notifier.flush(task.thread)
        except DeliveryFailed:
            log.warning("could not tell thread of task %s that it was stopped", task.id)


def progress(task: Task, state: ProgressState, *, stopped_by: str | None = None) -> Progress:
    return Progress(
        state=state,
        entries=tuple(task.progress),
        steps=task.steps - task.turn_first_step,
        tokens=task.usage.total - task.turn_first_tokens,
        task_id=task.id if state in ("working", "waiting", "asking", "connecting") else None,
        stopped_by=stopped_by,
        subagents=tuple(subagent_card(a) for a in task.agents.values() if a.kind != "orchestrator"),
    )


def subagent_card(agent: Agent) -> SubagentCard:
    state = subagent_state(agent)
    result = agent.error if state == "failed" else agent.summary if state == "done" else ""
    return SubagentCard(
        type=agent.definition or subagents.GENERAL,
        brief=subagents.one_line(agent.brief or "", 300),
        state=state,
        steps=agent.steps,
        tokens=agent.usage.total,
        result=result or "",
    )


def subagent_state(agent: Agent) -> ProgressState:
    if agent.status in ("done", "failed"):
        return "done" if agent.status == "done" else "failed"
    if any(c.status == "awaiting_approval" for c in agent.calls):
        return "waiting"
    if any(c.status == "awaiting_input" for c in agent.calls):
        return "asking"
    if any(c.status == "awaiting_sign_in" for c in agent.calls):
        return "connecting"
    return "working"


def note_calls(task: Task, calls: list[ToolCall]) -> None:
    """Add one entry per call to the progress reply (the last few are kept)."""
    for call in calls:
        error = first_line(call.result) if call.status == "failed" else ""
        entry = CallLine(tool=call.name, status=call.status, error=error)
        task.progress = with_entry(task.progress, entry)
