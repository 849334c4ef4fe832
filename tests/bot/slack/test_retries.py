"""How long the Slack client waits after a 429 (the Retry-After it was given, within bounds), and
what it does when Slack cannot be reached: sent again after growing waits, never a post that may
have landed; when Slack stays unreachable, `DeliveryUnavailable` (the task then pauses).

Real HTTP to the fake Slack through a TCP proxy the test stops or stalls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.notifier import SlackNotifier
from bot.slack.retries import (
    MAX_CONNECTION_RETRIES,
    RETRY_BASE_S,
    Sleep,
    retry_after,
    retry_handlers,
)
from orchestrator import Activity, Answer, DeliveryUnavailable, ThreadRef
from tests.harness.fake_slack import FakeSlack
from tests.harness.tcp_proxy import TcpProxy

CHANNEL = "C0GENERAL"
THREAD = ThreadRef(team_id="T0TEAM", channel_id=CHANNEL, thread_ts="1700000000.000100")


def test_retry_after_is_read_from_the_header_whatever_its_case() -> None:
    assert retry_after({"Retry-After": ["3"]}) == 3.0
    assert retry_after({"retry-after": "2"}) == 2.0


def test_a_missing_or_unreadable_retry_after_waits_one_second() -> None:
    assert retry_after({}) == 1.0
    assert retry_after({"retry-after": ["soon"]}) == 1.0


def test_retry_after_is_kept_between_zero_and_thirty_seconds() -> None:
    assert retry_after({"retry-after": ["120"]}) == 30.0
    assert retry_after({"retry-after": ["-5"]}) == 0.0


@pytest.fixture
async def proxy(slack: FakeSlack) -> AsyncIterator[TcpProxy]:
    """Slack as the bot reaches it: through a proxy the test stops (refused) or stalls."""
    server = TcpProxy("127.0.0.1", urlsplit(slack.url).port or 80)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def notifier_through(proxy: TcpProxy, sleep: Sleep, *, timeout: int = 30) -> SlackNotifier:
    client = AsyncWebClient(
        token="xoxb-test",
        base_url=f"http://127.0.0.1:{proxy.port}/api/",
        timeout=timeout,
        retry_handlers=retry_handlers(sleep=sleep),
    )
    return SlackNotifier(client)


async def test_a_call_while_slack_is_briefly_unreachable_is_sent_again_after_backoff(
    slack: FakeSlack, proxy: TcpProxy
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # Slack answers again during the second wait
        waits.append(seconds)
        if len(waits) == 2:
            await proxy.start()

    notifier = notifier_through(proxy, sleep)
    await proxy.stop()
    ts = await notifier.post(THREAD, Answer(text="Here it is."))

    assert len(waits) == 2 and waits[1] > waits[0], "waits grow"
    assert [m.ts for m in slack.thread(CHANNEL, THREAD.thread_ts)] == [ts], "posted once"


async def test_a_slack_that_stays_unreachable_raises_delivery_unavailable(
    slack: FakeSlack, proxy: TcpProxy
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    notifier = notifier_through(proxy, sleep)
    await proxy.stop()
    with pytest.raises(DeliveryUnavailable):
        await notifier.status(THREAD, Activity("thinking"))

    assert len(waits) == MAX_CONNECTION_RETRIES
    assert waits == sorted(waits) and waits[0] >= RETRY_BASE_S


async def test_a_status_that_timed_out_is_sent_again_but_a_post_is_not(
    slack: FakeSlack, proxy: TcpProxy
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # Slack is fast again after the first wait
        waits.append(seconds)
        await proxy.start()

    notifier = notifier_through(proxy, sleep, timeout=1)
    await proxy.start(stall=True)
    await notifier.status(THREAD, Activity("thinking"))
    assert proxy.stalled == 1 and len(waits) == 1
    assert slack.status(CHANNEL, THREAD.thread_ts) == "is thinking…"

    await proxy.start(stall=True)
    with pytest.raises(DeliveryUnavailable):
        await notifier.post(THREAD, Answer(text="maybe posted, never twice"))
    assert proxy.stalled == 2 and len(waits) == 1, "a post that may have landed is not repeated"
