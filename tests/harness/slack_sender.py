"""Play Slack's side of the Events API and interactivity: signed HTTP requests to the real app.

Builders (`app_mention`, `thread_message`, `block_action`, `view_submission`) make payloads shaped
like Slack's; `SlackSender` wraps, signs (`v0=HMAC_SHA256(secret, "v0:{ts}:{body}")`) and POSTs
them, the way Slack would, including retry headers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from .slack_ts import next_ts

Json = dict[str, Any]

BOT_USER = "UBOT"
APP_ID = "A0APP"
TEAM_ID = "T0TEAM"


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    headers: dict[str, str]
    event_id: str | None = None
    """For `send_event`: the envelope's event_id (resend it with `retry_num` to simulate a retry)."""

    def json(self) -> Any:
        return json.loads(self.body)


def sign(secret: str, body: str | bytes, ts: int | str | None = None) -> dict[str, str]:
    """The `x-slack-request-timestamp` and `x-slack-signature` headers Slack would send."""
    timestamp = str(int(time.time()) if ts is None else ts)
    raw = body.decode() if isinstance(body, bytes) else body
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{raw}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": f"v0={digest}"}


def new_event_id() -> str:
    return "Ev" + uuid.uuid4().hex[:10].upper()


def new_trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def event_envelope(event: Json, *, event_id: str | None = None, team_id: str = TEAM_ID) -> Json:
    """The `event_callback` envelope Slack posts to the Events API request URL."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


class SlackSender:
    """POSTs signed requests to the app's Slack endpoint at `url` (e.g. `.../slack/events`)."""

    def __init__(self, url: str, signing_secret: str) -> None:
        self.url = url
        self.signing_secret = signing_secret

    async def send_event(
        self,
        event: Json,
        *,
        event_id: str | None = None,
        team_id: str = TEAM_ID,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        envelope = event_envelope(event, event_id=event_id, team_id=team_id)
        body = json.dumps(envelope)
        headers = {"content-type": "application/json", **sign(self.signing_secret, body)}
        if retry_num is not None:
            headers["x-slack-retry-num"] = str(retry_num)
            headers["x-slack-retry-reason"] = retry_reason
        response = await self.send_raw(body, headers)
        return Response(response.status, response.body, response.headers, envelope["event_id"])

    async def send_interaction(self, payload: Json) -> Response:
        """A click or modal submission: form-encoded `payload=<json>`, signed."""
        body = urlencode({"payload": json.dumps(payload)})
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            **sign(self.signing_secret, body),
        }
        return await self.send_raw(body, headers)

    async def send_command(self, fields: Json) -> Response:
        """A slash command: form-encoded fields (`slash_command` builds them), signed."""
        body = urlencode(fields)
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            **sign(self.signing_secret, body),
        }
        return await self.send_raw(body, headers)

    async def url_verification(self, challenge: str) -> Response:
        body = json.dumps({"token": "legacy", "challenge": challenge, "type": "url_verification"})
        headers = {"content-type": "application/json", **sign(self.signing_secret, body)}
        return await self.send_raw(body, headers)

    async def send_raw(self, body: str | bytes, headers: dict[str, str]) -> Response:
        """POST exactly `body` with exactly `headers` (for forged, stale or unsigned requests)."""
        # A session per request: a sender may outlive the event loop of the test that made it.
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as response,
        ):
            text = await response.text()
            return Response(response.status, text, dict(response.headers))


# Payload builders


def _rich_text(text: str) -> list[Json]:
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def _message_event(
    kind: str, text: str, user: str, channel: str, ts: str | None, thread_ts: str | None, team: str
) -> Json:
    stamp = ts or next_ts()
    event: Json = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": stamp,
        "channel": channel,
        "event_ts": stamp,
        "team": team,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": _rich_text(text),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def app_mention(
    text: str,
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = TEAM_ID,
    files: list[Json] | None = None,
) -> Json:
    """An `app_mention` event; `<@UBOT> ` is put in front of `text` unless it mentions the bot.

    `files`: entries made by `FakeSlack.share_file`, shared with the message."""
    if f"<@{BOT_USER}>" not in text:
        text = f"<@{BOT_USER}> {text}"
    event = _message_event("app_mention", text, user, channel, ts, thread_ts, team)
    if files:
        event["files"] = files
    return event


def thread_message(
    text: str,
    *,
    thread_ts: str,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    ts: str | None = None,
    team: str = TEAM_ID,
    files: list[Json] | None = None,
) -> Json:
    """A plain `message` event posted as a reply in the thread `thread_ts` (with `files`, the
    `file_share` subtype Slack gives messages that share files)."""
    event = _message_event("message", text, user, channel, ts, thread_ts, team)
    event["channel_type"] = "channel"
    if files:
        event["files"] = files
        event["subtype"] = "file_share"
    return event


def block_action(
    action_id: str,
    value: str,
    *,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    message_ts: str,
    thread_ts: str | None = None,
    team: str = TEAM_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
    block_id: str = "actions",
    message_blocks: list[Json] | None = None,
    element: str = "button",
) -> Json:
    """A `block_actions` payload: `user` clicked the button `action_id` carrying `value`
    (`element="feedback_buttons"`: one of a feedback pair, `value` being that button's)."""
    container: Json = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    message: Json = {
        "type": "message",
        "user": BOT_USER,
        "bot_id": "BBOT",
        "ts": message_ts,
        "text": "",
        "blocks": message_blocks or [],
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
        message["thread_ts"] = thread_ts
    payload: Json = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "message": message,
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": element,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def home_action(action_id: str, value: str, *, user: str = "U0ALICE", team: str = TEAM_ID) -> Json:
    """A `block_actions` payload from a button in `user`'s App Home: no channel, no message."""
    payload = block_action(action_id, value, user=user, team=team, message_ts="")
    view_id = f"VH{user}"
    payload["container"] = {"type": "view", "view_id": view_id}
    payload["view"] = {"id": view_id, "type": "home", "team_id": team, "blocks": []}
    for key in ("channel", "message"):
        del payload[key]
    return payload


def direct_message(
    text: str,
    *,
    user: str = "U0ALICE",
    channel: str = "D0ALICE",
    thread_ts: str | None = None,
    ts: str | None = None,
    team: str = TEAM_ID,
) -> Json:
    """A `message.im` event: `user` wrote to the bot in their DM (in a thread with `thread_ts`,
    e.g. the assistant's conversation)."""
    event = _message_event("message", text, user, channel, ts, thread_ts, team)
    event["channel_type"] = "im"
    return event


def assistant_thread_started(
    *, user: str = "U0ALICE", channel: str = "D0ALICE", thread_ts: str | None = None
) -> Json:
    """`assistant_thread_started`: `user` opened a new conversation in the assistant container."""
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": user,
            "context": {"channel_id": "C0GENERAL", "team_id": TEAM_ID, "enterprise_id": None},
            "channel_id": channel,
            "thread_ts": thread_ts or next_ts(),
        },
        "event_ts": f"{time.time():.6f}",
    }


def slash_command(
    text: str,
    *,
    response_url: str,
    command: str = "/threadwork",
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    team: str = TEAM_ID,
) -> Json:
    """The fields Slack posts when `user` types `command text` in `channel`."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": new_trigger_id(),
    }


def event_home_opened(user: str = "U0ALICE", tab: str = "home") -> Json:
    """`app_home_opened`: `user` opened the app's Home (or Messages) tab."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user[1:]}",
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def view_submission(
    callback_id: str,
    private_metadata: str,
    values: Json,
    *,
    user: str = "U0ALICE",
    team: str = TEAM_ID,
    view_id: str = "V00000001",
) -> Json:
    """A modal submission. `values` is Slack's `state.values`:
    `{block_id: {action_id: {"type": "plain_text_input", "value": "..."}}}`."""
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": f"hash-{view_id}",
            "title": {"type": "plain_text", "text": "Threadwork"},
            "blocks": [],
            "app_id": APP_ID,
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
