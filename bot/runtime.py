"""The composition root: turn `Settings` into connected real implementations of every port.

The only place where Redis, the database, the model API and Slack clients are built and wired
into the orchestrator. Processes (`serve`, `worker`) and the CLI checks get a `Runtime` from here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from anthropic import AsyncAnthropic
from redis.asyncio import BlockingConnectionPool, Redis
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from bot.slack.directory import SlackDirectory
from bot.slack.notifier import SlackNotifier
from connectors import ConnectorPool
from orchestrator import Orchestrator
from orchestrator.adapters.anthropic import AnthropicModel
from orchestrator.adapters.redis.checkpoints import RedisCheckpointStore
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.lease import RedisLeases
from orchestrator.adapters.redis.queue import RedisJobQueue
from orchestrator.adapters.redis.tasks import RedisTaskStore
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine
from orchestrator.domain.subagents import SubagentLimits
from orchestrator.engine.approvals import Approvals
from orchestrator.engine.runner import RunLimits, Runner
from orchestrator.engine.worker import Worker
from orchestrator.tools.catalog import Catalog
from orchestrator.tools.connections import Unavailable, server_specs
from orchestrator.tools.toolbox import PluginToolbox
from plugins import AdminConfig, PluginRegistry, load_admin_config

log = logging.getLogger(__name__)


def slack_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=_with_slash(settings.slack_api_url))


def anthropic_client(settings: Settings) -> AsyncAnthropic:
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    return AsyncAnthropic(
        api_key=key,
        base_url=settings.anthropic_base_url,
        max_retries=0,
        timeout=settings.model_timeout_s,
    )


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    engine: AsyncEngine
    slack: AsyncWebClient
    notifier: SlackNotifier
    orchestrator: Orchestrator
    runner: Runner
    queue: RedisJobQueue
    leases: RedisLeases
    store: RedisTaskStore
    activity: SqlActivityLog
    approvals: Approvals
    config: AdminConfig
    registry: PluginRegistry
    pool: ConnectorPool
    unavailable: list[Unavailable]
    _open: bool = False

    async def open(self) -> None:
        """Start what needs a running loop (the connector pool; servers start lazily)."""
        if not self._open:
            await self.pool.__aenter__()
            self._open = True

    def worker(self) -> Worker:
        return Worker(
            queue=self.queue,
            leases=self.leases,
            store=self.store,
            runner=self.runner,
            activity=self.activity,
            model=self.settings.model,
            concurrency=self.settings.workers,
            reclaim_after_s=self.settings.reclaim_after_s,
            sweep=self.approvals.sweep,
        )

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            await self.pool.__aexit__(None, None, None)
        await self.notifier.flush()
        await self.redis.aclose()
        await self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Wire every port. Raises `plugins.ConfigError` when threadwork.yaml is invalid."""
    config = load_admin_config(settings.config_path)
    registry = PluginRegistry.load(config.plugins)
    for problem in registry.problems:
        log.log(logging.ERROR if problem.severity == "error" else logging.INFO, "%s", problem)
    specs, unavailable = server_specs(registry, config, os.environ)
    for item in unavailable:
        log.warning("connector %s is off: %s", item.server, item.reason)
    pool = ConnectorPool(specs)
    # A blocking pool: a burst of requests waits for a free connection instead of failing.
    redis = Redis(
        connection_pool=BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=settings.redis_max_connections, timeout=10
        )
    )
    keys = Keys(settings.redis_prefix)
    engine = make_engine(settings.database_url)
    store = RedisTaskStore(redis, keys=keys, ttl_s=settings.task_ttl_s)
    queue = RedisJobQueue(redis, keys=keys)
    activity = SqlActivityLog(engine)
    slack = slack_client(settings)
    notifier = SlackNotifier(slack, min_update_interval_s=settings.slack_min_update_interval_s)
    model = AnthropicModel(
        anthropic_client(settings),
        max_attempts=settings.model_max_attempts,
        retry_base_s=settings.model_retry_base_s,
    )
    approvals = Approvals(
        store=RedisCheckpointStore(redis, keys=keys, ttl_s=settings.task_ttl_s),
        queue=queue,
        notifier=notifier,
        directory=SlackDirectory(slack),
        activity=activity,
        config=config.approvals,
    )
    runner = Runner(
        store=store,
        model=model,
        notifier=notifier,
        activity=activity,
        toolbox=PluginToolbox(
            catalog=Catalog(registry, config),
            config=config,
            tools=pool,
            activity=activity,
            approvals=approvals,
            models=settings.model_aliases,
            subagents=SubagentLimits(max_per_task=config.limits.max_subagents),
        ),
        limits=RunLimits(
            max_steps=config.limits.max_steps,
            max_tokens=config.limits.max_tokens,
            max_output_tokens=settings.max_tokens,
            max_concurrent_subagents=config.limits.max_concurrent_subagents,
        ),
    )
    return Runtime(
        settings=settings,
        redis=redis,
        engine=engine,
        slack=slack,
        notifier=notifier,
        orchestrator=Orchestrator(store=store, queue=queue, approvals=approvals),
        runner=runner,
        queue=queue,
        leases=RedisLeases(redis, keys=keys, ttl_s=settings.reclaim_after_s),
        store=store,
        activity=activity,
        approvals=approvals,
        config=config,
        registry=registry,
        pool=pool,
        unavailable=unavailable,
    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
