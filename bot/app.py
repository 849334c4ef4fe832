"""The Bolt app: thin listeners and middleware that parse Slack payloads and call the orchestrator.

Listeners never call the model, Redis or MCP: each one parses, makes one call into the
orchestrator's public API (which only enqueues), and returns. Event listeners are acked by Bolt
before they run, so Slack's 3-second budget is never at risk.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import payloads
from orchestrator import Orchestrator

log = logging.getLogger(__name__)


def build_app(
    *, client: AsyncWebClient, signing_secret: str | None, orchestrator: Orchestrator
) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        process_before_response=False,
    )
    app.middleware(_drop_redeliveries(orchestrator))

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], context: AsyncBoltContext) -> None:
        message = payloads.mention(
            event, team_id=_team(context, event), bot_user_id=context.bot_user_id
        )
        if message is not None:
            await orchestrator.submit(message)

    @app.event("message")
    async def on_message(event: dict[str, Any], context: AsyncBoltContext) -> None:
        message = payloads.thread_reply(
            event, team_id=_team(context, event), bot_user_id=context.bot_user_id
        )
        if message is not None:
            await orchestrator.submit(message)

    return app


def _drop_redeliveries(
    orchestrator: Orchestrator,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Slack redelivers events it thinks we missed; answer 200 to repeats and drop them."""

    async def middleware(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await orchestrator.first_delivery(event_id):
            log.info("dropped redelivered event %s", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware


def _team(context: AsyncBoltContext, event: dict[str, Any]) -> str:
    return str(context.team_id or event.get("team") or "")
