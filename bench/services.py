"""What every end-to-end benchmark stands on: real Redis and PostgreSQL for one run, and settings
that point the app at the fake Slack and model APIs.

Each run gets a fresh database and Redis key prefix, removed afterwards, so benchmarks never see
each other's (or the tests') data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import (
    REDIS_URL,
    delete_prefix,
    drop_database,
    ensure_postgres,
    ensure_redis,
    fresh_postgres_database,
    unique_redis_prefix,
)
from tests.stack import SIGNING_SECRET

NO_CONFIG = Path(__file__).with_name("no-such-threadwork.yaml")


@contextmanager
def fresh_services() -> Iterator[tuple[str, str]]:
    """Start Redis and PostgreSQL if needed; yield (database url, Redis prefix) for one run."""
    ensure_redis(REDIS_URL)
    ensure_postgres()
    database_url = fresh_postgres_database()
    prefix = unique_redis_prefix()
    try:
        yield database_url, prefix
    finally:
        drop_database(database_url)
        delete_prefix(REDIS_URL, prefix)


def settings_for(
    slack: FakeSlack,
    model: FakeAnthropic,
    database_url: str,
    prefix: str,
    *,
    config: Path = NO_CONFIG,
    update_interval_s: float = 0.05,
) -> Settings:
    """The app's settings for one run against the fakes (absent `config`: no plugins)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN=SecretStr("xoxb-bench"),
        SLACK_SIGNING_SECRET=SecretStr(SIGNING_SECRET),
        SLACK_API_URL=slack.url,
        ANTHROPIC_API_KEY=SecretStr("sk-ant-bench"),
        ANTHROPIC_BASE_URL=model.url,
        THREADWORK_MODEL="claude-bench",
        REDIS_URL=REDIS_URL,
        DATABASE_URL=database_url,
        THREADWORK_CONFIG=config,
        THREADWORK_REDIS_PREFIX=prefix,
        THREADWORK_SLACK_UPDATE_INTERVAL=update_interval_s,
    )
