"""The HTTP fast path for Slack's message events: verified, parsed and queued without Bolt.

Most of what Slack posts to `/slack/events` is `event_callback`s of `app_mention` and `message`,
and Slack wants each answered within 3 seconds, bursts included. Bolt's request parsing and
middleware chain (and a Redis round trip per step) cost more CPU per event than queuing it does,
so this path checks the signature (slack_sdk's `SignatureVerifier`, timestamp window included),
reads only what routing needs, parses the message as the Bolt listeners do (`payloads`), makes
the one orchestrator call (`accept`: dedupe, thread claim and job in one Redis round trip for a
new task) and answers: 200 once queued (or ignored, or a repeat), 503 when task storage is down
(Slack delivers it again, and the dedupe mark is not left behind).

Everything else (interactivity, slash commands, `url_verification`, other events, a request
whose signature does not check out, and every request when workspaces install through OAuth)
goes to Bolt unchanged, which answers as before (401 for a bad signature).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.request.internals import extract_team_id
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import payloads
from orchestrator import Orchestrator, StorageUnavailable, UserMessage

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PARSERS: dict[str, Callable[..., UserMessage | None]] = {
    "app_mention": payloads.mention,
    "message": payloads.message,
}


class BotUser:
    """The bot's own user id in its one workspace, asked of Slack once (`auth.test`, as Bolt's
    single-workspace authorization does); None while Slack cannot say (Bolt then answers)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._id: str | None = None
        self._lock = asyncio.Lock()

    async def id(self) -> str | None:
        if self._id is None:
            async with self._lock:  # a burst asks once
                if self._id is None:
                    self._id = await self._ask()
        return self._id

    async def _ask(self) -> str | None:
        try:
            reply = await self._client.auth_test()
        except SlackClientError as exc:
            log.warning("could not learn the bot's user id (auth.test): %s", exc)
            return None
        user_id = reply.get("user_id")
        return user_id if isinstance(user_id, str) else None


class EventIngress:
    """Answers signed message events itself; hands every other request on (`answer` → None)."""

    def __init__(self, *, signing_secret: str, orchestrator: Orchestrator, bot: BotUser) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._orchestrator = orchestrator
        self._bot = bot

    def middleware(self, path: str) -> Any:
        """An aiohttp middleware taking POSTs to `path` before the app's own handler (Bolt's)."""

        @web.middleware
        async def fast_events(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.method == "POST" and request.path == path:
                response = await self.answer(request)
                if response is not None:
                    return response
            return await handler(request)

        return fast_events

    async def answer(self, request: web.Request) -> web.Response | None:
        if request.content_type != "application/json":
            return None  # interactivity and slash commands are form-encoded
        body = await request.read()
        if not self._signed(body, request):
            return None
        envelope = _message_event(body)
        if envelope is None:
            return None
        bot_user_id = await self._bot.id()
        if bot_user_id is None:
            return None
        event_id, event = envelope["event_id"], envelope["event"]
        if event.get("user") == bot_user_id:
            return _ok()  # the bot's own message (Bolt ignores these too)
        team_id = str(extract_team_id(envelope) or event.get("team") or "")
        message = _PARSERS[event["type"]](event, team_id=team_id, bot_user_id=bot_user_id)
        if message is None:
            return _ok()
        try:
            await self._orchestrator.accept(event_id, message)
        except StorageUnavailable as exc:
            log.warning(
                "task storage unavailable; asked Slack to redeliver event %s: %s", event_id, exc
            )
            return web.Response(status=503, text="task storage unavailable; retry later")
        return _ok()

    def _signed(self, body: bytes, request: web.Request) -> bool:
        headers = request.headers
        try:
            return self._verifier.is_valid(
                body=body,
                timestamp=headers.get("x-slack-request-timestamp"),
                signature=headers.get("x-slack-signature"),
            )
        except ValueError:  # a timestamp that is not a number
            return False


def _ok() -> web.Response:
    return web.Response(status=200)  # a fresh one each time: aiohttp sends a response once


def _message_event(body: bytes) -> dict[str, Any] | None:
    """The envelope, when it is an `event_callback` of a message or a mention; else None."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    if not isinstance(envelope, dict) or envelope.get("type") != "event_callback":
        return None
    event = envelope.get("event")
    if not isinstance(event, dict) or event.get("type") not in _PARSERS:
        return None
    return envelope if isinstance(envelope.get("event_id"), str) else None
