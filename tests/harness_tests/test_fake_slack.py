"""FakeSlack answers the real slack_sdk client the way Slack does, and records what a user sees."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.harness.fake_slack import FakeSlack
from tests.harness.slack_sender import app_mention

CHANNEL = "C0GENERAL"


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, value: str = "v", action_id: str = "approve") -> dict:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "value": value,
        "action_id": action_id,
    }


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake_slack.url)


async def test_auth_test_reports_the_configured_bot_identity(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    assert (await client.auth_test())["user_id"] == "UBOT"
    fake_slack.auth = {**fake_slack.auth, "user_id": "UOTHER"}
    reply = await client.auth_test()
    assert (reply["user_id"], reply["bot_id"], reply["team_id"]) == ("UOTHER", "BBOT", "T0TEAM")


async def test_post_then_update_shows_the_edited_message_in_the_thread(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    root = await client.chat_postMessage(channel=CHANNEL, text="Working on it")
    reply = await client.chat_postMessage(
        channel=CHANNEL, thread_ts=root["ts"], text="step 1", blocks=[section("*step 1*")]
    )
    assert float(reply["ts"]) > float(root["ts"])
    assert reply["message"]["blocks"] == [section("*step 1*")]

    await client.chat_update(channel=CHANNEL, ts=reply["ts"], text="step 2", blocks=[section("2")])

    thread = fake_slack.thread(CHANNEL, root["ts"])
    assert [(m.text, m.edited, m.user) for m in thread] == [
        ("Working on it", 0, "UBOT"),
        ("step 2", 1, "UBOT"),
    ]
    assert thread[1].blocks == (section("2"),)
    assert [c.method for c in fake_slack.calls] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
    ]
    assert fake_slack.calls[0].token == "xoxb-test"


async def test_update_of_unknown_message_is_message_not_found(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel=CHANNEL, ts="1.000001", text="x")
    assert caught.value.response["error"] == "message_not_found"


async def test_second_update_too_soon_gets_429_with_retry_after(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="v0")
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="v1")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="v2")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"
    assert caught.value.response["error"] == "ratelimited"
    assert len(fake_slack.rate_limited) == 1
    assert fake_slack.messages(CHANNEL)[0].text == "v1"


async def test_rate_limit_retry_handler_waits_and_then_succeeds(fake_slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    posted = await client.chat_postMessage(channel=CHANNEL, text="v0")
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="v1")

    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="v2")

    updates = fake_slack.calls_to("chat.update")
    assert [c.status for c in updates] == [200, 429, 200]
    assert updates[2].time - updates[1].time >= 1.0
    assert fake_slack.messages(CHANNEL)[0].text == "v2"


async def test_rate_limit_can_be_disabled(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    fake_slack.update_interval_s = None
    posted = await client.chat_postMessage(channel=CHANNEL, text="v0")
    for i in range(5):
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text=f"v{i + 1}")
    assert fake_slack.messages(CHANNEL)[0].edited == 5
    assert fake_slack.rate_limited == []


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([section("x")] * 51, "/blocks"),
        ([section("x" * 3001)], "/blocks/0/text/text"),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "/blocks/0/fields",
        ),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "/fields/0"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/text/text"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/elements"),
        ([{"type": "actions", "elements": [button("b")] * 26}], "/blocks/0/elements"),
        ([{"type": "actions", "elements": [button("b" * 76)]}], "/elements/0/text/text"),
        ([{"type": "actions", "elements": [button("b", value="v" * 2001)]}], "/elements/0/value"),
        ([{"type": "actions", "elements": [button("b", action_id="a" * 256)]}], "/action_id"),
        ([{**section("x"), "block_id": "b" * 256}], "/blocks/0/block_id"),
    ],
)
async def test_block_kit_over_limit_is_rejected_as_invalid_blocks(
    fake_slack: FakeSlack, client: AsyncWebClient, blocks: list, pointer: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    assert any(pointer in error for error in caught.value.response["errors"])
    assert fake_slack.messages(CHANNEL) == []


async def test_blocks_at_the_limits_and_unknown_types_are_accepted(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [section("x" * 3000)] * 49 + [{"type": "task_card", "anything": True}]
    await client.chat_postMessage(channel=CHANNEL, text="t" * 40_000, blocks=blocks)
    assert len(fake_slack.messages(CHANNEL)[0].blocks) == 50


async def test_text_over_40000_is_msg_too_long(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=CHANNEL, text="t" * 40_001)
    assert caught.value.response["error"] == "msg_too_long"


async def test_token_that_is_not_a_bot_token_is_invalid_auth(fake_slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxp-user", base_url=fake_slack.url)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=CHANNEL, text="hi")
    assert caught.value.response["error"] == "invalid_auth"
    assert fake_slack.messages(CHANNEL) == []


async def test_form_encoded_blocks_are_parsed(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL, "text": "f", "blocks": json.dumps([section("form")])},
    )
    assert fake_slack.messages(CHANNEL)[0].blocks == (section("form"),)


async def test_workspace_methods(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    fake_slack.usergroups = {"S123": ["U1", "U2"]}
    fake_slack.users = {"U1": {"tz": "Europe/Paris"}}
    mention = fake_slack.seed_event(app_mention("summarise this"))
    reply = await client.chat_postMessage(channel=CHANNEL, thread_ts=mention.ts, text="on it")

    assert (await client.usergroups_users_list(usergroup="S123"))["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        await client.usergroups_users_list(usergroup="S999")
    assert (await client.users_info(user="U1"))["user"]["tz"] == "Europe/Paris"
    replies = await client.conversations_replies(channel=CHANNEL, ts=mention.ts)
    assert [m["text"] for m in replies["messages"]] == ["<@UBOT> summarise this", "on it"]

    await client.reactions_add(channel=CHANNEL, timestamp=mention.ts, name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        await client.reactions_add(channel=CHANNEL, timestamp=mention.ts, name="eyes")
    assert fake_slack.reactions(CHANNEL, mention.ts) == ["eyes"]
    await client.reactions_remove(channel=CHANNEL, timestamp=mention.ts, name="eyes")
    assert fake_slack.reactions(CHANNEL, mention.ts) == []

    eph = await client.chat_postEphemeral(channel=CHANNEL, user="U1", text="only you")
    assert [(e.user, e.text, e.message_ts) for e in fake_slack.ephemerals] == [
        ("U1", "only you", eph["message_ts"])
    ]

    await client.chat_delete(channel=CHANNEL, ts=reply["ts"])
    assert [m.ts for m in fake_slack.thread(CHANNEL, mention.ts)] == [mention.ts]

    view = {"type": "modal", "callback_id": "reject", "title": {"type": "plain_text", "text": "W"}}
    opened = await client.views_open(trigger_id="t1", view={**view, "blocks": [section("why?")]})
    assert opened["view"]["id"] == fake_slack.views[0].id
    assert fake_slack.views[0].view["callback_id"] == "reject"

    await client.assistant_threads_setStatus(
        channel_id=CHANNEL, thread_ts=mention.ts, status="is thinking…"
    )
    assert fake_slack.calls_to("assistant.threads.setStatus")[0].args["status"] == "is thinking…"

    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("chat.frobnicate", json={"channel": CHANNEL})
    assert fake_slack.calls[-1].method == "chat.frobnicate"


async def test_fail_next_injects_errors_then_recovers(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, retry_after=None, error="fatal", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel=CHANNEL, text="hi")
        assert caught.value.response.status_code == 500
    await client.chat_postMessage(channel=CHANNEL, text="hi")
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [500, 500, 200]


async def test_override_answers_a_method(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    fake_slack.on("team.info", lambda args: {"ok": True, "team": {"id": "T0TEAM", "name": "Acme"}})
    assert (await client.team_info())["team"]["name"] == "Acme"


async def test_until_call_wakes_when_the_call_arrives(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    async def post_later() -> None:
        await asyncio.sleep(0)
        await client.chat_postMessage(channel=CHANNEL, text="first")
        await client.chat_postMessage(channel=CHANNEL, text="second")

    waited, _ = await asyncio.gather(
        fake_slack.until_call("chat.postMessage", where=lambda c: c.args["text"] == "second"),
        post_later(),
    )
    assert [c.args["text"] for c in waited] == ["second"]


async def test_until_thread_waits_for_text_in_blocks(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    root = await client.chat_postMessage(channel=CHANNEL, text="task")

    async def progress() -> None:
        await client.chat_postMessage(
            channel=CHANNEL, thread_ts=root["ts"], text="fallback", blocks=[section("Done: 3 PRs")]
        )

    messages, _ = await asyncio.gather(
        fake_slack.until_thread(CHANNEL, root["ts"], "3 PRs"), progress()
    )
    assert messages[-1].all_text == "fallback\nDone: 3 PRs"


async def test_wait_timeout_explains_what_was_received(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel=CHANNEL, text="hello there")
    with pytest.raises(AssertionError) as caught:
        fake_slack.wait_for_call("chat.update", timeout=0.05)
    assert "chat.update" in str(caught.value)
    assert "hello there" in str(caught.value)
    with pytest.raises(AssertionError, match="hello there"):
        await fake_slack.until_thread(CHANNEL, "1.0", lambda ms: len(ms) > 5, timeout=0.05)


def test_a_subprocess_can_use_the_fake(fake_slack: FakeSlack) -> None:
    code = (
        "import sys; from slack_sdk import WebClient;"
        "WebClient(token='xoxb-sub', base_url=sys.argv[1]).chat_postMessage(channel='C1', text='x')"
    )
    subprocess.run([sys.executable, "-c", code, fake_slack.url], check=True, timeout=30)
    (call,) = fake_slack.wait_for_call("chat.postMessage", timeout=5)
    assert call.token == "xoxb-sub"


def test_response_url_posts_are_recorded(fake_slack: FakeSlack) -> None:
    code = (
        "import sys, json, urllib.request;"
        "urllib.request.urlopen(urllib.request.Request(sys.argv[1], "
        "data=json.dumps({'text': 'done', 'replace_original': True}).encode(), "
        "headers={'content-type': 'application/json'}))"
    )
    subprocess.run([sys.executable, "-c", code, fake_slack.response_url], check=True, timeout=30)
    assert fake_slack.calls_to("response_url")[0].args["text"] == "done"


def test_reset_forgets_everything_and_the_server_keeps_serving() -> None:
    with FakeSlack(update_interval_s=5) as fake:
        fake.seed_message(CHANNEL, "hi")
        fake.update_interval_s = None
        fake.reset()
        assert fake.messages(CHANNEL) == [] and fake.calls == []
        assert fake.update_interval_s == 5
        assert fake.seed_message(CHANNEL, "again").text == "again"
