"""The answer of a turn, streamed into the thread while the orchestrator's model writes it.

One `AnswerWriter` per run of a task: it is the `TextSink` of the orchestrator's model calls and
opens the notifier's `AnswerStream` on the first text, so the first characters reach the thread
as soon as the model writes them. Text of every reply in the turn joins the same message (what
the model says before calling tools, then its answer); a failed attempt's text is dropped from
what the message must finally read. The stream is ended before the task waits, fails or stops,
and a new run (after an approval or answer) writes a new message.
"""

from __future__ import annotations

from orchestrator.domain.task import Task
from orchestrator.domain.views import Answer
from orchestrator.ports import AnswerStream, Notifier

_BETWEEN_REPLIES = "\n\n"


class AnswerWriter:
    def __init__(self, notifier: Notifier, task: Task) -> None:
        self._notifier = notifier
        self._task = task
        self._stream: AnswerStream | None = None
        self._kept = ""
        """Text of the turn's finished replies (and of the current attempt so far)."""
        self._reply_start = 0
        self._ended = False

    @property
    def text(self) -> str:
        return self._kept

    def begin_reply(self) -> None:
        """A new model call starts: its text follows what the earlier ones wrote."""
        self._reply_start = len(self._kept)

    async def write(self, delta: str) -> None:
        if self._ended or not delta:
            return
        if self._kept and len(self._kept) == self._reply_start:
            delta = _BETWEEN_REPLIES + delta
        self._kept += delta
        await self._open().append(delta)

    async def restart(self) -> None:
        self._kept = self._kept[: self._reply_start]

    async def finish(self, final_text: str) -> None:
        """The turn answered: end the message with the whole answer and its footer."""
        if self._ended:
            return
        self._ended = True
        text = self._kept if self._kept.strip() else final_text
        await self._open().finish(Answer(text=text, task_id=self._task.id))

    async def close(self) -> None:
        """End the message without an answer's footer (waiting, failed, stopped)."""
        if self._ended:
            return
        self._ended = True
        if self._stream is not None:
            await self._stream.close()

    def _open(self) -> AnswerStream:
        if self._stream is None:
            self._stream = self._notifier.open_answer(self._task.thread, self._task.requester)
        return self._stream
