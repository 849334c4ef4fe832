"""The Bolt app: thin listeners and middleware that parse Slack payloads and call the orchestrator.

Listeners never call the model, Redis or MCP: each one parses, makes one call into the
orchestrator's public API (which only enqueues), and returns. Event listeners are acked by Bolt
before they run, so Slack's 3-second budget is never at risk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, payloads
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
    app.middleware(_refuse_malformed_interactions)

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

    @app.action(re.compile(r"^checkpoint\.(approve|retry|mark_done|abort)$"))
    async def on_decision(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = payloads.checkpoint_click(body)
        if click is None:
            log.warning("ignored a malformed checkpoint click from %s", _clicker(body))
            return
        await orchestrator.decide(click)

    @app.action("checkpoint.reject")
    async def on_reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = payloads.checkpoint_click(body)
        if click is None:
            log.warning("ignored a malformed checkpoint click from %s", _clicker(body))
            return
        if await orchestrator.may_decide(click):
            dialog = blocks.reject_dialog(
                click.checkpoint_id, channel_id=click.channel_id, thread_ts=click.thread_ts
            )
            await client.views_open(trigger_id=body["trigger_id"], view=dialog)

    @app.action(blocks.STOP_ACTION)
    async def on_stop(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        request = payloads.stop_click(body)
        if request is None:
            log.warning("ignored a malformed stop click from %s", _clicker(body))
            return
        await orchestrator.stop(request)

    @app.action(re.compile(rf"^{re.escape(blocks.ANSWER_ACTION)}\.\d+$"))
    async def on_answer(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = payloads.answer_click(body)
        if click is None:
            log.warning("ignored a malformed answer click from %s", _clicker(body))
            return
        await orchestrator.answer(click)

    @app.action(blocks.FEEDBACK_ACTION)
    async def on_feedback(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        click = payloads.feedback_click(body)
        if click is None:
            log.warning("ignored a malformed feedback click from %s", _clicker(body))
            return
        if await orchestrator.feedback(click) and click.value == "negative":
            dialog = blocks.feedback_dialog(
                click.task_id,
                channel_id=click.thread.channel_id,
                thread_ts=click.thread.thread_ts,
                message_ts=click.message_ts,
            )
            await client.views_open(trigger_id=body["trigger_id"], view=dialog)

    @app.view(blocks.FEEDBACK_CALLBACK)
    async def on_feedback_comment(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = payloads.feedback_comment(body, comment_block=blocks.COMMENT_BLOCK)
        if click is None:
            log.warning("ignored a malformed feedback dialog from %s", _clicker(body))
            return
        await orchestrator.feedback(click)

    @app.event("agent_session_stopped")
    async def on_session_stopped(event: dict[str, Any], context: AsyncBoltContext) -> None:
        request = payloads.session_stopped(event, team_id=_team(context, event))
        if request is not None:
            await orchestrator.stop(request)

    @app.view(blocks.REJECT_CALLBACK)
    async def on_reject_reason(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = payloads.rejection(body, reason_block=blocks.REASON_BLOCK)
        if click is None:
            log.warning("ignored a malformed reject dialog from %s", _clicker(body))
            return
        await orchestrator.decide(click)

    return app


def _clicker(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id")) if isinstance(user, dict) else "an unknown user"


async def _refuse_malformed_interactions(
    body: dict[str, Any], next: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    """A signed payload whose shape Slack never sends is refused before listeners see it."""
    if payloads.malformed_interaction(body):
        log.warning("refused a malformed %s payload from %s", body.get("type"), _clicker(body))
        return BoltResponse(status=400, body="malformed payload")
    await next()
    return None


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
