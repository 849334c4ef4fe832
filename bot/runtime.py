"""The composition root: turn `Settings` into Slack clients and a wired orchestrator.

Builds what only the Slack edge knows (the Web API client, the notifier, the user-group directory)
and hands them with plain options to `orchestrator.assemble`, which wires every other adapter.
Processes (`serve`, `worker`) and the CLI checks get a `Runtime` from here.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.assistant import SlackAssistantPane
from bot.slack.budget import SlackBudget, rates
from bot.slack.clients import SlackClients
from bot.slack.directory import SlackDirectory
from bot.slack.files import SlackThreadFiles
from bot.slack.history import SlackThreadHistory
from bot.slack.home import SlackHomeTab
from bot.slack.installations import DEFAULT_SCOPES, Installations, InstalledTokens, installations
from bot.slack.notifier import SlackNotifier
from bot.slack.retries import retry_handlers
from bot.telemetry import Observability, tracer_provider
from orchestrator.adapters.sql.activity import make_engine
from orchestrator.assemble import Assembly, assemble
from orchestrator.options import ExecutionOptions, ModelOptions, Options


def slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client; without a token when workspaces are installed through OAuth (each
    call then takes its workspace's token, see `SlackClients`)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if settings.installs_workspaces:
        token = None
    return AsyncWebClient(
        token=token,
        base_url=_with_slash(settings.slack_api_url),
        timeout=math.ceil(settings.slack_timeout_s),
        retry_handlers=retry_handlers(base_s=settings.slack_retry_base_s),
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
        job_streams=settings.job_streams,
        redis_max_connections=settings.redis_connections,
        database_url=settings.database_url,
        task_ttl_s=settings.task_ttl_s,
        reclaim_after_s=settings.reclaim_after_s,
        stop_grace_s=settings.stop_grace_s,
        workers=settings.workers,
        model=model_options(settings),
        execution=ExecutionOptions(
            workspaces=settings.workspaces, sandbox_venv=settings.sandbox_venv
        ),
        environ=os.environ,
        secret_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
        public_url=settings.public_url,
        sign_in_ttl_s=settings.sign_in_ttl_s,
    )


def workspace_installations(settings: Settings) -> Installations | None:
    """Bolt's OAuth installation of many workspaces, when the client id and secret are set."""
    if not settings.installs_workspaces:
        return None
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    scopes = (
        tuple(s.strip() for s in settings.slack_scopes.split(",") if s.strip())
        if settings.slack_scopes
        else DEFAULT_SCOPES
    )
    public = settings.public_url.rstrip("/") if settings.public_url else None
    return installations(
        make_engine(settings.database_url),
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=scopes,
        redirect_uri=f"{public}/slack/oauth_redirect" if public else None,
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
    installations: Installations | None = None
    """Many workspaces installed through Slack's OAuth; None with one SLACK_BOT_TOKEN."""
    clients: SlackClients | None = None
    """The Web API clients of every workspace, sharing one HTTP session (closed by `aclose`)."""

    async def prepare(self) -> None:
        """Schema and stores every process needs before it serves or works."""
        await self.core.migrate()
        if self.installations is not None:
            await self.installations.create_tables()

    async def aclose(self) -> None:
        await self.core.aclose()
        if self.installations is not None:
            await self.installations.store.engine.dispose()
        if self.clients is not None:
            await self.clients.aclose()
        self.observability.shutdown()


def build_runtime(
    settings: Settings, *, role: str = "serve", observability: Observability | None = None
) -> Runtime:
    """Wire every port. Raises `plugins.ConfigError` when threadwork.yaml is invalid.

    `observability` defaults to Prometheus metrics plus traces exported as the OTEL_* settings say.
    """
    telemetry = observability or Observability(tracing=tracer_provider(settings, role=role))
    slack = slack_client(settings)
    installs = workspace_installations(settings)
    clients = SlackClients(slack, InstalledTokens(installs.store) if installs else None)
    notifier = SlackNotifier(
        clients,
        min_update_interval_s=settings.slack_min_update_interval_s,
        stream_interval_s=settings.slack_stream_interval_s,
        plan_blocks=settings.slack_plan_blocks,
    )
    telemetry.count_slack_rate_limits(lambda: notifier.rate_limited)
    files = SlackThreadFiles(clients, api_url=settings.slack_api_url)
    core = assemble(
        options(settings),
        notifier=notifier,
        directory=SlackDirectory(clients),
        telemetry=telemetry,
        files=files,
        history=SlackThreadHistory(clients),
        home_tab=SlackHomeTab(clients),
        pane=SlackAssistantPane(clients),
    )
    notifier.budget = SlackBudget(core.rates, rates(settings.slack_rates))
    return Runtime(
        settings=settings,
        slack=slack,
        notifier=notifier,
        core=core,
        observability=telemetry,
        installations=installs,
        clients=clients,
    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
