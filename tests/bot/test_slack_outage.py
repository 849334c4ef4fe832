"""Slack goes away mid-task (a TCP proxy in front of the fake Slack that the test stops).

The bot's calls are sent again after growing waits; when Slack stays unreachable the task pauses
(its job is not acknowledged) instead of failing, and once Slack answers again the task resumes
from its last save and finishes: one answer, no "something went wrong". No process exits.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.tcp_proxy import TcpProxy
from tests.stack import CHANNEL, Stack, running

RECLAIM_S = 2.0
PAUSED = "paused: Slack unreachable"


@pytest.fixture
async def proxy(fake_slack: FakeSlack) -> AsyncIterator[TcpProxy]:
    server = TcpProxy("127.0.0.1", urlsplit(fake_slack.url).port or 80)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def app(
    settings: Settings, proxy: TcpProxy, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> Stack:
    own = settings.model_copy(
        update={
            "slack_api_url": f"http://127.0.0.1:{proxy.port}/api/",
            "slack_retry_base_s": 0.01,
            "reclaim_after_s": RECLAIM_S,
        }
    )
    return Stack(settings=own, slack=fake_slack, model=fake_anthropic, port=free_port())


class _Seen(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__(logging.WARNING)
        self.text = text
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@contextmanager
def logged(name: str, text: str) -> Iterator[threading.Event]:
    """An event set when logger `name` logs a warning containing `text`."""
    logger, handler = logging.getLogger(name), _Seen(text)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler.event
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_task_whose_slack_goes_away_midway_pauses_and_resumes(
    app: Stack, proxy: TcpProxy
) -> None:
    release = threading.Event()
    app.model.script(
        "slack fails",
        [
            Turn([ToolUse("find_tools", {"query": "lost with the outage"})], hold=release),
            Turn([ToolUse("find_tools", {"query": "again"})]),
            Reply("answer after the outage"),
        ],
    )
    async with running(app):
        mention = await app.mention("slack fails midway")
        await app.model.until_in_flight(1)
        with logged("orchestrator.engine.worker", PAUSED) as paused:
            await proxy.stop()
            release.set()
            assert await asyncio.to_thread(paused.wait, 20), "the task paused"
        assert not any(
            "answer after" in m.all_text for m in app.slack.thread(CHANNEL, mention["ts"])
        )

        await proxy.start()
        await app.slack.until_thread(
            CHANNEL, mention["ts"], "answer after the outage", timeout=RECLAIM_S * 10
        )
        await app.slack.until_thread(CHANNEL, mention["ts"], "Done")

    thread = app.slack.thread(CHANNEL, mention["ts"])
    assert sum("answer after the outage" in m.all_text for m in thread) == 1
    assert not any("went wrong" in m.all_text for m in thread)
