"""The composition root: turn `Settings` into Slack clients and a wired orchestrator.

Builds what only the Slack edge knows (the Web API client, the notifier, the user-group directory)
and hands them with plain options to `orchestrator.assemble`, which wires every other adapter.
Processes (`serve`, `worker`) and the CLI checks get a `Runtime` from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.assistant import SlackAssistantPane
from bot.slack.budget import SlackBudget, rates
from bot.slack.directory import SlackDirectory
from bot.slack.files import SlackThreadFiles
from bot.slack.history import SlackThreadHistory
from bot.slack.home import SlackHomeTab
from bot.slack.notifier import SlackNotifier
from bot.slack.retries import retry_handlers
from bot.telemetry import Observability, tracer_provider
from orchestrator.assemble import Assembly, ExecutionOptions, ModelOptions, Options, assemble


def slack_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token, base_url=_with_slash(settings.slack_api_url), retry_handlers=retry_handlers()
    )


def model_options(settings: Settings) -> ModelOptions:
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    return ModelOptions(
        model=settings.model,
        api_key=key,
        base_url=settings.anthropic_base_url,
        timeout_s=settings.model_timeout_s,
        max_attempts=settings.model_max_attempts,
        retry_base_s=settings.model_retry_base_s,
        max_output_tokens=settings.max_tokens,
        aliases=settings.model_aliases,
    )


def options(settings: Settings) -> Options:
    return Options(
        config_path=settings.config_path,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
        redis_max_connections=settings.redis_max_connections,
        database_url=settings.database_url,
        task_ttl_s=settings.task_ttl_s,
        reclaim_after_s=settings.reclaim_after_s,
        workers=settings.workers,
        model=model_options(settings),
        execution=ExecutionOptions(
            workspaces=settings.workspaces, sandbox_venv=settings.sandbox_venv
        ),
        environ=os.environ,
        secret_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
        public_url=settings.public_url,
    )


@dataclass
class Runtime:
    settings: Settings
    slack: AsyncWebClient
    notifier: SlackNotifier
    core: Assembly
    """The wired orchestrator: its service, worker factory, stores and connector pool."""
    observability: Observability
    """Metrics (scraped at /metrics) and traces of this process."""

    async def aclose(self) -> None:
        await self.core.aclose()
        self.observability.shutdown()


def build_runtime(
    settings: Settings, *, role: str = "serve", observability: Observability | None = None
) -> Runtime:
    """Wire every port. Raises `plugins.ConfigError` when threadwork.yaml is invalid.

    `observability` defaults to Prometheus metrics plus traces exported as the OTEL_* settings say.
    """
    telemetry = observability or Observability(tracing=tracer_provider(settings, role=role))
    slack = slack_client(settings)
    notifier = SlackNotifier(
        slack,
        min_update_interval_s=settings.slack_min_update_interval_s,
        stream_interval_s=settings.slack_stream_interval_s,
        plan_blocks=settings.slack_plan_blocks,
    )
    telemetry.count_slack_rate_limits(lambda: notifier.rate_limited)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    files = SlackThreadFiles(slack, token=token, api_url=settings.slack_api_url)
    core = assemble(
        options(settings),
        notifier=notifier,
        directory=SlackDirectory(slack),
        telemetry=telemetry,
        files=files,
        history=SlackThreadHistory(slack),
        home_tab=SlackHomeTab(slack),
        pane=SlackAssistantPane(slack),
    )
    notifier.budget = SlackBudget(core.rates, rates(settings.slack_rates))
    return Runtime(
        settings=settings, slack=slack, notifier=notifier, core=core, observability=telemetry
    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
