"""Settings: every environment variable Threadwork reads, typed and documented, built once.

The composition root (`bot.cli.main`) builds one `Settings` and passes it, or the slices it needs, down.
Nothing else in the project reads the environment. Names are a public contract (README, manifest).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "claude-sonnet-4-6"
SLACK_API_DEFAULT = "https://slack.com/api/"


MIN_REDIS_CONNECTIONS = 64
SPARE_REDIS_CONNECTIONS = 16
"""Redis connections beyond one per job slot: the consume loop, sweeps, the stop watch, renewals."""


class Settings(BaseSettings):
    """Process configuration, read from the environment (and an optional `.env` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    """Bot token (`xoxb-…`) from the app's OAuth page; needed by every process that talks to Slack."""
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    """Signing secret; needed in HTTP mode to verify that requests come from Slack."""
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    """App-level token (`xapp-…`, scope connections:write); when set, `serve` uses Socket Mode."""
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    """With SLACK_CLIENT_SECRET: one deployment serves many workspaces, each installed through
    `/slack/install` (Slack's OAuth); then no SLACK_BOT_TOKEN is needed."""
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    """The app's client secret (Basic Information > App Credentials), with SLACK_CLIENT_ID."""
    slack_scopes: str | None = Field(default=None, alias="SLACK_SCOPES")
    """Bot scopes an installation asks for, comma-separated; default: the manifest's."""
    slack_api_url: str = Field(default=SLACK_API_DEFAULT, alias="SLACK_API_URL")
    """Base URL of the Slack Web API; tests and local emulators stand in here."""

    anthropic_api_key: SecretStr | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    """Key for the model API."""
    anthropic_base_url: str | None = Field(default=None, alias="ANTHROPIC_BASE_URL")
    """Model API base URL; unset means the SDK's default."""
    model: str = Field(default=DEFAULT_MODEL, alias="THREADWORK_MODEL")
    """Model id the orchestrator plans with."""
    model_haiku: str = Field(default="claude-haiku-4-5", alias="THREADWORK_MODEL_HAIKU")
    """Model id for sub-agent definitions that ask for `model: haiku`."""
    model_sonnet: str = Field(default=DEFAULT_MODEL, alias="THREADWORK_MODEL_SONNET")
    """Model id for sub-agent definitions that ask for `model: sonnet`."""
    model_opus: str = Field(default="claude-opus-4-1", alias="THREADWORK_MODEL_OPUS")
    """Model id for sub-agent definitions that ask for `model: opus`."""

    redis_url: str = Field(default="redis://localhost:6379/0", alias="REDIS_URL")
    """Redis holding live task state, the job stream, leases and dedupe keys."""
    database_url: str = Field(default="sqlite:///threadwork.db", alias="DATABASE_URL")
    """SQL database for the activity log (SQLite file by default, PostgreSQL in production)."""
    config_path: Path = Field(
        default=Path("threadwork.yaml"),
        validation_alias=AliasChoices("THREADWORK_CONFIG", "config_path"),
    )
    """Admin config file (plugins, channels, connectors, approvals, limits); absent = no plugins."""

    secret_key: SecretStr | None = Field(default=None, alias="THREADWORK_SECRET_KEY")
    """Fernet key(s) sealing connector tokens at rest; several comma-separated keys rotate (the
    first seals, all unseal). Without it, connectors that need a sign-in stay off."""
    public_url: str | None = Field(default=None, alias="THREADWORK_PUBLIC_URL")
    """Base URL at which people's browsers reach this bot's HTTP server (e.g.
    https://threadwork.example.com); sign-in redirects land on `<it>/oauth/callback`."""
    sign_in_ttl_s: float = Field(default=900.0, gt=0, alias="THREADWORK_SIGN_IN_TTL")
    """Seconds a person has to connect an account once asked; then the model is told."""

    redis_max_connections: int | None = Field(
        default=None, ge=4, alias="THREADWORK_REDIS_CONNECTIONS"
    )
    """Redis connections per process; requests beyond that wait for one to be free. Unset: one
    per job slot and `SPARE_REDIS_CONNECTIONS` more, at least `MIN_REDIS_CONNECTIONS`
    (`redis_connections`)."""
    redis_prefix: str = Field(default="tw", alias="THREADWORK_REDIS_PREFIX")
    """Prefix of every Redis key, so several deployments can share one Redis."""
    job_streams: int | None = Field(default=None, ge=1, le=64, alias="THREADWORK_JOB_STREAMS")
    """How many Redis streams the job queue spreads over. Unset: 4 on a Redis Cluster (so the
    job traffic spreads over its masters), 1 on a single Redis. Every process must use the same
    number; lowering it strands the jobs still waiting on the streams beyond it."""
    workers: int = Field(default=256, ge=1, alias="THREADWORK_WORKERS")
    """Jobs one process runs at the same time (a running job mostly waits on the model)."""
    reclaim_after_s: float = Field(default=30.0, gt=0, alias="THREADWORK_RECLAIM_AFTER")
    """Seconds after which a job whose worker stopped answering is taken over by another worker.
    Also the lease length on a thread; a live worker renews it every third of this."""
    stop_grace_s: float = Field(default=20.0, ge=0, alias="THREADWORK_STOP_GRACE")
    """Seconds a stopping worker (SIGTERM) lets the jobs in hand finish; the rest are cancelled
    and handed back, so another worker resumes them from their last saved step at once. Keep it
    under the platform's kill timeout (Kubernetes: 30 s; compose here sets 30 s)."""
    model_max_attempts: int = Field(default=5, ge=1, alias="THREADWORK_MODEL_MAX_ATTEMPTS")
    """Attempts per model call on overload/rate-limit/server errors before the task fails."""
    model_retry_base_s: float = Field(default=1.0, ge=0, alias="THREADWORK_MODEL_RETRY_BASE")
    """First back-off delay between model attempts (doubles, capped at 30 s; Retry-After wins)."""
    model_timeout_s: float = Field(default=600.0, gt=0, alias="THREADWORK_MODEL_TIMEOUT")
    """Timeout of one model call."""
    max_tokens: int = Field(default=8192, ge=1, alias="THREADWORK_MAX_TOKENS")
    """Output token cap of one model turn."""
    task_ttl_s: int = Field(default=30 * 24 * 3600, ge=60, alias="THREADWORK_TASK_TTL")
    """How long a thread's live state is kept in Redis after its last activity."""
    slack_min_update_interval_s: float = Field(
        default=1.0, ge=0, alias="THREADWORK_SLACK_UPDATE_INTERVAL"
    )
    """Minimum seconds between two edits of one Slack message (edits in between are coalesced)."""
    slack_timeout_s: float = Field(default=30.0, gt=0, alias="THREADWORK_SLACK_TIMEOUT")
    """Seconds one Slack Web API call may take; longer counts as Slack unreachable (retried with
    backoff; when Slack stays unreachable the task pauses and resumes later)."""
    slack_retry_base_s: float = Field(default=0.5, ge=0, alias="THREADWORK_SLACK_RETRY_BASE")
    """First wait before calling an unreachable Slack again; each next wait doubles (4 retries)."""
    slack_stream_interval_s: float = Field(
        default=1.0, ge=0, alias="THREADWORK_SLACK_STREAM_INTERVAL"
    )
    """Seconds between two appends to a streamed answer (the first text goes out at once)."""
    slack_plan_blocks: bool = Field(default=True, alias="THREADWORK_SLACK_PLAN_BLOCKS")
    """Show the plan as Slack's plan / task-card blocks (false: plain lines; also chosen by itself
    when the workspace refuses them)."""
    slack_rates: dict[str, float] = Field(default_factory=dict, alias="THREADWORK_SLACK_RATES")
    """Calls a minute per workspace for some Slack methods, as JSON (e.g. `{"chat.update": 50}`);
    the rest keep Slack's published tiers (`bot.slack.budget.SLACK_RATES`)."""
    workspaces: Path = Field(default=Path("workspaces"), alias="THREADWORK_WORKSPACES")
    """Directory of the per-task workspaces (a shared volume when workers run on several hosts)."""
    sandbox_venv: Path = Field(default=Path(".venv-sandbox"), alias="THREADWORK_SANDBOX_VENV")
    """The sandbox's Python environment (built by `./dev`); missing means the standard library."""
    log_level: str = Field(default="INFO", alias="THREADWORK_LOG_LEVEL")
    """Lowest level written to the log (DEBUG also shows MCP servers' stderr)."""
    log_format: Literal["text", "json"] = Field(default="text", alias="THREADWORK_LOG_FORMAT")
    """`json`: one JSON object per line, with task_id and correlation_id (for log pipelines)."""

    otel_endpoint: str | None = Field(default=None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    """OTLP/HTTP collector base URL; set it (or the traces one) to export traces."""
    otel_traces_endpoint: str | None = Field(
        default=None, alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    """OTLP/HTTP URL for traces only; the exporter reads the other OTEL_* variables itself."""
    otel_service_name: str = Field(default="threadwork", alias="OTEL_SERVICE_NAME")
    """Service name on every span."""
    otel_sdk_disabled: bool = Field(default=False, alias="OTEL_SDK_DISABLED")
    """`true` turns tracing off even when an endpoint is set."""

    @property
    def redis_connections(self) -> int:
        """The size of the process's Redis pool: as set, else sized to its job slots."""
        if self.redis_max_connections is not None:
            return self.redis_max_connections
        return max(MIN_REDIS_CONNECTIONS, self.workers + SPARE_REDIS_CONNECTIONS)

    @property
    def installs_workspaces(self) -> bool:
        """Many workspaces through Slack's OAuth installation (client id and secret both set)."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def model_aliases(self) -> dict[str, str]:
        return {"haiku": self.model_haiku, "sonnet": self.model_sonnet, "opus": self.model_opus}


def load_settings() -> Settings:
    """Read the settings from the environment (called once, by the CLI)."""
    return Settings()
