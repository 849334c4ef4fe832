"""SlackAnswerStream: a turn's answer written into the thread with Slack's streaming methods.

The first text goes out at once (`chat.startStream`), later text is coalesced into one
`chat.appendStream` per interval, and the end is `chat.stopStream` carrying the blocks under the
answer (feedback, reference). In a channel Slack shows the stream live to one person, so the
requester is its `recipient_user_id` / `recipient_team_id`. When Slack refuses to stream (a
method error, e.g. an app or workspace without it) or the workspace's Tier 2 budget for new
streams is spent, the answer is posted and then edited in place
through the notifier's coalesced, budgeted `chat.update`; a stream that Slack closed early
(`message_not_in_streaming_state`, about five minutes) continues the same way. Failures are logged
and never reach the model; only a final answer that could not be delivered at all raises.

slack_sdk's own `chat_stream()` helper flushes by buffer size only; this one flushes by time, so
the first characters never wait for a buffer to fill, and it can fall back mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import MESSAGE_TEXT_BUDGET, answer_end, escape
from bot.slack.clients import SlackClients
from orchestrator import Answer, DeliveryFailed, DeliveryUnavailable, ThreadRef

if TYPE_CHECKING:
    from bot.slack.notifier import SlackNotifier

log = logging.getLogger(__name__)

Mode = Literal["new", "streaming", "edited", "ended"]
"""new: nothing sent; streaming: a live Slack stream; edited: a posted message edited in place."""


class SlackAnswerStream:
    def __init__(
        self,
        clients: SlackClients,
        notifier: SlackNotifier,
        thread: ThreadRef,
        recipient: str,
        *,
        interval_s: float,
    ) -> None:
        self._clients = clients
        self._notifier = notifier
        self._thread = thread
        self._recipient = recipient
        self._interval = interval_s
        self.ts: str | None = None
        self.mode: Mode = "new"
        self._raw = ""
        """All text appended (what the message reads once everything is sent)."""
        self._pending = ""
        """Escaped text not sent yet."""
        self._length = 0
        self._cut = 0
        self._last_send = float("-inf")
        self._pump: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()
        self._ending = False

    async def append(self, text: str) -> None:
        if self._ending or not text:
            return
        escaped = escape(text)
        if self._length + len(escaped) > MESSAGE_TEXT_BUDGET:
            self._cut += len(text)
            return
        self._raw += text
        self._length += len(escaped)
        self._pending += escaped
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._deliver())

    async def finish(self, answer: Answer) -> None:
        await self._end(answer)

    async def close(self) -> None:
        try:
            await self._end(None)
        except DeliveryFailed:
            log.warning("could not end the answer of thread %s", self._thread.thread_ts)

    # delivery

    async def _deliver(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending and not self._ending:
            wait = self._last_send + self._interval - loop.time()
            if wait > 0:
                self._hurry.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), wait)
                if self._ending:
                    return
            if self.mode == "streaming":  # appends go on collecting while they wait
                await self._notifier.budget.wait("chat.appendStream", self._thread)
            text, self._pending = self._pending, ""
            try:
                await self._send(text)
            except (DeliveryFailed, DeliveryUnavailable):  # the end sends the whole answer
                log.warning("dropped part of the answer in thread %s", self._thread.thread_ts)
            self._last_send = loop.time()

    async def _send(self, text: str) -> None:
        if self.mode == "new":
            await self._start(text)
        elif self.mode == "streaming":
            assert self.ts is not None
            try:
                await self._api(
                    (await self._clients.for_team(self._thread.team_id)).chat_appendStream,
                    channel=self._thread.channel_id,
                    ts=self.ts,
                    markdown_text=text,
                )
            except _Refused as exc:
                log.info("stream of %s ended by Slack (%s); editing instead", self.ts, exc)
                self.mode = "edited"
                await self._edit(Answer(text=self._raw))
        elif self.mode == "edited":
            await self._edit(Answer(text=self._raw))

    async def _start(self, text: str) -> None:
        if not await self._notifier.budget.now("chat.startStream", self._thread):
            log.info("no stream budget left in %s; posting instead", self._thread.team_id)
            await self._post_instead()
            return
        try:
            response = await self._api(
                (await self._clients.for_team(self._thread.team_id)).chat_startStream,
                channel=self._thread.channel_id,
                thread_ts=self._thread.thread_ts,
                markdown_text=text,
                **self._recipients(),
            )
        except _Refused as exc:
            log.info("Slack refused to stream in %s (%s); posting instead", self._thread, exc)
            await self._post_instead()
            return
        self.ts = str(response["ts"])
        self.mode = "streaming"

    async def _post_instead(self) -> None:
        self.ts = await self._notifier.post(self._thread, Answer(text=self._raw))
        self.mode = "edited"

    async def _end(self, answer: Answer | None) -> None:
        if self.mode == "ended":
            return
        self._ending = True
        self._hurry.set()
        if self._pump is not None:
            await asyncio.gather(self._pump, return_exceptions=True)
        rest, self._pending = self._pending, ""
        mode, self.mode = self.mode, "ended"
        final = answer if answer is not None else Answer(text=self._raw)
        if mode == "new":
            if answer is not None or self._raw:
                self.ts = await self._notifier.post(self._thread, final)
            return
        if mode == "edited":
            await self._notifier.update(self._thread, self._require_ts(), final)
            return
        await self._stop(rest, final, repair=answer is not None and answer.text != self._raw)

    async def _stop(self, rest: str, final: Answer, *, repair: bool) -> None:
        ts = self._require_ts()
        extra: dict[str, Any] = {"markdown_text": rest} if rest else {}
        blocks = answer_end(final, cut=self._cut)
        if blocks:
            extra["blocks"] = blocks
        await self._notifier.budget.wait("chat.stopStream", self._thread)
        try:
            await self._api(
                (await self._clients.for_team(self._thread.team_id)).chat_stopStream,
                channel=self._thread.channel_id,
                ts=ts,
                **extra,
            )
        except _Refused as exc:
            log.info("could not stop stream %s (%s); editing it instead", ts, exc)
            repair = True
        if repair:  # what was streamed is not what the answer reads (e.g. a retried model call)
            await self._notifier.update(self._thread, ts, final)

    async def _edit(self, view: Answer) -> None:
        await self._notifier.update(self._thread, self._require_ts(), view)

    def _require_ts(self) -> str:
        if self.ts is None:
            raise DeliveryFailed("the answer message was never posted")
        return self.ts

    def _recipients(self) -> dict[str, str]:
        if self._thread.channel_id.startswith("D"):  # a direct message has one reader anyway
            return {}
        return {"recipient_user_id": self._recipient, "recipient_team_id": self._thread.team_id}

    async def _api(self, method: Any, **kwargs: Any) -> Any:
        """One streaming call; Slack's refusal (any error answer) or a broken connection becomes
        `_Refused`, after which the message is edited whole, so no text is lost."""
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise _Refused(str(error or exc.response.status_code)) from exc
        except (aiohttp.ClientError, TimeoutError, DeliveryUnavailable) as exc:
            # What was sent is unknown: edit (where Slack is down, the edits pause the task).
            raise _Refused(type(exc).__name__) from exc


class _Refused(Exception):
    """Slack answered a streaming call with an error; the stream falls back to post + update."""
