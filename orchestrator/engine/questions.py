"""Questions: show an `ask_user` question in the thread, take the requester's answer, resume.

An answer arrives as a button press (from the Slack edge, in any process) or as the requester's
reply in the thread (applied by the worker). A press is checked (the question still waits, the
presser is the requester) and stored first-wins in Redis, then a resume job carries it into the
task, where it becomes the call's result verbatim. Others' presses are refused privately.

Nothing waits in a process: the question is the task's saved state plus a deadline in Redis, so
a press or a reply resumes the task in whichever process is up. A question not answered by its
deadline expires the same first-wins way (the sweep stores the expiry and queues a resume), and
the model is told nobody answered. A sub-agent's question is shown in the task's thread, names
the sub-agent, and its answer goes back to that sub-agent's call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

from orchestrator.domain.commands import AnswerClick, Job
from orchestrator.domain.events import QuestionAnswered, QuestionAsked, QuestionExpired
from orchestrator.domain.question import (
    ASK_TOOL,
    EXPIRED_RESULT,
    Answered,
    Expired,
    Question,
    may_answer,
    parse_question,
)
from orchestrator.domain.subagents import GENERAL
from orchestrator.domain.task import Agent, Task, ToolCall, move_call
from orchestrator.domain.views import ControlCode, ControlNotice, QuestionCard
from orchestrator.engine.refusals import tell_refusal
from orchestrator.errors import DeliveryFailed
from orchestrator.ports import ActivityLog, JobQueue, Notifier, TaskSignals, TaskStore

log = logging.getLogger(__name__)

SWEEP_HOLD_S = 30.0
CardState = Literal["open", "answered", "withdrawn", "expired"]


class Questions:
    def __init__(
        self,
        *,
        store: TaskStore,
        queue: JobQueue,
        signals: TaskSignals,
        notifier: Notifier,
        activity: ActivityLog,
        expire_after: timedelta = timedelta(hours=24),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._queue = queue
        self._signals = signals
        self._notifier = notifier
        self._activity = activity
        self._expire_after_s = expire_after.total_seconds()
        self._clock = clock

    # -- asking (in the worker) ----------------------------------------------------------------

    async def ask(self, task: Task, agent: Agent, call: ToolCall) -> None:
        """Suspend `call` on its question and show the question card (once, even if re-run)."""
        question = parse_question(call.input)
        if isinstance(question, str):
            call.finish(question, is_error=True)
            return
        call.status = move_call(call.status, "awaiting_input")
        if call.expires_at is None:
            call.expires_at = self._clock() + self._expire_after_s
        await self._signals.schedule_question(task.id, call.id, call.expires_at)
        if call.card_ts is None:
            try:
                call.card_ts = await self._notifier.post(
                    task.thread, card(task, agent, call, question, state="open")
                )
            except DeliveryFailed:
                log.warning("could not post the question of task %s", task.id)
        await self._activity.record(
            QuestionAsked(
                task_id=task.id,
                agent_id=agent.id,
                call=call.id,
                question=question.text,
                options=list(question.options),
                expires_at=call.expires_at,
            )
        )

    async def settle(self, task: Task, agent: Agent, call: ToolCall) -> bool:
        """Close a waiting question with what was stored for it: a press, or its expiry."""
        stored = await self._signals.answer_for(task.id, call.id)
        if stored is None:
            return False
        if isinstance(stored, Expired):
            await self._expire(task, agent, call)
        else:
            await self.resolve(task, agent, call, stored.text, by=stored.by)
        return True

    async def claim_reply(self, task: Task, call: ToolCall, text: str, by: str) -> bool:
        """A reply in the thread answers unless a press or the deadline came first."""
        return await self._signals.offer_answer(task.id, call.id, Answered(text=text, by=by))

    async def resolve(
        self, task: Task, agent: Agent, call: ToolCall, text: str, *, by: str
    ) -> None:
        """The requester answered: the answer is the tool result, and the card says so."""
        call.finish(text)
        await self._signals.drop_question(task.id, call.id)
        await self._activity.record(
            QuestionAnswered(
                task_id=task.id, agent_id=agent.id, call=call.id, by=by, answer=text[:500]
            )
        )
        await self._show(task, agent, call, state="answered", answer=text, by=by)

    async def _expire(self, task: Task, agent: Agent, call: ToolCall) -> None:
        call.finish(EXPIRED_RESULT, is_error=True)
        await self._signals.drop_question(task.id, call.id)
        await self._activity.record(
            QuestionExpired(task_id=task.id, agent_id=agent.id, call=call.id)
        )
        await self._show(task, agent, call, state="expired")

    async def withdraw(self, task: Task, agent: Agent, call: ToolCall, reason: str) -> None:
        call.finish(f"No answer: {reason}.", is_error=True)
        await self._signals.drop_question(task.id, call.id)
        await self._show(task, agent, call, state="withdrawn")

    # -- deadlines (the sweep, in any worker) --------------------------------------------------

    async def sweep(self, now: float | None = None) -> int:
        """Expire questions past their deadline; returns how many this sweep expired.

        The expiry is stored first-wins like a press, so a press at the last moment and the
        deadline never both count; the resume job then closes the call in the task.
        """
        now = self._clock() if now is None else now
        expired = 0
        for task_id, call_id in await self._signals.claim_due_questions(now, hold_s=SWEEP_HOLD_S):
            if await self._signals.offer_answer(task_id, call_id, Expired()):
                await self._queue.enqueue(Job(kind="resume", task_id=task_id))
                expired += 1
            await self._signals.drop_question(task_id, call_id)
        return expired

    # -- answers from the Slack edge -----------------------------------------------------------

    async def answer(self, click: AnswerClick) -> bool:
        """Take a button press on a question; False (and a private note) when it does nothing."""
        task_id = await self._store.task_for_thread(click.thread)
        task = await self._store.load(task_id) if task_id else None
        found = waiting_question(task, click.call_id) if task else None
        if task is None or found is None:
            return await self._refuse(click, "question_closed", None)
        agent, call = found
        if not may_answer(task.requester, click.user_id):
            return await self._refuse(click, "not_the_requester", task.requester)
        question = parse_question(call.input)
        if isinstance(question, str) or not 0 <= click.option < len(question.options):
            return await self._refuse(click, "question_closed", None)
        text = question.options[click.option]
        answered = Answered(text=text, by=click.user_id)
        if not await self._signals.offer_answer(task.id, call.id, answered):
            return await self._refuse(click, "question_closed", None)
        await self._queue.enqueue(Job(kind="resume", task_id=task.id))
        await self._show(task, agent, call, state="answered", answer=text, by=click.user_id)
        return True

    async def _refuse(self, click: AnswerClick, code: ControlCode, requester: str | None) -> bool:
        notice = ControlNotice(code=code, requester=requester)
        await tell_refusal(self._notifier, click.thread, click.user_id, notice, what="answer")
        return False

    async def _show(
        self,
        task: Task,
        agent: Agent,
        call: ToolCall,
        *,
        state: CardState,
        answer: str | None = None,
        by: str | None = None,
    ) -> None:
        question = parse_question(call.input)
        if call.card_ts is None or isinstance(question, str):
            return
        view = card(task, agent, call, question, state=state, answer=answer, by=by)
        try:
            await self._notifier.update(task.thread, call.card_ts, view)
        except DeliveryFailed:
            log.warning("could not update the question card of task %s", task.id)


def card(
    task: Task,
    agent: Agent,
    call: ToolCall,
    question: Question,
    *,
    state: CardState,
    answer: str | None = None,
    by: str | None = None,
) -> QuestionCard:
    return QuestionCard(
        call_id=call.id,
        question=question.text,
        options=question.options,
        requester=task.requester,
        state=state,
        answer=answer,
        answered_by=by,
        expires_at=call.expires_at,
        asked_by=(agent.definition or GENERAL) if agent.kind == "subagent" else None,
    )


def waiting_question(task: Task, call_id: str | None = None) -> tuple[Agent, ToolCall] | None:
    """The question waiting for the requester (the one named `call_id`, or the oldest).

    A named question may still be `pending` in the stored task: its card is shown before the
    step that asked it is saved, and a press that quick is kept for the resume that follows.
    """
    for agent in task.agents.values():
        for call in agent.calls:
            if call_id is None and call.status == "awaiting_input":
                return agent, call
            named = call.id == call_id and call.name == ASK_TOOL
            if named and call.status in ("awaiting_input", "pending"):
                return agent, call
    return None
