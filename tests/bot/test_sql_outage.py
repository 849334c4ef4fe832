"""The database goes away mid-run (a TCP proxy in front of PostgreSQL that the test stops).

Tasks go on; their activity rows wait in the Redis outbox, `/healthz` and `doctor` say so, and
once the database answers again the rows are written in order, each exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlparse

import aiohttp
import pytest

from bot.cli.doctor import run_checks
from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import POSTGRES_HOST, POSTGRES_PORT, free_port
from tests.harness.tcp_proxy import TcpProxy
from tests.stack import CHANNEL, Stack, running

DRAIN_TIMEOUT_S = 30.0


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    server = TcpProxy(POSTGRES_HOST, POSTGRES_PORT)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def app(
    settings: Settings,
    postgres_url: str,
    proxy: TcpProxy,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
) -> Stack:
    database = urlparse(postgres_url).path
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}{database}"
    own = settings.model_copy(update={"database_url": url})
    return Stack(settings=own, slack=fake_slack, model=fake_anthropic, port=free_port())


async def health(app: Stack) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(app.base + "/healthz") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def until_drained(app: Stack) -> dict[str, Any]:
    async with asyncio.timeout(DRAIN_TIMEOUT_S):
        # The workers' sweep drains it in another task; there is no event to wait on here.
        while (body := await health(app))["outbox"]["pending"]:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return body


def script(model: FakeAnthropic, marker: str) -> None:
    model.script(
        marker,
        [
            Turn([ToolUse("find_tools", {"query": "anything"})]),
            Reply(f"answered {marker}"),
        ],
    )


async def test_tasks_go_on_and_their_rows_land_in_order_once_when_the_database_is_back(
    app: Stack, proxy: TcpProxy
) -> None:
    script(app.model, "with the database")
    script(app.model, "without the database")
    async with running(app):
        reference = await app.mention("with the database")
        await app.slack.until_thread(CHANNEL, reference["ts"], "Done")

        await proxy.stop()
        during = await app.mention("without the database")
        await app.slack.until_thread(CHANNEL, during["ts"], "answered without the database")
        await app.slack.until_thread(CHANNEL, during["ts"], "Done")

        body = await health(app)
        assert body["sql"]["ok"] is False
        assert body["outbox"]["pending"] > 0
        assert "database is unreachable" in body["outbox"]["note"]
        assert app.runtime is not None
        checks = {c.name: c for c in await run_checks(app.runtime)}
        assert not checks["activity outbox"].ok
        assert "wait in the Redis outbox" in checks["activity outbox"].detail

        await proxy.start()
        body = await until_drained(app)
        assert body["sql"]["ok"] is True
        checks = {c.name: c for c in await run_checks(app.runtime)}
        assert checks["activity outbox"].ok

        (first,) = await app.task_ids_for(reference["ts"])
        (second,) = await app.task_ids_for(during["ts"])
        expected = [type(e).__name__ for e in await app.events(first)]
        written = [type(e).__name__ for e in await app.events(second)]
        assert written == expected, "the same trail, in order, each row once"
        assert "TaskCompleted" in written
        record = next(t for t in await app.tasks() if t.id == second)
        assert record.status == "completed"
