"""The orchestrator's public API for the Slack edge: accept work, never do it inline.

Every method returns within a few Redis round trips; the planning loop runs in workers.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from orchestrator.domain.commands import (
    AnswerClick,
    Click,
    DisconnectRequest,
    ElicitationClick,
    ElicitationSubmission,
    FeedbackClick,
    Job,
    SlashCommand,
    StopRequest,
    UserMessage,
)
from orchestrator.domain.events import ActivityEvent, FeedbackCommented, FeedbackGiven
from orchestrator.domain.task import ThreadRef, new_id
from orchestrator.domain.views import CommandReply, ControlCode, ControlNotice, ElicitationForm
from orchestrator.engine.approvals import Approvals, ClickOutcome
from orchestrator.engine.control import Control, StopOutcome
from orchestrator.engine.elicitations import Elicitations
from orchestrator.engine.home import Homes
from orchestrator.engine.questions import Questions
from orchestrator.engine.reports import Reports
from orchestrator.engine.signins import CallbackResult, SignIns
from orchestrator.errors import DeliveryFailed, StorageUnavailable
from orchestrator.ports import (
    ActivityLog,
    AssistantPane,
    EventIntake,
    JobQueue,
    Notifier,
    TaskSignals,
    TaskStore,
)
from orchestrator.tools.catalog import Catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Accepted:
    task_id: str
    new_task: bool


class Orchestrator:
    def __init__(
        self,
        *,
        store: TaskStore,
        queue: JobQueue,
        approvals: Approvals,
        control: Control,
        signals: TaskSignals,
        questions: Questions,
        activity: ActivityLog,
        notifier: Notifier,
        elicitations: Elicitations,
        homes: Homes | None = None,
        catalog: Catalog | None = None,
        pane: AssistantPane | None = None,
        reports: Reports | None = None,
        intake: EventIntake,
        signins: SignIns | None = None,
    ) -> None:
        self._signins = signins
        self._intake = intake
        self._store = store
        self._queue = queue
        self._approvals = approvals
        self._control = control
        self._signals = signals
        self._questions = questions
        self._activity = activity
        self._notifier = notifier
        self._elicitations = elicitations
        self._homes = homes
        self._catalog = catalog
        self._pane = pane
        self._reports = reports

    async def first_delivery(self, event_id: str) -> bool:
        """False when Slack redelivers an event we already accepted."""
        return await self._store.first_delivery(event_id)

    async def forget_delivery(self, event_id: str) -> None:
        """An event that could not be queued: its redelivery must not count as a repeat.

        Best effort: when task storage is down this does nothing, and the mark expires in an hour.
        """
        with contextlib.suppress(StorageUnavailable):
            await self._store.forget_delivery(event_id)

    async def submit(self, message: UserMessage) -> Accepted | None:
        """Queue a message for its thread's task.

        A mention opens a task for its thread (or continues the thread's task); a plain thread
        reply is accepted only in threads the bot already owns. Returns None when ignored. A
        message to an existing task is also offered to its running turn (steering); its job then
        finds it applied and does nothing more.
        """
        if message.mention:
            task_id, created = await self._store.claim_thread(message.thread, new_id("task"))
        else:
            owner = await self._store.task_for_thread(message.thread)
            if owner is None:
                return None
            task_id, created = owner, False
        if not created:
            await self._signals.steer(task_id, message)
        await self._queue.enqueue(Job(kind="message", task_id=task_id, message=message))
        return Accepted(task_id=task_id, new_task=created)

    async def accept(self, event_id: str, message: UserMessage) -> Accepted | None:
        """`submit` for a message Slack delivered as event `event_id`, deduplicated: None for a
        redelivery or an ignored reply. A mention opening a task costs one Redis round trip.

        Raises `StorageUnavailable` when the message could not be queued; its redelivery then
        counts as new.
        """
        admission = await self._intake.admit(event_id, message)
        task_id = admission.task_id
        if task_id is None or admission.queued:
            return None if task_id is None else Accepted(task_id=task_id, new_task=True)
        try:
            await self._signals.steer(task_id, message)
            await self._queue.enqueue(Job(kind="message", task_id=task_id, message=message))
        except StorageUnavailable:
            with contextlib.suppress(StorageUnavailable):
                await self._intake.forget(event_id, message.thread)
            raise
        return Accepted(task_id=task_id, new_task=False)

    async def decide(self, click: Click) -> ClickOutcome:
        """Apply a checkpoint decision; a refused click is explained to the clicker privately."""
        return await self._approvals.decide(click)

    async def may_decide(self, click: Click) -> bool:
        """Check a click before asking the clicker for more (the reject reason dialog)."""
        return await self._approvals.check(click)

    async def stop(self, request: StopRequest) -> StopOutcome:
        """Stop a task if the person may; a refusal is explained to them privately."""
        return await self._control.stop(request)

    async def answer(self, click: AnswerClick) -> bool:
        """Take a press of a question's option; others' presses are refused privately."""
        return await self._questions.answer(click)

    async def command(self, command: SlashCommand) -> CommandReply:
        """What `/threadwork` answers the person who typed it (help, status, usage)."""
        if self._reports is None:
            return CommandReply(verb="help")
        return await self._reports.answer(command)

    async def welcome(self, thread: ThreadRef) -> None:
        """A person opened a conversation in the assistant: suggest what its plugins offer."""
        if self._pane is None or self._catalog is None:
            return
        suggestions = self._catalog.for_channel(thread.channel_id).suggestions()
        try:
            await self._pane.suggest(thread, suggestions)
        except DeliveryFailed:
            log.warning("could not suggest prompts in %s", thread.channel_id)

    async def show_home(self, team_id: str, user_id: str) -> None:
        """Publish the person's App Home (they opened it): their tasks, approvals, accounts."""
        if self._homes is None:
            return
        try:
            await self._homes.opened(team_id, user_id)
        except DeliveryFailed:
            log.warning("could not publish the Home of %s", user_id)

    async def feedback(self, click: FeedbackClick) -> bool:
        """Record a 👍/👎 (or the comment after a 👎) on an answer of the task in that thread.

        False, recording nothing and telling the clicker, when the task is gone or the buttons
        were not in its thread. A 👍 and a comment are thanked privately; a 👎 opens the dialog.
        """
        task = await self._store.load(click.task_id)
        if task is None or task.thread != click.thread:
            log.info("ignored feedback from %s on task %s", click.user_id, click.task_id)
            await self._tell(click, "unknown_task")
            return False
        if click.comment is None:
            event: ActivityEvent = FeedbackGiven(
                task_id=task.id, user=click.user_id, value=click.value, message_ts=click.message_ts
            )
        else:
            event = FeedbackCommented(
                task_id=task.id,
                user=click.user_id,
                comment=click.comment,
                message_ts=click.message_ts,
            )
        if click.comment != "":
            await self._activity.record(event)
        if click.value == "positive" or click.comment is not None:
            await self._tell(click, "feedback_noted")
        return True

    async def _tell(self, click: FeedbackClick, code: ControlCode) -> None:
        try:
            await self._notifier.tell(click.thread, click.user_id, ControlNotice(code=code))
        except DeliveryFailed:
            log.warning("could not reply privately to %s", click.user_id)

    async def elicitation_form(self, click: ElicitationClick) -> ElicitationForm | None:
        """The form of a connector's request, for the requester to fill in (others: refused)."""
        return await self._elicitations.form(click)

    async def submit_form(self, submission: ElicitationSubmission) -> dict[str, str]:
        """Take a filled-in form; field name -> what to fix, {} when nothing is left to fix."""
        return await self._elicitations.submit(submission)

    async def elicitation_press(self, click: ElicitationClick) -> bool:
        """Decline a connector's request, or (URL mode) accept it by opening its link."""
        return await self._elicitations.press(click)

    async def disconnect_account(self, request: DisconnectRequest) -> bool:
        """A person disconnects one of their connector accounts (App Home); their Home is
        published again to show it."""
        if self._signins is None:
            return False
        done = await self._signins.disconnect(request)
        if self._homes is not None:
            self._homes.refresh(request.team_id, [request.user_id])
        return done

    async def sign_in_callback(
        self, state: str, *, code: str | None, iss: str | None, error: str | None
    ) -> CallbackResult:
        """The browser came back from a connector's sign-in: finish it (or say why not) and
        resume the task that waited for it."""
        if self._signins is None:
            return CallbackResult("unknown")
        return await self._signins.callback(state, code=code, iss=iss, error=error)
