"""The planning loop: advance one task, step by step, until no agent can make progress.

A step is one of: ask the model for the next turn, resolve the turn's tool calls, or close a turn
whose calls all have results. Each agent that can progress (the orchestrator, and its sub-agents up
to the concurrency limit) runs its own loop of steps at the same time; the task is saved after
every step, so a worker that dies loses at most the steps in flight and the next worker resumes
from the last save. A sub-agent's failure ends only that sub-agent. The loop only talks to ports.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from orchestrator import context
from orchestrator.domain import activity, budget, scheduling, subagents, turns
from orchestrator.domain.events import (
    SubagentFinished,
    SubagentStarted,
    TaskCancelled,
    TaskCompleted,
    TaskFailed,
    TaskMessage,
)
from orchestrator.domain.pricing import PriceTable
from orchestrator.domain.task import Agent, Failure, Task, ToolCall
from orchestrator.domain.views import Answer, Stopped, StorageTrouble
from orchestrator.domain.views import Failure as FailureView
from orchestrator.engine.answers import AnswerWriter
from orchestrator.engine.model_calls import ModelCalls
from orchestrator.engine.outcomes import cost_limit, reason, task_record
from orchestrator.engine.reporter import ThreadReporter, note_calls
from orchestrator.engine.stopping import StopFlag, StopWatch
from orchestrator.errors import (
    BudgetExceeded,
    CostLimitReached,
    DeliveryFailed,
    DeliveryUnavailable,
    LeaseLost,
    ModelError,
    OrchestratorError,
    StaleTask,
    StorageUnavailable,
    TaskStopped,
)
from orchestrator.ports import (
    ActivityLog,
    ModelClient,
    NoTelemetry,
    Notifier,
    SpendLedger,
    TaskSignals,
    TaskStore,
    Telemetry,
    Toolbox,
)
from plugins import Limits

log = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        *,
        store: TaskStore,
        model: ModelClient,
        notifier: Notifier,
        activity: ActivityLog,
        toolbox: Toolbox,
        limits: Limits,
        signals: TaskSignals,
        max_output_tokens: int = 8192,
        telemetry: Telemetry | None = None,
        stop_poll_s: float = 0.1,
        prices: PriceTable | None = None,
        spend: SpendLedger | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._telemetry = telemetry or NoTelemetry()
        self._notifier = notifier
        self._reporter = ThreadReporter(notifier)
        self._activity = activity
        self._toolbox = toolbox
        self._limits = limits
        self._signals = signals
        self._stop_watch = StopWatch(signals, stop_poll_s)
        self._calls = ModelCalls(
            model=model,
            activity=activity,
            toolbox=toolbox,
            limits=limits,
            telemetry=self._telemetry,
            max_output_tokens=max_output_tokens,
            prices=prices or PriceTable(),
            spend=spend,
            clock=clock,
        )
        self._locks: dict[str, asyncio.Lock] = {}
        self._stops: dict[str, StopFlag] = {}
        self._answers: dict[str, AnswerWriter] = {}

    async def run(self, task: Task) -> None:
        """Advance `task` until it completes, fails, waits or is stopped; every step is saved."""
        with self._telemetry.span("task.turn", task_id=task.id, status=task.status):
            await self._run_watched(task)

    async def _run_watched(self, task: Task) -> None:
        self._locks[task.id] = asyncio.Lock()
        flag = self._stops[task.id] = self._stop_watch.watch(task.id)
        self._answers[task.id] = AnswerWriter(self._notifier, task)
        try:
            await self._run(task)
        except TaskStopped as stopped:
            await self.stop(task, stopped.by)
        finally:
            self._stop_watch.forget(task.id, flag)
            await self._end_answer(task)
            del self._answers[task.id]
            del self._stops[task.id]
            del self._locks[task.id]

    async def _run(self, task: Task) -> None:
        if task.status in ("queued", "awaiting_approval", "awaiting_input"):
            task.move("running")
            await self._save(task)
            await self._record_task(task)  # runs list, Home and /threadwork status show it
        if await self._reporter.open_progress(task):
            await self._save(task)
        if settled := await self._toolbox.resume(task):
            note_calls(task, settled)
            await self._save(task)
            await self._reporter.progress(task, "working")
        try:
            await self._drive(task)
        except (ModelError, BudgetExceeded, CostLimitReached) as exc:
            await self.fail(task, exc)
            return
        await self._settle(task)

    async def _drive(self, task: Task) -> None:
        """Run a loop per agent that can progress until none can; raise what fails the task."""
        running: dict[str, asyncio.Task[None]] = {}
        stopped: TaskStopped | None = None
        try:
            while True:
                if stopped is None and subagents.collect(
                    task, summary_chars=self._limits.summary_chars
                ):
                    await self._save(task)
                if stopped is None:
                    for agent in scheduling.startable(
                        task,
                        running,
                        max_concurrent_subagents=self._limits.max_concurrent_subagents,
                    ):
                        running[agent.id] = asyncio.create_task(self._agent_loop(task, agent))
                if not running:
                    if stopped is not None:
                        raise stopped
                    return
                done, _ = await asyncio.wait(running.values(), return_when=asyncio.FIRST_COMPLETED)
                for agent_id, loop in list(running.items()):
                    if loop in done:
                        del running[agent_id]
                        try:
                            loop.result()  # the orchestrator's failure fails the task
                        except TaskStopped as exc:
                            # The other loops notice the flag too; a call already executing in
                            # one of them finishes and is recorded before the task stops.
                            stopped = exc
        finally:
            for loop in running.values():
                loop.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)

    async def _agent_loop(self, task: Task, agent: Agent) -> None:
        if agent.kind == "orchestrator":
            await self._steps(task, agent)
            return
        await self._subagent_started(task, agent)
        timeout_s = self._limits.subagent_timeout.total_seconds()
        try:
            async with asyncio.timeout(timeout_s):
                await self._steps(task, agent)
        except (
            LeaseLost,
            StaleTask,
            StorageUnavailable,
            DeliveryUnavailable,
            TaskStopped,
            asyncio.CancelledError,
        ):
            raise
        except TimeoutError:
            self._subagent_failed(agent, f"timed out after {timeout_s:g} s")
        except Exception as exc:  # isolation: whatever stops a sub-agent stops only it
            self._subagent_failed(agent, reason(exc))
            if not isinstance(exc, OrchestratorError):
                log.exception("sub-agent %s of task %s crashed", agent.id, task.id)
        await self._save(task)
        await self._reporter.subagent(task, agent)
        if subagents.finished(agent):
            await self._subagent_finished(task, agent)

    async def _steps(self, task: Task, agent: Agent) -> None:
        flag = self._stops.get(task.id)
        while scheduling.can_progress(agent):
            if flag is not None and flag.by is not None:
                raise TaskStopped(flag.by)
            if over := budget.overrun(task, agent, self._limits):
                raise BudgetExceeded(over.what, over.limit, kind=over.kind)
            await self._step(task, agent)
            task.steps += 1
            await self._save(task)
            if agent.kind == "orchestrator":
                await self._reporter.progress(task, "working")
            else:
                await self._reporter.subagent(task, agent)

    async def fail(self, task: Task, exc: Exception) -> None:
        """Mark the task failed, tell the thread (with a correlation id) and log it."""
        correlation_id = context.current_correlation_id()
        code = exc.code if isinstance(exc, OrchestratorError) else "internal_error"
        attempts = getattr(exc, "attempts", 0)
        log.error(
            "task %s failed: %s (%s)", task.id, code, exc, extra={"correlation_id": correlation_id}
        )
        await self._end_answer(task)
        task.failure = Failure(code=code, correlation_id=correlation_id, detail=str(exc)[:500])
        if task.status != "failed":
            task.move("failed")
        for stopped in subagents.abandon(task, "the task stopped"):
            await self._reporter.subagent(task, stopped)
        await self._save(task)
        await self._activity.record(
            TaskFailed(
                task_id=task.id,
                correlation_id=correlation_id,
                code=code,
                detail=str(exc)[:500],
                attempts=attempts,
            )
        )
        await self._record_task(task)
        await self._reporter.status(task, None)
        await self._reporter.progress(task, "failed")
        view = FailureView(
            code=code,
            correlation_id=correlation_id,
            attempts=attempts,
            budget=exc.kind if isinstance(exc, BudgetExceeded) else None,
            limit=exc.limit if isinstance(exc, BudgetExceeded) else 0,
            cost_limit=cost_limit(exc),
        )
        await self._reporter.failure(task, view)

    async def _step(self, task: Task, agent: Agent) -> None:
        if agent.turn_resolved():
            agent.close_turn()
        elif any(call.status == "pending" for call in agent.calls):
            if agent.kind == "orchestrator":
                await self._reporter.status(task, activity.for_calls(agent.calls))
            await self._toolbox.resolve(task, agent, agent.calls)
            note_calls(task, agent.calls)
        elif agent.awaits_model():
            await self._think(task, agent)

    async def _think(self, task: Task, agent: Agent) -> None:
        await self._calls.check_cost(task)
        if agent.kind == "orchestrator":
            await self._take_steering(task, agent)
            await self._reporter.status(task, activity.THINKING)
        sink = self._answers.get(task.id) if agent.kind == "orchestrator" else None
        reply = await self._calls.reply(task, agent, flag=self._stops.get(task.id), sink=sink)
        if reply.tool_uses:
            agent.calls = [
                ToolCall(id=b["id"], name=b["name"], input=b.get("input") or {})
                for b in reply.tool_uses
            ]
            return
        agent.move("done")
        agent.summary = reply.text
        if agent.kind == "orchestrator":
            await self._answer(task, reply.text)

    async def _take_steering(self, task: Task, agent: Agent) -> None:
        """Messages sent while this turn runs join its next model request, in the order sent."""
        try:
            messages = await self._signals.take_steering(task.id)
        except Exception:  # their jobs still carry them: they then arrive as the next turn
            log.warning("could not read steering messages of task %s", task.id, exc_info=True)
            return
        fresh = [m for m in messages if not task.has_applied(m.message_ts)]
        for message in fresh:
            agent.add_user_text(
                turns.attributed(message, self._toolbox.expand_command(task, message.text))
            )
            task.mark_applied(message.message_ts)
        if not fresh:
            return
        await self._save(task)
        for message in fresh:
            await self._activity.record(
                TaskMessage(
                    task_id=task.id,
                    user=message.user_id,
                    ts=message.message_ts,
                    chars=len(message.text),
                    steering=True,
                )
            )

    async def storage_trouble(self, task: Task) -> None:
        """Redis failed mid-task: say so in the thread; the job is retried from the last save."""
        correlation_id = context.current_correlation_id()
        log.warning(
            "task %s paused: task storage unavailable",
            task.id,
            extra={"correlation_id": correlation_id},
        )
        try:
            await self._notifier.post(task.thread, StorageTrouble(correlation_id=correlation_id))
            await self._notifier.flush(task.thread)
        except DeliveryFailed:
            log.warning("could not tell thread of task %s about the storage outage", task.id)

    async def stop(self, task: Task, by: str) -> None:
        """A person stopped the task: close every open call, end sub-agents, say who stopped it.

        Pending approvals are withdrawn; calls that were executing have already finished (the
        loops let them) and keep their recorded results. The next message opens a new turn.
        """
        reason = "the task was stopped by a person"
        await self._end_answer(task)
        await self.withdraw(task, reason)
        for agent in task.agents.values():
            if agent.kind == "orchestrator" and agent.status == "ready":
                agent.move("waiting")
        if task.status != "cancelled":
            task.move("cancelled")
        await self._save(task)
        await self._signals.clear_stop(task.id)
        await self._activity.record(TaskCancelled(task_id=task.id, by=by))
        await self._record_task(task)
        await self._reporter.status(task, None)
        await self._reporter.progress(task, "stopped", stopped_by=by)
        await self._reporter.stopped(task, Stopped(by=by))

    async def _answer(self, task: Task, text: str) -> None:
        # Saved before posting: a worker that dies after this save never asks the model again.
        await self._save(task)
        writer = self._answers.get(task.id)
        if writer is None:
            await self._notifier.post(task.thread, Answer(text=text, task_id=task.id))
        else:
            await writer.finish(text)

    async def _end_answer(self, task: Task) -> None:
        """End a streamed answer before anything else is posted (a card, a note) or the run ends."""
        writer = self._answers.get(task.id)
        if writer is not None:
            await writer.close()

    async def _settle(self, task: Task) -> None:
        await self._end_answer(task)
        main = task.orchestrator
        if main.status == "done":
            task.move("completed")
            await self._save(task)
            await self._activity.record(TaskCompleted(task_id=task.id, steps=task.steps))
            await self._record_task(task)  # before the thread says done: its record is final
            await self._reporter.progress(task, "done")
        elif any(c.status == "awaiting_approval" for a in task.agents.values() for c in a.calls):
            task.move("awaiting_approval")
            await self._save(task)
            await self._record_task(task)
            await self._reporter.progress(task, "waiting")
        elif any(
            c.status in ("awaiting_input", "awaiting_sign_in")
            for a in task.agents.values()
            for c in a.calls
        ):
            asking = any(
                c.status == "awaiting_input" for a in task.agents.values() for c in a.calls
            )
            task.move("awaiting_input")
            await self._save(task)
            await self._record_task(task)
            await self._reporter.progress(task, "asking" if asking else "connecting")
        else:
            await self._record_task(task)
        await self._reporter.status(task, activity.while_waiting(task))
        await self._notifier.flush(task.thread)

    async def _save(self, task: Task) -> None:
        """Saves of one task are serialised: its agents step concurrently on one object."""
        lock = self._locks.get(task.id)
        if lock is None:
            await self._store.save(task)
            return
        async with lock:
            await self._store.save(task)

    def expand_command(self, task: Task, text: str) -> str | None:
        return self._toolbox.expand_command(task, text)

    async def withdraw(self, task: Task, reason: str) -> None:
        """Resolve every waiting call now and close finished turns, so new input can follow."""
        if settled := await self._toolbox.withdraw(task, reason):
            note_calls(task, settled)
        for stopped in subagents.abandon(task, reason):
            await self._reporter.subagent(task, stopped)
        subagents.collect(task, summary_chars=self._limits.summary_chars)
        for agent in task.agents.values():
            for call in agent.calls:
                if call.status == "pending":  # the task stopped before it got to them
                    call.finish(f"Not run: {reason}.", is_error=True)
            if agent.turn_resolved():
                agent.close_turn()

    # -- sub-agents ----------------------------------------------------------------------------

    async def _subagent_started(self, task: Task, agent: Agent) -> None:
        if agent.progress_ts is not None:
            return  # resumed after a restart: already announced
        await self._reporter.open_subagent(task, agent)
        await self._save(task)
        await self._activity.record(
            SubagentStarted(
                task_id=task.id,
                agent_id=agent.id,
                type=agent.definition,
                brief=subagents.one_line(agent.brief or "", 300),
                model=agent.model,
                tools=agent.tools,
            )
        )

    @staticmethod
    def _subagent_failed(agent: Agent, reason: str) -> None:
        agent.move("failed")
        agent.error = reason

    async def _subagent_finished(self, task: Task, agent: Agent) -> None:
        await self._activity.record(
            SubagentFinished(
                task_id=task.id,
                agent_id=agent.id,
                status=agent.status,
                error=agent.error,
                steps=agent.steps,
                input_tokens=agent.usage.input_tokens,
                output_tokens=agent.usage.output_tokens,
                cache_read_tokens=agent.usage.cache_read_tokens,
                summary_chars=len(agent.summary or ""),
            )
        )

    async def _record_task(self, task: Task) -> None:
        await self._activity.upsert_task(task_record(task))
