"""Shared fixtures: real Redis and PostgreSQL, the fake Slack and model APIs, and a running app.

Services are started if they are not running. Each test gets its own Redis key prefix; the test
session gets its own PostgreSQL database, dropped at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import (
    REDIS_URL,
    delete_prefix,
    drop_database,
    ensure_postgres,
    ensure_redis,
    free_port,
    fresh_postgres_database,
    unique_redis_prefix,
)
from tests.stack import SIGNING_SECRET, Stack


@pytest.fixture(scope="session")
def redis_url() -> str:
    return ensure_redis(REDIS_URL)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    ensure_postgres()
    url = fresh_postgres_database()
    yield url
    drop_database(url.rsplit("/", 1)[-1])


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = unique_redis_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    # Edits may go out as fast as the bot is configured to send them (see `settings`).
    with FakeSlack(update_interval_s=0.05) as fake:
        yield fake


@pytest.fixture
def fake_model() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def settings(
    redis_url: str,
    redis_prefix: str,
    database_url: str,
    fake_slack: FakeSlack,
    fake_model: FakeAnthropic,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        ANTHROPIC_API_KEY="sk-ant-test",
        ANTHROPIC_BASE_URL=fake_model.url,
        THREADWORK_MODEL="claude-test",
        REDIS_URL=redis_url,
        DATABASE_URL=database_url,
        THREADWORK_CONFIG=tmp_path_factory.mktemp("config") / "threadwork.yaml",
        THREADWORK_REDIS_PREFIX=redis_prefix,
        THREADWORK_RECLAIM_AFTER=5,
        THREADWORK_MODEL_RETRY_BASE=0.01,
        THREADWORK_SLACK_UPDATE_INTERVAL=0.05,
    )


@pytest.fixture
async def stack(
    settings: Settings, fake_slack: FakeSlack, fake_model: FakeAnthropic
) -> AsyncIterator[Stack]:
    running = Stack(settings=settings, slack=fake_slack, model=fake_model, port=free_port())
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
