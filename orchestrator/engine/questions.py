"""Questions: show an `ask_user` question in the thread, take the requester's answer, resume.

An answer arrives as a button press (from the Slack edge, in any process) or as the requester's
reply in the thread (applied by the worker). A press is checked (the question still waits, the
presser is the requester) and stored first-wins in Redis, then a resume job carries it into the
task, where it becomes the call's result verbatim. Others' presses are refused privately.
"""

from __future__ import annotations

import logging

from orchestrator.domain.commands import AnswerClick, Job
from orchestrator.domain.events import QuestionAnswered, QuestionAsked
from orchestrator.domain.question import ASK_TOOL, Question, may_answer, parse_question
from orchestrator.domain.task import Agent, Task, ToolCall, move_call
from orchestrator.domain.views import ControlCode, ControlNotice, QuestionCard
from orchestrator.errors import DeliveryFailed
from orchestrator.ports import ActivityLog, JobQueue, Notifier, TaskSignals, TaskStore

log = logging.getLogger(__name__)


class Questions:
    def __init__(
        self,
        *,
        store: TaskStore,
        queue: JobQueue,
        signals: TaskSignals,
        notifier: Notifier,
        activity: ActivityLog,
    ) -> None:
        self._store = store
        self._queue = queue
        self._signals = signals
        self._notifier = notifier
        self._activity = activity

    # -- asking (in the worker) ----------------------------------------------------------------

    async def ask(self, task: Task, agent: Agent, call: ToolCall) -> None:
        """Suspend `call` on its question and show the question card (once, even if re-run)."""
        question = parse_question(call.input)
        if isinstance(question, str):
            call.finish(question, is_error=True)
            return
        call.status = move_call(call.status, "awaiting_input")
        if call.card_ts is None:
            try:
                call.card_ts = await self._notifier.post(
                    task.thread, card(task, call, question, state="open")
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
            )
        )

    async def settle(self, task: Task, agent: Agent, call: ToolCall) -> bool:
        """Give a waiting question its stored answer, if a button press left one."""
        stored = await self._signals.answer_for(task.id, call.id)
        if stored is None:
            return False
        text, by = stored
        await self.resolve(task, agent, call, text, by=by)
        return True

    async def resolve(
        self, task: Task, agent: Agent, call: ToolCall, text: str, *, by: str
    ) -> None:
        """The requester answered: the answer is the tool result, and the card says so."""
        call.finish(text)
        await self._activity.record(
            QuestionAnswered(
                task_id=task.id, agent_id=agent.id, call=call.id, by=by, answer=text[:500]
            )
        )
        await self._show(task, call, state="answered", answer=text, by=by)

    async def withdraw(self, task: Task, call: ToolCall, reason: str) -> None:
        call.finish(f"No answer: {reason}.", is_error=True)
        await self._show(task, call, state="withdrawn")

    # -- answers from the Slack edge -----------------------------------------------------------

    async def answer(self, click: AnswerClick) -> bool:
        """Take a button press on a question; False (and a private note) when it does nothing."""
        task_id = await self._store.task_for_thread(click.thread)
        task = await self._store.load(task_id) if task_id else None
        found = waiting_question(task, click.call_id) if task else None
        if task is None or found is None:
            return await self._refuse(click, "question_closed", None)
        _agent, call = found
        if not may_answer(task.requester, click.user_id):
            return await self._refuse(click, "not_the_requester", task.requester)
        question = parse_question(call.input)
        if isinstance(question, str) or not 0 <= click.option < len(question.options):
            return await self._refuse(click, "question_closed", None)
        text = question.options[click.option]
        if not await self._signals.offer_answer(task.id, call.id, text, click.user_id):
            return await self._refuse(click, "question_closed", None)
        await self._queue.enqueue(Job(kind="resume", task_id=task.id))
        await self._show(task, call, state="answered", answer=text, by=click.user_id)
        return True

    async def _refuse(self, click: AnswerClick, code: ControlCode, requester: str | None) -> bool:
        try:
            notice = ControlNotice(code=code, requester=requester)
            await self._notifier.tell(click.thread, click.user_id, notice)
        except DeliveryFailed:
            log.warning("could not tell %s why their answer was refused", click.user_id)
        return False

    async def _show(
        self,
        task: Task,
        call: ToolCall,
        *,
        state: str,
        answer: str | None = None,
        by: str | None = None,
    ) -> None:
        question = parse_question(call.input)
        if call.card_ts is None or isinstance(question, str):
            return
        view = card(task, call, question, state=state, answer=answer, by=by)
        try:
            await self._notifier.update(task.thread, call.card_ts, view)
        except DeliveryFailed:
            log.warning("could not update the question card of task %s", task.id)


def card(
    task: Task,
    call: ToolCall,
    question: Question,
    *,
    state: str,
    answer: str | None = None,
    by: str | None = None,
) -> QuestionCard:
    return QuestionCard(
        call_id=call.id,
        question=question.text,
        options=question.options,
        requester=task.requester,
        state="answered"
        if state == "answered"
        else "withdrawn"
        if state == "withdrawn"
        else "open",
        answer=answer,
        answered_by=by,
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
