"""The admin config file (`threadwork.yaml`): plugins, channels, connectors, approvals, limits.

Validated with pydantic; every error names the file and the key, and says what is expected.
An absent file is an empty config (no plugins enabled anywhere).
"""

from __future__ import annotations

import fnmatch
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from plugins.errors import ConfigError
from plugins.passthrough import is_reserved
from plugins.secrets import check_env, check_headers, check_url

ApprovalRule = Literal["always", "never", "auto"]
_DURATION = re.compile(
    r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?"
    r"\s*(?:(\d+)\s*s)?\s*$"
)
_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
_APPROVER = re.compile(r"^(requester|[UW][A-Z0-9]{2,}|S[A-Z0-9]{2,})$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADMIN = re.compile(r"^([UW][A-Z0-9]{2,}|S[A-Z0-9]{2,})$")
_CHANNEL = re.compile(r"^(\*|[CGD][A-Z0-9]{2,})$")


def parse_duration(value: Any) -> timedelta:
    """`30m`, `24h`, `7d`, `2w`, `1h30m` → timedelta; anything else is a ValueError."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{value!r} is not a duration such as 30m, 24h or 7d")
    parts = {
        unit: int(amount) for unit, amount in zip(_UNITS, match.groups(), strict=True) if amount
    }
    duration = timedelta(**parts)
    if duration <= timedelta(0):
        raise ValueError(f"{value!r} must be longer than zero")
    return duration


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Connection = Literal["per_user", "shared", "none"]


class OAuthConfig(_Model):
    """A client registered ahead with a remote server's authorization server (credentials by
    ${ENV}); `client_credentials` runs the connector as one service account."""

    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
    grant: Literal["authorization_code", "client_credentials"] = "authorization_code"

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value:
            check_env({"client_secret": value})
        return value

    @model_validator(mode="after")
    def _service_account(self) -> OAuthConfig:
        if self.grant == "client_credentials" and not (self.client_id and self.client_secret):
            raise ValueError("grant client_credentials needs client_id and client_secret")
        return self


class ConnectorOverride(_Model):
    """Fills or overrides what a plugin declares for one MCP server (credentials by ${ENV})."""

    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    command: str | None = None
    args: list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)
    transport: Literal["stdio", "http", "sse"] | None = None
    timeout: float | None = Field(default=None, gt=0)
    connection: Connection | None = None
    """Whose account calls use: per_user (each person signs in; the default for remote servers
    without credentials in headers), shared (connected once for the workspace), none."""
    oauth: OAuthConfig | None = None
    pass_env: list[str] = Field(default_factory=list)
    """Environment variables the plugin's `.mcp.json` may reference as `${NAME}` (none else)."""
    tools: list[str] | None = None
    """Globs of the server's tool names offered to the model; absent means all."""

    @field_validator("pass_env")
    @classmethod
    def _pass_env(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if is_reserved(name):
                raise ValueError(
                    f"{name} is one of Threadwork's own settings and is never passed to a "
                    "connector; give the connector its own variable"
                )
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        check_headers(value)
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        check_env(value)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value:
            check_url(value)
        return value

    @model_validator(mode="after")
    def _one_endpoint(self) -> ConnectorOverride:
        if self.url and self.command:
            raise ValueError("set either url (remote server) or command (local server), not both")
        return self


def _approver(value: Any) -> str:
    if not isinstance(value, str) or not _APPROVER.match(value):
        raise ValueError(
            f'{value!r} is not an approver; use "requester", a user id (U…/W…) or a '
            "user-group id (S…)"
        )
    return value


class ApprovalsConfig(_Model):
    """Who may approve side effects, how long a request stays open, per-tool rules."""

    approvers: list[Annotated[str, BeforeValidator(_approver)]] = Field(
        default_factory=lambda: ["requester"]
    )
    expire_after: Duration = timedelta(hours=24)
    remind_after: Duration | None = None
    tools: dict[str, ApprovalRule] = Field(default_factory=dict)
    """Glob on the namespaced tool name → always (ask), never (don't ask), auto (annotations)."""
    requester_cannot_approve_destructive: bool = False

    def rule_for(self, tool_name: str) -> ApprovalRule:
        """The first glob (in file order) matching `tool_name`; `auto` if none does."""
        for pattern, rule in self.tools.items():
            if fnmatch.fnmatchcase(tool_name, pattern):
                return rule
        return "auto"

    @property
    def requester_may_approve(self) -> bool:
        return "requester" in self.approvers

    @property
    def approver_users(self) -> tuple[str, ...]:
        return tuple(a for a in self.approvers if a[0] in "UW")

    @property
    def approver_groups(self) -> tuple[str, ...]:
        return tuple(a for a in self.approvers if a.startswith("S"))


class QuestionsConfig(_Model):
    """How long a question waits for its answer before it expires."""

    expire_after: Duration = timedelta(hours=24)
    """An `ask_user` question (the task waits without holding a process)."""
    elicitation_wait: Duration = timedelta(minutes=10)
    """A connector's request for input: its tool call waits in the worker this long at most,
    then the server is told the request was cancelled."""


def _admin(value: Any) -> str:
    if not isinstance(value, str) or not _ADMIN.match(value):
        raise ValueError(
            f"{value!r} is not an admin; use a user id (U…/W…) or a user-group id (S…)"
        )
    return value


class AdminsConfig(_Model):
    """People who may intervene in any task (stop it), whoever asked: users and user groups."""

    ids: tuple[Annotated[str, BeforeValidator(_admin)], ...] = ()

    @property
    def users(self) -> tuple[str, ...]:
        return tuple(a for a in self.ids if a[0] in "UW")

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(a for a in self.ids if a.startswith("S"))


def _admins(value: Any) -> Any:
    return {"ids": value} if isinstance(value, list | tuple) else value


class Limits(_Model):
    """Every budget of a task, in one value: per turn of the thread, per task, per sub-agent.

    A turn starts with each new message in the thread; the task lives as long as the thread.
    """

    max_steps: int = Field(default=40, ge=1)
    """Model calls of the orchestrator in one turn."""
    max_tokens: int = Field(default=2_000_000, ge=1)
    """Tokens (input + output + cache) of every agent in one turn."""
    max_task_tokens: int = Field(default=10_000_000, ge=1)
    """Tokens of every agent over the thread's whole life; past it, start a new thread."""
    max_subagents: int = Field(default=8, ge=1)
    """Sub-agents one task may start in all."""
    max_concurrent_subagents: int = Field(default=8, ge=1)
    """Sub-agents running at the same time."""
    subagent_max_steps: int = Field(default=20, ge=1)
    """Model calls of one sub-agent (a definition's `maxTurns` may lower it, never raise it)."""
    subagent_max_tokens: int = Field(default=500_000, ge=1)
    """Tokens of one sub-agent."""
    subagent_timeout: Duration = timedelta(minutes=15)
    """Wall time of one sub-agent; past it, it fails and its siblings go on."""
    summary_chars: int = Field(default=4_000, ge=100)
    """Characters of a sub-agent's summary passed to its parent (longer ones are cut)."""
    max_cost_per_task_usd: float | None = Field(default=None, gt=0)
    """USD a task may spend on the model over its whole life (priced with `pricing:`)."""
    max_cost_per_channel_month_usd: float | None = Field(default=None, gt=0)
    """USD one channel's tasks may spend on the model in a calendar month (UTC)."""


class PriceConfig(_Model):
    """USD per million tokens. Cache prices default to the API's ratios to `input`
    (writes 1.25× for 5 minutes and 2× for 1 hour, reads 0.1×)."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write_5m: float | None = Field(default=None, ge=0)
    cache_write_1h: float | None = Field(default=None, ge=0)
    cache_read: float | None = Field(default=None, ge=0)


_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


def _host(value: Any) -> str:
    if not isinstance(value, str) or not _HOST.match(value):
        raise ValueError(f"{value!r} is not a host name such as pypi.org or *.example.com")
    return value.lower()


def _network(value: Any) -> str:
    if value == "allowlist":
        raise ValueError(
            "allowlist (egress through a filtering proxy) is not available in this version;"
            " use none: code runs without network, and data comes in as thread files"
        )
    return str(value)


Network = Annotated[Literal["none"], BeforeValidator(_network)]


class ExecutionPolicy(_Model):
    """What `run_code` may do in one channel (the defaults, or a channel's override merged in)."""

    enabled: bool = True
    network: Network = "none"
    """Egress from the sandbox. Only `none` for now: the sandbox has its own empty network."""
    allow_hosts: list[Annotated[str, BeforeValidator(_host)]] = Field(default_factory=list)
    timeout_s: float = Field(default=60, gt=0, le=3600)
    memory_mb: int = Field(default=1024, ge=64)
    disk_mb: int = Field(default=1024, ge=1)
    processes: int = Field(default=256, ge=8)
    max_file_mb: int = Field(default=100, ge=1, le=1000)
    """Largest file taken from the thread into the workspace, or shared back into it."""


class ExecutionOverride(_Model):
    """A channel's changes to `execution:`; keys left out keep the defaults."""

    enabled: bool | None = None
    network: Network | None = None
    allow_hosts: list[Annotated[str, BeforeValidator(_host)]] | None = None
    timeout_s: float | None = Field(default=None, gt=0, le=3600)
    memory_mb: int | None = Field(default=None, ge=64)
    disk_mb: int | None = Field(default=None, ge=1)
    processes: int | None = Field(default=None, ge=8)
    max_file_mb: int | None = Field(default=None, ge=1, le=1000)


class ExecutionConfig(ExecutionPolicy):
    """`execution:`: the workspace and sandbox defaults, and per-channel overrides."""

    channels: dict[str, ExecutionOverride] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, value: dict[str, ExecutionOverride]) -> dict[str, ExecutionOverride]:
        for channel in value:
            if not _CHANNEL.match(channel):
                raise ValueError(f'{channel!r} is not a channel id (such as C0123ABCD) or "*"')
        return value

    def for_channel(self, channel_id: str) -> ExecutionPolicy:
        """The defaults with the channel's override (or `"*"`'s) applied."""
        override = self.channels.get(channel_id, self.channels.get("*"))
        base = ExecutionPolicy.model_validate(self.model_dump(exclude={"channels"}))
        if override is None:
            return base
        return base.model_copy(update=override.model_dump(exclude_none=True))


class AdminConfig(_Model):
    """The whole admin config. `plugins` are absolute once loaded by `load_admin_config`."""

    plugins: list[Path] = Field(default_factory=list)
    channels: dict[str, list[str]] = Field(default_factory=dict)
    connectors: dict[str, ConnectorOverride] = Field(default_factory=dict)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    questions: QuestionsConfig = Field(default_factory=QuestionsConfig)
    limits: Limits = Field(default_factory=Limits)
    admins: Annotated[AdminsConfig, BeforeValidator(_admins)] = Field(default_factory=AdminsConfig)
    """User and user-group ids who may stop any task (`admins: [U0ADMIN, S0OPS]`)."""
    pricing: dict[str, PriceConfig] = Field(default_factory=dict)
    """Model id (globs allowed) -> prices; first match in file order wins."""
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for channel in value:
            if not _CHANNEL.match(channel):
                raise ValueError(
                    f"{channel!r} is not a channel id; use the id shown in the channel's "
                    'details (such as C0123ABCD), or "*" for every other channel'
                )
        return value

    def enabled_plugins(self, channel_id: str) -> tuple[str, ...]:
        """Plugins on in `channel_id`: its own list if listed, else `"*"`'s, else none."""
        names = self.channels.get(channel_id, self.channels.get("*", []))
        return tuple(dict.fromkeys(names))

    def connector_for(self, plugin: str, server: str) -> ConnectorOverride | None:
        """The override for `server` of `plugin`: key `plugin:server` first, then `server`."""
        return self.connectors.get(f"{plugin}:{server}") or self.connectors.get(server)


def load_admin_config(path: Path) -> AdminConfig:
    """Read and validate `path`; absent means empty. Raises ConfigError naming each bad key."""
    if not path.exists():
        return AdminConfig()
    label = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{label}: cannot read the file ({exc.strerror})"], path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError([f"{label}: {where}not valid YAML ({problem})"], path=path) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{label}: expected keys such as 'plugins:' and 'channels:' at the top level"],
            path=path,
        )
    try:
        config = AdminConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_messages(label, exc), path=path) from None
    base = path.parent.absolute()
    return config.model_copy(update={"plugins": [(base / p) for p in config.plugins]})


def _messages(label: str, error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against threadwork.example.yaml"
        elif item["type"] == "literal_error":
            message = f"{item['input']!r} is not one of {_expected(item)}"
        lines.append(f"{label}: {key}: {message}" if key else f"{label}: {message}")
    return lines


def _expected(item: Any) -> str:
    expected = item.get("ctx", {}).get("expected", "")
    return str(expected).replace("'", "")
