"""Shared fixtures: real Redis and PostgreSQL, the fake Slack and model APIs, and a running app.

Services are started if they are not running. Each test gets its own Redis key prefix; the test
session gets its own PostgreSQL database, dropped at the end.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import (
    fake_anthropic,
    fake_slack,
    postgres_url,
    redis_cluster_url,
    redis_prefix,
    redis_url,
)
from tests.harness.services import (
    drop_database,
    ensure_postgres,
    free_port,
    fresh_postgres_database,
)
from tests.stack import SIGNING_SECRET, Stack, SubprocessStack, killable, running

__all__ = [
    "fake_anthropic",
    "fake_slack",
    "postgres_url",
    "redis_cluster_url",
    "redis_prefix",
    "redis_url",
]


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    ensure_postgres()
    url = fresh_postgres_database()
    yield url
    drop_database(url.rsplit("/", 1)[-1])


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspaces_root() -> Iterator[Path]:
    """Task workspaces of one test; not under pytest's 0700 tmp dirs, which the sandbox's
    unprivileged uid could not enter."""
    root = Path(tempfile.mkdtemp(prefix="tw-workspaces-"))
    root.chmod(0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(
    redis_url: str,
    redis_prefix: str,
    database_url: str,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
    tmp_path_factory: pytest.TempPathFactory,
    workspaces_root: Path,
) -> Settings:
    # The fake enforces the same edit interval the bot is configured with below.
    fake_slack.update_interval_s = 0.05
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        ANTHROPIC_API_KEY="sk-ant-test",
        ANTHROPIC_BASE_URL=fake_anthropic.url,
        THREADWORK_MODEL="claude-test",
        REDIS_URL=redis_url,
        DATABASE_URL=database_url,
        THREADWORK_CONFIG=tmp_path_factory.mktemp("config") / "threadwork.yaml",
        THREADWORK_REDIS_PREFIX=redis_prefix,
        THREADWORK_RECLAIM_AFTER=5,
        THREADWORK_MODEL_RETRY_BASE=0.01,
        THREADWORK_SLACK_UPDATE_INTERVAL=0.05,
        THREADWORK_WORKSPACES=workspaces_root,
        THREADWORK_SANDBOX_VENV=REPO / ".venv-sandbox",
    )


@pytest.fixture
async def stack(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> AsyncIterator[Stack]:
    app = Stack(settings=settings, slack=fake_slack, model=fake_anthropic, port=free_port())
    async with running(app):
        yield app


@pytest.fixture
async def process(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> AsyncIterator[SubprocessStack]:
    """The app as a subprocess that a test may kill (see `tests.stack.killable`)."""
    async with running(killable(settings, fake_slack, fake_anthropic)) as app:
        yield app
