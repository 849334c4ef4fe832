"""Redis goes away and comes back (a real `redis-server` the test stops and starts).

An event that arrives while Redis is down is answered 503, so Slack delivers it again; the
redelivery once Redis is back is answered exactly once. A task whose Redis call fails mid-task
says so in its thread and finishes once Redis is back. No process exits meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.redis_process import RedisProcess, redis_process
from tests.harness.services import free_port
from tests.harness.slack_sender import app_mention
from tests.stack import CHANNEL, Stack, running

RECLAIM_S = 2.0
TROUBLE = "having trouble with task storage"


@pytest.fixture
def redis_server() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


@pytest.fixture
def app(
    settings: Settings,
    redis_server: RedisProcess,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
) -> Stack:
    own = settings.model_copy(update={"redis_url": redis_server.url, "reclaim_after_s": RECLAIM_S})
    return Stack(settings=own, slack=fake_slack, model=fake_anthropic, port=free_port())


async def test_event_during_an_outage_is_refused_then_answered_once_when_redelivered(
    app: Stack, redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    app.model.script("while redis was down", [Reply("answered after the outage")])
    async with running(app):
        redis_server.stop()
        event = app_mention("asked while redis was down")
        with caplog.at_level(logging.WARNING):
            refused = await app.sender.send_event(event)
        assert refused.status == 503
        assert any(
            "redeliver" in r.getMessage() and refused.event_id in r.getMessage()
            for r in caplog.records
        )

        redis_server.start()
        again = await app.sender.send_event(event, event_id=refused.event_id, retry_num=1)
        assert again.status == 200
        await app.slack.until_thread(CHANNEL, event["ts"], "answered after the outage")
        await app.slack.until_thread(CHANNEL, event["ts"], "Done")
        late = await app.sender.send_event(event, event_id=refused.event_id, retry_num=2)
        assert late.status == 200

        app.model.script("after the restart", [Reply("the workers still consume")])
        later = app_mention("after the restart")
        assert (await app.sender.send_event(later)).status == 200
        await app.slack.until_thread(CHANNEL, later["ts"], "the workers still consume")

    thread = app.slack.thread(CHANNEL, event["ts"])
    assert sum("answered after the outage" in m.all_text for m in thread) == 1
    assert len(app.model.requests) == 2


async def test_a_task_whose_storage_fails_midway_says_so_and_resumes(
    app: Stack, redis_server: RedisProcess
) -> None:
    release = threading.Event()
    app.model.script(
        "storage fails",
        [
            Turn([ToolUse("find_tools", {"query": "lost with the outage"})], hold=release),
            Turn([ToolUse("find_tools", {"query": "again"})]),
            Reply("answer after the outage"),
        ],
    )
    async with running(app):
        mention = await app.mention("storage fails midway")
        await app.model.until_in_flight(1)
        redis_server.stop()
        release.set()
        trouble = await app.slack.until_thread(CHANNEL, mention["ts"], TROUBLE, timeout=20)
        note = next(m for m in trouble if TROUBLE in m.all_text)
        assert "retry" in note.all_text and "Reference: `" in note.all_text
        assert not any("answer after the outage" in m.all_text for m in trouble)

        redis_server.start()
        await app.slack.until_thread(
            CHANNEL, mention["ts"], "answer after the outage", timeout=RECLAIM_S * 10
        )
        await app.slack.until_thread(CHANNEL, mention["ts"], "Done")

    thread = app.slack.thread(CHANNEL, mention["ts"])
    assert sum("answer after the outage" in m.all_text for m in thread) == 1
    assert sum(TROUBLE in m.all_text for m in thread) == 1
    assert len(app.model.requests) == 3, "the reply lost with the outage was asked for again"
    assert not any("went wrong" in m.all_text for m in thread)
