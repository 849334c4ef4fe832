"""SlackSender's requests pass slack_sdk's signature check and carry Slack-shaped payloads."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncSay
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import (
    SlackSender,
    app_mention,
    block_action,
    sign,
    thread_message,
    view_submission,
)

SECRET = "s3cret-signing"


@dataclass
class Received:
    bodies: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[str, Received]]:
    """A minimal Slack request URL: verifies like Bolt does, answers url_verification."""
    received = Received()
    verifier = SignatureVerifier(SECRET)

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.json_response({"error": "invalid request"}, status=401)
        received.bodies.append(body)
        received.headers.append({k.lower(): v for k, v in request.headers.items()})
        if request.content_type == "application/json":
            envelope = json.loads(body)
            if envelope["type"] == "url_verification":
                return web.json_response({"challenge": envelope["challenge"]})
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/slack/events", received
    await runner.cleanup()


async def test_signed_event_is_accepted_and_wrapped_in_an_envelope(
    endpoint: tuple[str, Received],
) -> None:
    url, received = endpoint
    event = app_mention("summarise the thread")
    response = await SlackSender(url, SECRET).send_event(event, event_id="Ev123")
    assert response.status == 200
    envelope = json.loads(received.bodies[0])
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == response.event_id == "Ev123"
    assert envelope["event"] == event
    assert envelope["team_id"] == "T0TEAM"
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert "x-slack-retry-num" not in received.headers[0]


async def test_retry_headers_are_sent_when_asked(endpoint: tuple[str, Received]) -> None:
    url, received = endpoint
    sender = SlackSender(url, SECRET)
    first = await sender.send_event(app_mention("hi"))
    await sender.send_event(app_mention("hi"), event_id=first.event_id, retry_num=1)
    assert received.headers[1]["x-slack-retry-num"] == "1"
    assert received.headers[1]["x-slack-retry-reason"] == "http_timeout"
    ids = [json.loads(body)["event_id"] for body in received.bodies]
    assert ids[0] == ids[1]


async def test_interaction_is_form_encoded_payload(endpoint: tuple[str, Received]) -> None:
    url, received = endpoint
    payload = block_action("approve", "cp_1", message_ts="1700000000.000100", thread_ts="1.2")
    response = await SlackSender(url, SECRET).send_interaction(payload)
    assert response.status == 200
    assert json.loads(parse_qs(received.bodies[0])["payload"][0]) == payload


async def test_url_verification_echoes_the_challenge(endpoint: tuple[str, Received]) -> None:
    url, _ = endpoint
    response = await SlackSender(url, SECRET).url_verification("abc")
    assert response.json() == {"challenge": "abc"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        sign("wrong-secret", "{}"),
        sign(SECRET, "{}", ts=int(time.time()) - 600),
    ],
    ids=["unsigned", "wrong-secret", "stale"],
)
async def test_forged_requests_are_rejected(
    endpoint: tuple[str, Received], headers: dict[str, str]
) -> None:
    url, received = endpoint
    response = await SlackSender(url, SECRET).send_raw("{}", headers)
    assert response.status == 401
    assert received.bodies == []


def test_sign_matches_slack_sdk() -> None:
    headers = sign(SECRET, "body", ts=1700000000)
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1700000000", body="body")
    assert headers == {"x-slack-request-timestamp": "1700000000", "x-slack-signature": expected}


def test_builders_make_slack_shaped_payloads() -> None:
    first, second = app_mention("a"), app_mention("<@UBOT> b", thread_ts="1.5")
    assert first["text"] == "<@UBOT> a" and second["text"] == "<@UBOT> b"
    assert float(second["ts"]) > float(first["ts"])
    assert second["thread_ts"] == "1.5" and "thread_ts" not in first

    reply = thread_message("more", thread_ts=first["ts"], user="U0BOB")
    assert (reply["type"], reply["thread_ts"], reply["user"]) == ("message", first["ts"], "U0BOB")

    click = block_action(
        "reject", "cp_9", user="U0BOB", message_ts="2.0", thread_ts="1.0", response_url="http://r"
    )
    assert click["type"] == "block_actions"
    assert click["actions"][0] | {"action_ts": None} == {
        "action_id": "reject",
        "block_id": "actions",
        "text": {"type": "plain_text", "text": "reject", "emoji": True},
        "value": "cp_9",
        "type": "button",
        "action_ts": None,
    }
    assert click["container"]["thread_ts"] == click["message"]["thread_ts"] == "1.0"
    assert click["user"]["id"] == "U0BOB" and click["response_url"] == "http://r"

    values = {"reason": {"text": {"type": "plain_text_input", "value": "too risky"}}}
    submitted = view_submission("reject_reason", "cp_9", values)
    assert submitted["view"]["state"]["values"] == values
    assert submitted["view"]["private_metadata"] == "cp_9"


async def test_bolt_app_handles_sender_payloads_against_fake_slack(fake_slack: FakeSlack) -> None:
    """The whole loop the bot's tests rely on: signed request → Bolt listener → fake Web API."""
    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-test", base_url=fake_slack.url), signing_secret=SECRET
    )

    @app.event("app_mention")
    async def mentioned(event: dict, say: AsyncSay) -> None:
        await say(text=f"got: {event['text']}", thread_ts=event["ts"])

    @app.action("approve")
    async def approved(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(
            channel=body["channel"]["id"],
            thread_ts=body["container"]["thread_ts"],
            text=f"approved {body['actions'][0]['value']} by {body['user']['id']}",
        )

    @app.view("reject_reason")
    async def rejected(ack: AsyncAck, view: dict) -> None:
        await ack()

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        mention = app_mention("hello")
        assert (await sender.send_event(mention)).status == 200
        await fake_slack.until_thread("C0GENERAL", mention["ts"], "got: <@UBOT> hello")

        click = block_action("approve", "cp_1", message_ts="9.9", thread_ts=mention["ts"])
        assert (await sender.send_interaction(click)).status == 200
        await fake_slack.until_thread("C0GENERAL", mention["ts"], "approved cp_1 by U0ALICE")

        submission = view_submission("reject_reason", "cp_1", {})
        assert (await sender.send_interaction(submission)).status == 200
        forged = await sender.send_raw(json.dumps({"type": "event_callback"}), {})
        assert forged.status == 401
    finally:
        await runner.cleanup()
