"""SlackNotifier: the orchestrator's `Notifier` port, posting and editing thread replies.

A turn's answer is streamed by `streaming.SlackAnswerStream` (`open_answer`). Rate-limit aware: a 429 is waited out for its Retry-After and retried by the client's retry
handlers (`bot.slack.retries`, slack_sdk's own); edits of one message are coalesced so at most one `chat.update` per message goes out per interval (the post
counts as its first send, so a task shorter than the interval edits its progress reply once), and the latest view always wins; a status clear is skipped where
this process's own reply has already cleared it (Slack does that on a reply); every call first takes its turn in Slack's shared per-workspace budget (`budget`). Slack failures become `DeliveryFailed`; nothing Slack-shaped leaks upward.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.slack.blocks import render
from bot.slack.budget import SlackBudget
from bot.slack.clients import SlackClients
from bot.slack.plan_blocks import PLAN_TYPES
from bot.slack.retries import rate_limited
from bot.slack.streaming import SlackAnswerStream
from orchestrator import Activity, DeliveryFailed, DeliveryUnavailable, ThreadRef, View

log = logging.getLogger(__name__)

_REMEMBERED_STATUSES = 10_000


@dataclass
class _Edit:
    thread: ThreadRef
    view: View
    last_sent: float = float("-inf")
    task: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class SlackNotifier:
    def __init__(
        self,
        client: AsyncWebClient | SlackClients,
        *,
        min_update_interval_s: float = 1.0,
        stream_interval_s: float = 1.0,
        budget: SlackBudget | None = None,
        plan_blocks: bool = True,
    ) -> None:
        self._clients = SlackClients.of(client)
        self.plan_blocks = plan_blocks
        """Show the plan as plan / task-card blocks; turned off for good (in this process) the
        first time Slack answers them with `invalid_blocks`."""
        self.budget = budget or SlackBudget(None)
        """Slack's per-workspace method budgets, shared by every process (`budget`)."""
        self._interval = min_update_interval_s
        self._stream_interval = stream_interval_s
        self._edits: dict[str, _Edit] = {}
        self._next_sweep = 0.0
        self._statuses: dict[tuple[str, str], str] = {}
        """The status this process last set per thread; Slack clears it when the bot replies."""

    @property
    def rate_limited(self) -> int:
        """How many of this notifier's calls Slack told to slow down (each was waited out)."""
        return rate_limited(self._clients.base)

    def open_answer(self, thread: ThreadRef, recipient: str) -> SlackAnswerStream:
        return SlackAnswerStream(
            self._clients, self, thread, recipient, interval_s=self._stream_interval
        )

    async def post(self, thread: ThreadRef, view: View) -> str:
        await self.budget.wait("chat.postMessage", thread)
        response = await self._send_view(
            view,
            partial(
                (await self._clients.for_team(thread.team_id)).chat_postMessage,
                channel=thread.channel_id,
                thread_ts=thread.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        ts = str(response["ts"])
        if len(self._statuses) >= _REMEMBERED_STATUSES:
            self._statuses.clear()  # forgetting only costs a call that may not have been needed
        self._statuses[(thread.channel_id, thread.thread_ts)] = ""  # the reply cleared it
        self._forget_idle()
        self._edits[ts] = _Edit(thread=thread, view=view, last_sent=self._now())
        return ts

    async def update(self, thread: ThreadRef, message_id: str, view: View) -> None:
        self._forget_idle()
        edit = self._edits.get(message_id)
        if edit is None:
            edit = self._edits[message_id] = _Edit(thread=thread, view=view)
        edit.view = view
        edit.changed.set()
        if edit.task is None or edit.task.done():
            edit.task = asyncio.create_task(self._deliver_edits(message_id, edit))

    async def tell(self, thread: ThreadRef, user_id: str, view: View) -> None:
        text, blocks = render(view)
        await self._call(
            partial(
                (await self._clients.for_team(thread.team_id)).chat_postEphemeral,
                channel=thread.channel_id,
                user=user_id,
                thread_ts=thread.thread_ts or None,
                text=text,
                blocks=blocks,
            )
        )

    async def status(self, thread: ThreadRef, activity: Activity | None) -> None:
        text = "" if activity is None else messages.status_line(activity.kind, activity.subject)
        key = (thread.channel_id, thread.thread_ts)
        # A clear is sent unless this process's own reply cleared it since its last status:
        # another process may have set what is showing.
        if self._statuses.get(key) == text:
            if not text:
                del self._statuses[key]
            return
        if text and not await self.budget.now("assistant.threads.setStatus", thread):
            return  # a passing status under load; the next one (or the clear) will land
        if not text:
            await self.budget.wait("assistant.threads.setStatus", thread)
        self._statuses[key] = text
        if not text:
            del self._statuses[key]
        await self._call(
            partial(
                (await self._clients.for_team(thread.team_id)).assistant_threads_setStatus,
                channel_id=thread.channel_id,
                thread_ts=thread.thread_ts,
                status=text,
            )
        )

    async def flush(self, thread: ThreadRef | None = None) -> None:
        pending = [
            e.task
            for e in self._edits.values()
            if e.task and not e.task.done() and (thread is None or e.thread == thread)
        ]
        for task in pending:
            with contextlib.suppress(DeliveryFailed):
                await task

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _forget_idle(self) -> None:
        """Drop edits idle for a minute or more; a sweep at most once a second, not every call
        (with hundreds of tasks in flight, a sweep per call cost more than the calls)."""
        now = self._now()
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        horizon = now - max(self._interval, 1.0) * 60
        for message_id, edit in list(self._edits.items()):
            if edit.last_sent < horizon and (edit.task is None or edit.task.done()):
                del self._edits[message_id]

    async def _deliver_edits(self, message_id: str, edit: _Edit) -> None:
        loop = asyncio.get_running_loop()
        while edit.changed.is_set():
            wait = edit.last_sent + self._interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            # Later views replace this one while it waits: under load, only frames are lost.
            await self.budget.wait("chat.update", edit.thread)
            edit.changed.clear()
            try:
                await self._send_view(
                    edit.view,
                    partial(
                        (await self._clients.for_team(edit.thread.team_id)).chat_update,
                        channel=edit.thread.channel_id,
                        ts=message_id,
                    ),
                )
            except (DeliveryFailed, DeliveryUnavailable):  # the task's next call pauses it
                log.warning("dropped an edit of message %s", message_id)
            edit.last_sent = loop.time()

    async def _send_view(self, view: View, send: Callable[..., Awaitable[Any]]) -> Any:
        """Render `view` and send it; plain progress instead where plan blocks are refused."""
        text, blocks = render(view, plan=self.plan_blocks)
        try:
            return await send(text=text, blocks=blocks)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error != "invalid_blocks" or not any(b["type"] in PLAN_TYPES for b in blocks):
                raise _delivery_failed(exc) from exc
            log.warning("Slack refused plan blocks here; showing the plan as plain lines")
            self.plan_blocks = False
            text, blocks = render(view, plan=False)
            return await self._call(partial(send, text=text, blocks=blocks))

    async def _call(self, send: Callable[[], Awaitable[Any]]) -> Any:
        """One Web API call; the client's retry handlers (`retries`) have waited out any 429."""
        try:
            return await send()
        except SlackApiError as exc:
            raise _delivery_failed(exc) from exc


def _delivery_failed(exc: SlackApiError) -> DeliveryFailed:
    error = exc.response.get("error") if exc.response is not None else None
    return DeliveryFailed(f"Slack answered {exc.response.status_code}: {error}")
