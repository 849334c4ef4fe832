"""SlackNotifier over real HTTP against the fake Slack, which enforces edit rate limits with 429s.

A person watching the thread sees the latest progress without the bot being throttled; a 429 on a
post is waited out; other Slack errors become DeliveryFailed for the orchestrator to handle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.notifier import SlackNotifier
from bot.slack.retries import retry_handlers
from orchestrator import Activity, Answer, CallLine, DeliveryFailed, Progress, ThreadRef
from tests.harness.fake_slack import FakeSlack

CHANNEL = "C0GENERAL"
THREAD = ThreadRef(team_id="T0TEAM", channel_id=CHANNEL, thread_ts="1700000000.000100")
INTERVAL_S = 1.0


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(update_interval_s=INTERVAL_S) as fake:
        yield fake


@pytest.fixture
def waits() -> list[float]:
    """The client's waits before retrying, recorded instead of slept."""
    return []


@pytest.fixture
async def notifier(slack: FakeSlack, waits: list[float]) -> AsyncIterator[SlackNotifier]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = AsyncWebClient(
        token="xoxb-test", base_url=slack.url, retry_handlers=retry_handlers(sleep=sleep)
    )
    notifier = SlackNotifier(client, min_update_interval_s=INTERVAL_S)
    yield notifier
    await notifier.flush()


def progress(step: int) -> Progress:
    return Progress(
        state="working", entries=(CallLine(tool=f"step_{step}", status="done"),), steps=step
    )


async def test_thirty_rapid_edits_are_coalesced_and_the_last_view_wins(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    ts = await notifier.post(THREAD, progress(0))
    await notifier.update(THREAD, ts, progress(1))
    await slack.until_call("chat.update")  # the first edit goes out an interval after the post
    for step in range(2, 31):
        await notifier.update(THREAD, ts, progress(step))

    await slack.until_call("chat.update", where=lambda c: "30 steps" in c.args.get("text", ""))
    await notifier.flush()

    updates = slack.calls_to("chat.update")
    assert 1 <= len(updates) <= 3, [str(c) for c in updates]
    assert slack.rate_limited == [], "edits are paced below Slack's limit, never throttled"
    assert notifier.rate_limited == 0
    shown = slack.message(CHANNEL, ts)
    assert shown is not None
    assert "30 steps" in shown.all_text and "step_30" in shown.all_text


async def test_edits_of_different_messages_are_not_held_back_by_each_other(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    first = await notifier.post(THREAD, progress(0))
    second = await notifier.post(THREAD, progress(0))
    await notifier.update(THREAD, first, progress(1))
    await notifier.update(THREAD, second, progress(2))
    updates = await slack.until_call("chat.update", count=2)
    assert {c.args["ts"] for c in updates} == {first, second}
    assert updates[1].time - updates[0].time < INTERVAL_S


async def test_a_task_finishing_waits_for_its_own_edits_not_other_threads(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    other = ThreadRef(team_id="T0TEAM", channel_id=CHANNEL, thread_ts="1700000000.000200")
    busy = await notifier.post(other, progress(0))
    await notifier.update(other, busy, progress(1))  # held for the interval after its post
    done = await notifier.post(THREAD, progress(0))

    await asyncio.wait_for(notifier.flush(THREAD), timeout=INTERVAL_S / 2)
    assert slack.calls_to("chat.update") == [], "the other thread's edit is still waiting"

    await notifier.flush()
    (edit,) = slack.calls_to("chat.update")
    assert edit.args["ts"] == busy and done != busy


async def test_a_rate_limited_post_is_waited_out_and_delivered_once(
    slack: FakeSlack, notifier: SlackNotifier, waits: list[float]
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)

    ts = await notifier.post(THREAD, Answer(text="Here is the summary."))

    refused, delivered = slack.calls_to("chat.postMessage")
    assert refused.status == 429 and delivered.ok
    assert waits == [1.0], "Retry-After was honoured"
    assert delivered.time >= refused.time
    assert notifier.rate_limited == 1
    thread = slack.thread(CHANNEL, THREAD.thread_ts)
    assert [m.ts for m in thread if "Here is the summary." in m.all_text] == [ts]


@pytest.mark.parametrize(("status", "error"), [(200, "channel_not_found"), (500, "fatal_error")])
async def test_other_slack_errors_become_delivery_failed_without_retrying(
    slack: FakeSlack, notifier: SlackNotifier, status: int, error: str
) -> None:
    slack.fail_next("chat.postMessage", status=status, retry_after=None, error=error)

    with pytest.raises(DeliveryFailed) as caught:
        await notifier.post(THREAD, Answer(text="lost"))

    assert error in str(caught.value)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.thread(CHANNEL, THREAD.thread_ts) == []


async def test_a_failed_edit_does_not_break_later_edits(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    ts = await notifier.post(THREAD, progress(0))
    slack.fail_next("chat.update", status=200, retry_after=None, error="internal_error")
    await notifier.update(THREAD, ts, progress(1))
    await slack.until_call("chat.update")
    await notifier.update(THREAD, ts, progress(2))

    await slack.until_call("chat.update", count=2)
    await notifier.flush()

    shown = slack.message(CHANNEL, ts)
    assert shown is not None and "2 steps" in shown.all_text


async def test_a_post_still_rate_limited_after_five_retries_is_delivery_failed(
    slack: FakeSlack, notifier: SlackNotifier, waits: list[float]
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=45, times=6)

    with pytest.raises(DeliveryFailed) as caught:
        await notifier.post(THREAD, Answer(text="never"))

    assert "429" in str(caught.value)
    assert len(slack.calls_to("chat.postMessage")) == 6
    assert waits == [30.0] * 5, "a long Retry-After is capped"
    assert notifier.rate_limited == 5


async def test_a_task_shorter_than_the_interval_edits_its_progress_reply_once(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    ts = await notifier.post(THREAD, progress(0))
    for step in range(1, 5):
        await notifier.update(THREAD, ts, progress(step))
    await notifier.flush()

    (edit,) = slack.calls_to("chat.update")
    (posted,) = slack.calls_to("chat.postMessage")
    assert edit.time - posted.time >= INTERVAL_S * 0.9, "the post counts as the first send"
    shown = slack.message(CHANNEL, ts)
    assert shown is not None and "4 steps" in shown.all_text


async def test_the_status_clear_is_skipped_where_the_bot_replied_since_its_last_status(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    await notifier.status(THREAD, Activity("thinking"))
    await notifier.post(THREAD, Answer(text="Here it is."))
    await notifier.status(THREAD, None)

    assert slack.statuses(CHANNEL, THREAD.thread_ts) == ["is thinking…"]
    assert slack.status(CHANNEL, THREAD.thread_ts) is None, "the reply cleared it"


async def test_a_status_is_cleared_where_the_bot_did_not_reply_since(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    await notifier.status(THREAD, Activity("thinking"))
    await notifier.status(THREAD, Activity("thinking"))
    await notifier.status(THREAD, None)
    await notifier.status(THREAD, None)  # another process may have set one meanwhile

    assert slack.statuses(CHANNEL, THREAD.thread_ts) == ["is thinking…", "", ""]
    assert slack.status(CHANNEL, THREAD.thread_ts) is None
