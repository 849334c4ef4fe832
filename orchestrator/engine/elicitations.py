"""Elicitations: a connector's request for input during a tool call, shown and answered in Slack.

The request arrives inside a live tool call (the server waits for the answer), so unlike an
`ask_user` question the call waits here, in the worker's process, for a bounded time
(`questions.elicitation_wait`). The request is kept in Redis and its card posted in the thread:
a form button that opens a modal built from the requested schema, or a link button in URL mode,
and a Decline button. The requester's submission (checked against the schema), click or decline
is stored first-wins from whichever process took it; the waiting call polls for it. Running out
of time, or the task being stopped, stores `cancel`. Declining and cancelling are ordinary
replies for the server, never errors. Others' presses are refused privately.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from connectors import DECLINED, ElicitationReply, ElicitationRequest, Elicitor
from orchestrator.domain.commands import ElicitationClick, ElicitationSubmission
from orchestrator.domain.elicitation import (
    Elicitation,
    Reply,
    Unsupported,
    form_errors,
    form_fields,
    form_values,
    may_reply,
)
from orchestrator.domain.events import ElicitationAnswered, ElicitationRequested
from orchestrator.domain.task import Agent, Task, ThreadRef, ToolCall, new_id
from orchestrator.domain.views import ControlCode, ControlNotice, ElicitationCard, ElicitationForm
from orchestrator.engine.refusals import tell_refusal
from orchestrator.errors import DeliveryFailed
from orchestrator.ports import ActivityLog, ElicitationStore, Notifier, TaskSignals, TaskStore

log = logging.getLogger(__name__)

POLL_S = 0.25


class Elicitations:
    def __init__(
        self,
        *,
        store: TaskStore,
        elicitations: ElicitationStore,
        signals: TaskSignals,
        notifier: Notifier,
        activity: ActivityLog,
        wait: timedelta = timedelta(minutes=10),
        poll_s: float = POLL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._elicitations = elicitations
        self._signals = signals
        self._notifier = notifier
        self._activity = activity
        self._wait_s = wait.total_seconds()
        self._poll_s = poll_s
        self._clock = clock

    # -- in the worker, inside the tool call ---------------------------------------------------

    def for_call(self, task: Task, agent: Agent, call: ToolCall) -> Elicitor:
        """The elicitor of one tool call: its requests are asked of the task's requester."""

        async def elicit(request: ElicitationRequest) -> ElicitationReply:
            return await self._elicit(task, agent, call, request)

        return elicit

    async def _elicit(
        self, task: Task, agent: Agent, call: ToolCall, request: ElicitationRequest
    ) -> ElicitationReply:
        fields = form_fields(request.schema) if request.mode == "form" else ()
        if isinstance(fields, Unsupported):
            log.warning("declined a form from %s: %s", request.server, fields.reason)
            return DECLINED
        record = Elicitation(
            id=new_id("el"),
            task_id=task.id,
            agent_id=agent.id,
            call_id=call.id,
            thread=task.thread,
            requester=task.requester,
            server=request.server,
            message=request.message,
            mode=request.mode,
            fields=fields,
            url=request.url,
            expires_at=self._clock() + self._wait_s,
        )
        await self._elicitations.save(record)
        await self._activity.record(
            ElicitationRequested(
                task_id=task.id,
                agent_id=agent.id,
                call=call.id,
                server=request.server,
                mode=request.mode,
                fields=[f.name for f in fields],
            )
        )
        try:
            record.card_ts = await self._notifier.post(task.thread, card(record))
            await self._elicitations.save(record)
        except DeliveryFailed:
            log.warning("could not show the request of %s in task %s", request.server, task.id)
            await self._elicitations.offer_reply(task.id, record.id, Reply(action="cancel"))
        reply = await self._wait(record)
        await self._activity.record(
            ElicitationAnswered(
                task_id=task.id,
                agent_id=agent.id,
                call=call.id,
                action=reply.action,
                by=reply.by,
                fields=sorted(reply.content or {}),
            )
        )
        await self._show(record, reply)
        return ElicitationReply(action=reply.action, content=reply.content)

    async def _wait(self, record: Elicitation) -> Reply:
        """Poll for the reply; past the deadline or once the task is stopped, `cancel` wins."""
        while True:
            reply = await self._elicitations.reply_for(record.task_id, record.id)
            if reply is not None:
                return reply
            if self._clock() >= record.expires_at or await self._stopped(record.task_id):
                await self._elicitations.offer_reply(
                    record.task_id, record.id, Reply(action="cancel")
                )
                continue
            await asyncio.sleep(self._poll_s)

    async def _stopped(self, task_id: str) -> bool:
        try:
            return await self._signals.stop_requested(task_id) is not None
        except Exception:  # a Redis hiccup delays the stop by one poll
            log.warning("could not read the stop flag of task %s", task_id, exc_info=True)
            return False

    # -- from the Slack edge, in any process ---------------------------------------------------

    async def form(self, click: ElicitationClick) -> ElicitationForm | None:
        """The form to open for the requester's press; None (and a private note) otherwise."""
        record = await self._open_for(click.thread, click.user_id, click.elicitation_id)
        if record is None or record.mode != "form":
            return None
        return ElicitationForm(
            elicitation_id=record.id,
            server=record.server,
            message=record.message,
            fields=record.fields,
            thread=record.thread,
        )

    async def submit(self, submission: ElicitationSubmission) -> dict[str, str]:
        """Take a submitted form: field name -> what to fix, or {} when it was taken (or
        refused privately, when the request is closed or the person is not the requester)."""
        record = await self._open_for(
            submission.thread, submission.user_id, submission.elicitation_id
        )
        if record is None:
            return {}
        errors = form_errors(record.fields, submission.values)
        if errors:
            return errors
        reply = Reply(
            action="accept",
            by=submission.user_id,
            content=form_values(record.fields, submission.values),
        )
        await self._reply(record, submission.user_id, reply, submission.thread)
        return {}

    async def press(self, click: ElicitationClick) -> bool:
        """Decline, or (URL mode) the link was opened: accept. False when it did nothing."""
        record = await self._open_for(click.thread, click.user_id, click.elicitation_id)
        if record is None:
            return False
        if click.action == "link" and record.mode == "url":
            reply = Reply(action="accept", by=click.user_id)
        elif click.action == "decline":
            reply = Reply(action="decline", by=click.user_id)
        else:
            return False
        return await self._reply(record, click.user_id, reply, click.thread)

    async def _open_for(
        self, thread: ThreadRef, user_id: str, elicitation_id: str
    ) -> Elicitation | None:
        task_id = await self._store.task_for_thread(thread)
        record = await self._elicitations.load(task_id, elicitation_id) if task_id else None
        if record is None or record.thread != thread:
            await self._refuse(thread, user_id, "request_closed", None)
            return None
        if not may_reply(record.requester, user_id):
            await self._refuse(thread, user_id, "not_the_requester", record.requester)
            return None
        if await self._elicitations.reply_for(record.task_id, record.id) is not None:
            await self._refuse(thread, user_id, "request_closed", None)
            return None
        return record

    async def _reply(
        self, record: Elicitation, user_id: str, reply: Reply, thread: ThreadRef
    ) -> bool:
        if not await self._elicitations.offer_reply(record.task_id, record.id, reply):
            await self._refuse(thread, user_id, "request_closed", None)
            return False
        await self._show(record, reply)
        return True

    async def _refuse(
        self, thread: ThreadRef, user_id: str, code: ControlCode, requester: str | None
    ) -> None:
        notice = ControlNotice(code=code, requester=requester)
        await tell_refusal(self._notifier, thread, user_id, notice, what="reply")

    async def _show(self, record: Elicitation, reply: Reply) -> None:
        if record.card_ts is None:
            return
        try:
            await self._notifier.update(record.thread, record.card_ts, card(record, reply))
        except DeliveryFailed:
            log.warning("could not update the request card of task %s", record.task_id)


def card(record: Elicitation, reply: Reply | None = None) -> ElicitationCard:
    return ElicitationCard(
        elicitation_id=record.id,
        server=record.server,
        message=record.message,
        mode=record.mode,
        requester=record.requester,
        url=record.url,
        expires_at=record.expires_at,
        state=reply.action if reply else "open",
        by=reply.by if reply else None,
    )
