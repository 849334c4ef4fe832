"""The Bolt app: thin listeners and middleware that parse Slack payloads and call the orchestrator.

Listeners never call the model or MCP: each one parses, makes one call into the orchestrator's
public API (which only enqueues), and returns. An event is answered only once it is queued: when
task storage (Redis) is unreachable the answer is 503, so Slack delivers the event again (in
Socket Mode the envelope is left unacknowledged) and the redelivery is accepted once Redis is back.
Clicks and dialogs are acked at once and handled right after (Bolt's lazy listeners), so the
3-second budget is never at risk; at most `LAZY_AT_ONCE` of them are handled at a time and the rest
wait their turn, so a burst of clicks never exhausts the process's Redis pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, forms, payloads, surfaces
from orchestrator import Orchestrator, StorageUnavailable, UserMessage

log = logging.getLogger(__name__)

_Parsed = TypeVar("_Parsed")

LAZY_AT_ONCE = 8
"""Clicks, dialogs and Home opens one process handles at the same time (the rest queue in arrival
order). Unbounded, a burst of clicks, all acked at once, outgrew the listener's Redis pool: handlers
that waited longer than the pool's timeout failed and their clicks were lost. Kept under the
listener's pool (16) so events are still queued while clicks are handled."""


def build_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    orchestrator: Orchestrator,
    oauth_settings: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """The app; with `oauth_settings`, workspaces install through Bolt's OAuth flow and each
    event is authorized with its own workspace's installation."""
    app = AsyncApp(
        client=client,
        oauth_settings=oauth_settings,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        process_before_response=True,
    )
    app.middleware(_drop_redeliveries(orchestrator))
    app.middleware(_refuse_malformed_interactions)

    app.event("app_mention")(_submitting(orchestrator, payloads.mention))
    app.event("message")(_submitting(orchestrator, payloads.message))

    @app.event("agent_session_stopped")
    async def on_session_stopped(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> BoltResponse | None:
        request = payloads.session_stopped(event, team_id=_team(context, event))
        if request is None:
            return None
        return await _queued(orchestrator, body, orchestrator.stop(request))

    async def on_reject(body: dict[str, Any], client: AsyncWebClient) -> None:
        click = payloads.checkpoint_click(body)
        if click is None:
            log.warning("ignored a malformed checkpoint click from %s", _clicker(body))
            return
        if await orchestrator.may_decide(click):
            dialog = blocks.reject_dialog(
                click.checkpoint_id, channel_id=click.channel_id, thread_ts=click.thread_ts
            )
            await client.views_open(trigger_id=body["trigger_id"], view=dialog)

    async def on_feedback(body: dict[str, Any], client: AsyncWebClient) -> None:
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

    async def on_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
        user_id = payloads.home_opened(event)
        if user_id is not None:
            await orchestrator.show_home(_team(context, event), user_id)
        elif conversation := payloads.messages_opened(event, team_id=_team(context, event)):
            await orchestrator.welcome(conversation)

    async def on_elicitation_form(body: dict[str, Any], client: AsyncWebClient) -> None:
        click = payloads.elicitation_click(body)
        if click is None:
            log.warning("ignored a malformed form click from %s", _clicker(body))
            return
        form = await orchestrator.elicitation_form(click)
        if form is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=forms.modal(form))

    @app.view(blocks.ELICIT_CALLBACK)
    async def on_elicitation_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Not lazy: a field to fix is shown in the form, so the answer waits for the check.
        submission = payloads.elicitation_submission(body)
        if submission is None:
            log.warning("ignored a malformed form from %s", _clicker(body))
            await ack()
            return
        errors = await orchestrator.submit_form(submission)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    async def on_assistant_thread(event: dict[str, Any], context: AsyncBoltContext) -> None:
        thread = payloads.assistant_thread_started(event, team_id=_team(context, event))
        if thread is not None:
            await orchestrator.welcome(thread)

    async def on_command(body: dict[str, Any], respond: AsyncRespond) -> None:
        command = payloads.slash_command(body)
        if command is None:
            log.warning("ignored a malformed %s from %s", body.get("command"), body.get("user_id"))
            return
        text, shown = surfaces.render_command(await orchestrator.command(command))
        await respond(text=text, blocks=shown, response_type="ephemeral")

    gate = asyncio.Semaphore(LAZY_AT_ONCE)

    def later(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        return _in_turn(gate, listener)

    on_decision = _one_call("checkpoint click", payloads.checkpoint_click, orchestrator.decide)
    on_stop = _one_call("stop click", payloads.stop_click, orchestrator.stop)
    on_answer = _one_call("answer click", payloads.answer_click, orchestrator.answer)
    on_disconnect = _one_call(
        "disconnect click",
        lambda body: payloads.disconnect_click(body, action_id=surfaces.DISCONNECT_ACTION),
        orchestrator.disconnect_account,
    )
    on_reject_reason = _one_call(
        "reject dialog",
        lambda body: payloads.rejection(body, reason_block=blocks.REASON_BLOCK),
        orchestrator.decide,
    )
    on_feedback_comment = _one_call(
        "feedback dialog",
        lambda body: payloads.feedback_comment(body, comment_block=blocks.COMMENT_BLOCK),
        orchestrator.feedback,
    )
    on_elicitation_press = _one_call(
        "request click", payloads.elicitation_click, orchestrator.elicitation_press
    )

    app.action(re.compile(r"^checkpoint\.(approve|retry|mark_done|abort)$"))(
        ack=_ack, lazy=[later(on_decision)]
    )
    app.action("checkpoint.reject")(ack=_ack, lazy=[later(on_reject)])
    app.action(blocks.STOP_ACTION)(ack=_ack, lazy=[later(on_stop)])
    app.action(re.compile(rf"^{re.escape(blocks.ANSWER_ACTION)}\.\d+$"))(
        ack=_ack, lazy=[later(on_answer)]
    )
    app.view(blocks.REJECT_CALLBACK)(ack=_ack, lazy=[later(on_reject_reason)])
    app.action(blocks.FEEDBACK_ACTION)(ack=_ack, lazy=[later(on_feedback)])
    app.view(blocks.FEEDBACK_CALLBACK)(ack=_ack, lazy=[later(on_feedback_comment)])
    # Published after the event is answered: reading the records never delays Slack's ack.
    app.event("app_home_opened")(ack=_ack, lazy=[later(on_home_opened)])
    app.action(blocks.ELICIT_OPEN)(ack=_ack, lazy=[later(on_elicitation_form)])
    elicit_press = rf"^({re.escape(blocks.ELICIT_LINK)}|{re.escape(blocks.ELICIT_DECLINE)})$"
    app.action(re.compile(elicit_press))(ack=_ack, lazy=[later(on_elicitation_press)])
    app.event("assistant_thread_started")(ack=_ack, lazy=[later(on_assistant_thread)])
    app.command("/threadwork")(ack=_ack, lazy=[later(on_command)])
    # The Connect button opens the sign-in page itself; the OAuth callback does the rest.
    app.action(blocks.SIGN_IN_ACTION)(_ack)
    app.action(surfaces.DISCONNECT_ACTION)(ack=_ack, lazy=[later(on_disconnect)])
    if oauth_settings is not None:
        # A workspace that uninstalls the app, or revokes its tokens, is forgotten (Bolt's own
        # listeners delete its installation), so nothing is sent there with a dead token.
        app.event("app_uninstalled")(app.default_app_uninstalled_event_listener())
        app.event("tokens_revoked")(app.default_tokens_revoked_event_listener())
    return app


async def _ack(ack: AsyncAck) -> None:
    await ack()


def _in_turn(
    gate: asyncio.Semaphore, listener: Callable[..., Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    """`listener`, run once `gate` has room (Bolt reads the arguments it wants through wraps)."""

    @functools.wraps(listener)
    async def in_turn(**kwargs: Any) -> None:
        async with gate:
            await listener(**kwargs)

    return in_turn


def _submitting(
    orchestrator: Orchestrator, parse: Callable[..., UserMessage | None]
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """A message listener: the message parsed by `parse`, if it is one for the bot, is queued."""

    async def listener(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> BoltResponse | None:
        message = parse(event, team_id=_team(context, event), bot_user_id=context.bot_user_id)
        if message is None:
            return None
        return await _queued(orchestrator, body, orchestrator.submit(message))

    return listener


def _one_call(
    what: str,
    parse: Callable[[dict[str, Any]], _Parsed | None],
    call: Callable[[_Parsed], Awaitable[object]],
) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """A click or dialog listener: the payload parsed by `parse` goes to its one orchestrator
    `call`; one we could not have sent is logged (as `what`) and dropped."""

    async def listener(body: dict[str, Any]) -> None:
        parsed = parse(body)
        if parsed is None:
            log.warning("ignored a malformed %s from %s", what, _clicker(body))
            return
        await call(parsed)

    return listener


async def _queued(
    orchestrator: Orchestrator, body: dict[str, Any], accept: Awaitable[object]
) -> BoltResponse | None:
    """Run the event's one orchestrator call; a 503 asks Slack to deliver it again later."""
    try:
        await accept
    except StorageUnavailable as exc:
        event_id = body.get("event_id")
        log.warning(
            "task storage unavailable; asked Slack to redeliver event %s: %s", event_id, exc
        )
        if isinstance(event_id, str):
            await orchestrator.forget_delivery(event_id)
        return _RETRY_LATER
    return None


_RETRY_LATER = BoltResponse(status=503, body="task storage unavailable; retry later")


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
        if isinstance(event_id, str):
            try:
                first = await orchestrator.first_delivery(event_id)
            except StorageUnavailable as exc:
                log.warning(
                    "task storage unavailable; asked Slack to redeliver event %s: %s", event_id, exc
                )
                return _RETRY_LATER
            if not first:
                log.info("dropped redelivered event %s", event_id)
                return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware


def _team(context: AsyncBoltContext, event: dict[str, Any]) -> str:
    return str(context.team_id or event.get("team") or "")
