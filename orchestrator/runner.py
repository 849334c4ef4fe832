"""The planning loop: advance one task, step by step, until no agent can make progress.

A step is one of: ask the model for the next turn, resolve the turn's tool calls, or close a turn
whose calls all have results. The task is saved after every step, so a worker that dies loses at
most the step in flight; the next worker resumes from the last save. The loop only talks to ports.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from orchestrator.errors import BudgetExceeded, DeliveryFailed, ModelError, OrchestratorError
from orchestrator.ports import (
    ActivityEvent,
    ActivityLog,
    ModelClient,
    ModelRequest,
    Notifier,
    TaskRecord,
)
from orchestrator.prompt import system_blocks
from orchestrator.store import TaskStore
from orchestrator.task import Agent, Failure, Task, ToolCall
from orchestrator.tools import Toolbox
from orchestrator.views import Answer, Progress, ProgressState
from orchestrator.views import Failure as FailureView

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunLimits:
    max_steps: int = 40
    max_tokens: int = 2_000_000
    max_output_tokens: int = 8192


class Runner:
    def __init__(
        self,
        *,
        store: TaskStore,
        model: ModelClient,
        notifier: Notifier,
        activity: ActivityLog,
        toolbox: Toolbox,
        limits: RunLimits,
    ) -> None:
        self._store = store
        self._model = model
        self._notifier = notifier
        self._activity = activity
        self._toolbox = toolbox
        self._limits = limits

    async def run(self, task: Task) -> None:
        """Advance `task` until it completes, fails or waits; every step is saved."""
        if task.status in ("queued", "awaiting_approval", "awaiting_input"):
            task.move("running")
            await self._store.save(task)
        await self._ensure_progress(task)
        if settled := await self._toolbox.resume(task):
            self._note_calls(task, settled)
            await self._store.save(task)
            await self._show_progress(task, "working")
        try:
            while (agent := _next_agent(task)) is not None:
                self._check_budget(task)
                await self._step(task, agent)
                task.steps += 1
                await self._store.save(task)
                await self._show_progress(task, "working")
        except (ModelError, BudgetExceeded) as exc:
            await self.fail(task, exc)
            return
        await self._settle(task)

    async def fail(self, task: Task, exc: Exception) -> None:
        """Mark the task failed, tell the thread (with a correlation id) and log it."""
        correlation_id = uuid.uuid4().hex[:12]
        code = exc.code if isinstance(exc, OrchestratorError) else "internal_error"
        attempts = getattr(exc, "attempts", 0)
        log.error(
            "task %s failed: %s (%s)", task.id, code, exc, extra={"correlation_id": correlation_id}
        )
        task.failure = Failure(code=code, correlation_id=correlation_id, detail=str(exc)[:500])
        if task.status != "failed":
            task.move("failed")
        await self._store.save(task)
        await self._activity.record(
            ActivityEvent(
                task_id=task.id,
                kind="task.failed",
                correlation_id=correlation_id,
                data={"code": code, "detail": str(exc)[:500], "attempts": attempts},
            )
        )
        await self._record_task(task)
        await self._show_progress(task, "failed")
        view = FailureView(code=code, correlation_id=correlation_id, attempts=attempts)
        await self._deliver_quietly(task, view)

    async def _step(self, task: Task, agent: Agent) -> None:
        if agent.turn_resolved():
            agent.close_turn()
        elif any(call.status == "pending" for call in agent.calls):
            await self._toolbox.resolve(task, agent, agent.calls)
            self._note_calls(task, agent.calls)
        elif agent.awaits_model():
            await self._think(task, agent)

    async def _think(self, task: Task, agent: Agent) -> None:
        request = ModelRequest(
            model=agent.model,
            system=system_blocks(
                *([agent.system] if agent.system else []),
                *self._toolbox.catalogue(task, agent),
            ),
            messages=agent.messages,
            tools=await self._toolbox.definitions(task, agent),
            max_tokens=self._limits.max_output_tokens,
        )
        try:
            reply = await self._model.complete(request)
        except ModelError as exc:
            await self._activity.record(
                ActivityEvent(
                    task_id=task.id,
                    kind="model.error",
                    agent_id=agent.id,
                    data={"code": exc.code, "status": exc.status, "attempts": exc.attempts},
                )
            )
            raise
        agent.steps += 1
        agent.usage.add(reply.usage)
        task.usage.add(reply.usage)
        agent.messages.append({"role": "assistant", "content": reply.content})
        await self._activity.record(
            ActivityEvent(
                task_id=task.id,
                kind="model.call",
                agent_id=agent.id,
                data={
                    "model": agent.model,
                    "stop_reason": reply.stop_reason,
                    "attempts": reply.attempts,
                    "input_tokens": reply.usage.input_tokens,
                    "output_tokens": reply.usage.output_tokens,
                    "cache_read_tokens": reply.usage.cache_read_tokens,
                    "cache_write_tokens": reply.usage.cache_write_tokens,
                },
            )
        )
        if reply.tool_uses:
            agent.calls = [
                ToolCall(id=b["id"], name=b["name"], input=b.get("input") or {})
                for b in reply.tool_uses
            ]
            return
        agent.status = "done"
        agent.summary = reply.text
        if agent.kind == "orchestrator":
            await self._answer(task, reply.text)

    async def _answer(self, task: Task, text: str) -> None:
        # Saved before posting: a worker that dies after this save never asks the model again.
        await self._store.save(task)
        await self._notifier.post(task.thread, Answer(text=text))

    async def _settle(self, task: Task) -> None:
        main = task.orchestrator
        if main.status == "done":
            task.move("completed")
            await self._store.save(task)
            await self._activity.record(
                ActivityEvent(task_id=task.id, kind="task.completed", data={"steps": task.steps})
            )
            await self._show_progress(task, "done")
        elif any(c.status == "awaiting_approval" for a in task.agents.values() for c in a.calls):
            task.move("awaiting_approval")
            await self._store.save(task)
            await self._show_progress(task, "waiting")
        await self._record_task(task)
        await self._notifier.flush()

    def _check_budget(self, task: Task) -> None:
        if task.steps >= self._limits.max_steps:
            raise BudgetExceeded("steps", self._limits.max_steps)
        if task.usage.total >= self._limits.max_tokens:
            raise BudgetExceeded("tokens", self._limits.max_tokens)

    def _note_calls(self, task: Task, calls: list[ToolCall]) -> None:
        for call in calls:
            mark = {"done": "✓", "failed": "✗", "awaiting_approval": "⏸"}.get(call.status, "…")
            line = f"{mark} `{call.name}`"
            if call.status == "failed":
                line += f": {_first_line(call.result)}"
            task.progress_lines = [*task.progress_lines, line][-12:]

    def expand_command(self, task: Task, text: str) -> str | None:
        return self._toolbox.expand_command(task, text)

    async def withdraw(self, task: Task, reason: str) -> None:
        """Resolve every waiting call now and close finished turns, so new input can follow."""
        if settled := await self._toolbox.withdraw(task, reason):
            self._note_calls(task, settled)
        for agent in task.agents.values():
            if agent.turn_resolved():
                agent.close_turn()

    async def _ensure_progress(self, task: Task) -> None:
        if task.progress_ts is not None:
            return
        try:
            task.progress_ts = await self._notifier.post(
                task.thread, self._progress(task, "working")
            )
        except DeliveryFailed:
            log.warning("could not post progress for task %s", task.id)
            return
        await self._store.save(task)

    async def _show_progress(self, task: Task, state: ProgressState) -> None:
        if task.progress_ts is None:
            return
        try:
            await self._notifier.update(task.thread, task.progress_ts, self._progress(task, state))
        except DeliveryFailed:
            log.warning("could not update progress for task %s", task.id)

    @staticmethod
    def _progress(task: Task, state: ProgressState) -> Progress:
        return Progress(
            state=state,
            lines=tuple(task.progress_lines),
            steps=task.steps - task.turn_first_step,
            tokens=task.usage.total - task.turn_first_tokens,
        )

    async def _deliver_quietly(self, task: Task, view: FailureView) -> None:
        try:
            await self._notifier.post(task.thread, view)
            await self._notifier.flush()
        except DeliveryFailed:
            log.warning("could not tell thread of task %s about its failure", task.id)

    async def _record_task(self, task: Task) -> None:
        await self._activity.upsert_task(
            TaskRecord(
                id=task.id,
                thread=task.thread,
                requester=task.requester,
                status=task.status,
                title=_title(task),
                usage=task.usage,
            )
        )


def _next_agent(task: Task) -> Agent | None:
    for agent in task.agents.values():
        if agent.status != "ready":
            continue
        if (
            agent.turn_resolved()
            or any(c.status == "pending" for c in agent.calls)
            or agent.awaits_model()
        ):
            return agent
    return None


def _first_line(result: object, limit: int = 120) -> str:
    if isinstance(result, list):
        result = " ".join(str(b.get("text", "")) for b in result if isinstance(b, dict))
    line = str(result or "").strip().splitlines()[0] if str(result or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _title(task: Task) -> str:
    for message in task.orchestrator.messages:
        content = message["content"]
        if message["role"] == "user" and isinstance(content, list):
            for block in content:
                if block.get("type") == "text":
                    return str(block["text"])[:200]
    return ""
