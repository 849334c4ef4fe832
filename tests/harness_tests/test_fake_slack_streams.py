"""FakeSlack streams like Slack: the checks on `chat.startStream` / `appendStream` / `stopStream`."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.harness.fake_slack import FakeSlack

CHANNEL = "C0GENERAL"
THREAD = "1700000000.000100"
WHO = {"recipient_user_id": "U0ALICE", "recipient_team_id": "T0TEAM"}


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake_slack.url)


async def test_a_stream_grows_one_message_and_ends_with_its_blocks(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    started = await client.chat_startStream(
        channel=CHANNEL, thread_ts=THREAD, markdown_text="Hel", **WHO
    )
    ts = started["ts"]
    await client.chat_appendStream(
        channel=CHANNEL, ts=ts, chunks=[{"type": "markdown_text", "text": "lo"}]
    )
    message = fake_slack.message(CHANNEL, ts)
    assert message is not None and message.text == "Hello" and message.streaming
    footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": "ref"}]}
    await client.chat_stopStream(channel=CHANNEL, ts=ts, markdown_text="!", blocks=[footer])
    message = fake_slack.message(CHANNEL, ts)
    assert message is not None and message.text == "Hello!" and not message.streaming
    assert "ref" in message.all_text and message.thread_ts == THREAD

    with pytest.raises(SlackApiError, match="message_not_in_streaming_state"):
        await client.chat_appendStream(channel=CHANNEL, ts=ts, markdown_text="more")


async def test_a_channel_stream_needs_its_recipient_but_a_dm_does_not(
    client: AsyncWebClient,
) -> None:
    with pytest.raises(SlackApiError, match="missing_recipient_user_id"):
        await client.chat_startStream(channel=CHANNEL, thread_ts=THREAD, markdown_text="hi")
    with pytest.raises(SlackApiError, match="missing_recipient_team_id"):
        await client.chat_startStream(
            channel=CHANNEL, thread_ts=THREAD, markdown_text="hi", recipient_user_id="U0ALICE"
        )
    await client.chat_startStream(channel="D0ALICE", thread_ts=THREAD, markdown_text="hi")


async def test_limits_of_text_chunks_and_blocks_are_slacks(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError, match="msg_too_long"):
        await client.chat_startStream(
            channel=CHANNEL, thread_ts=THREAD, markdown_text="x" * 12_001, **WHO
        )
    ts = (await client.chat_startStream(channel=CHANNEL, thread_ts=THREAD, **WHO))["ts"]
    with pytest.raises(SlackApiError, match="invalid_chunks"):
        await client.chat_appendStream(channel=CHANNEL, ts=ts, chunks=[{"type": "poem"}])
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_stopStream(channel=CHANNEL, ts=ts, blocks=[{"type": "divider"}] * 51)


async def test_a_stream_older_than_its_lifetime_is_closed_by_slack(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.stream_ttl_s = 0.0
    ts = (await client.chat_startStream(channel=CHANNEL, thread_ts=THREAD, **WHO))["ts"]
    with pytest.raises(SlackApiError, match="message_not_in_streaming_state"):
        await client.chat_stopStream(channel=CHANNEL, ts=ts, markdown_text="late")
    await client.chat_update(channel=CHANNEL, ts=ts, text="recovered")
    message = fake_slack.message(CHANNEL, ts)
    assert message is not None and message.text == "recovered"
