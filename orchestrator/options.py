"""The plain values `assemble` is called with: the planning model, task execution, and the rest
of the deployment's settings, as the edge parsed them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.engine.signins import DEFAULT_TTL_S as DEFAULT_SIGN_IN_TTL_S


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelOptions:
    """The planning model and how to reach it."""

    model: str
    api_key: str | None = None
    base_url: str | None = None
    timeout_s: float = 600.0
    max_attempts: int = 5
    retry_base_s: float = 1.0
    max_output_tokens: int = 8192
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Model ids for the `model:` names of sub-agent definitions (haiku, sonnet, opus)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionOptions:
    """Where task workspaces live and which Python environment the sandbox mounts."""

    workspaces: Path = Path("workspaces")
    sandbox_venv: Path | None = Path(".venv-sandbox")
    """Absent or missing: `run_code` has the system Python's standard library only."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Everything `assemble` needs besides the edge's ports, as plain values."""

    config_path: Path
    redis_url: str
    database_url: str
    model: ModelOptions
    redis_prefix: str = "tw"
    job_streams: int | None = None
    """Job stream shards; None: `CLUSTER_JOB_STREAMS` on a Redis Cluster, else 1."""
    redis_max_connections: int = 64
    task_ttl_s: int = 30 * 24 * 3600
    reclaim_after_s: float = 30.0
    stop_grace_s: float = 20.0
    workers: int = 4
    execution: ExecutionOptions = field(default_factory=ExecutionOptions)
    environ: Mapping[str, str] = field(default_factory=dict)
    """Where connector secrets (`${VAR}` in plugin server configs) are looked up."""
    secret_key: str | None = None
    """`THREADWORK_SECRET_KEY`: seals connection tokens; None leaves sign-in connectors off."""
    public_url: str | None = None
    """`THREADWORK_PUBLIC_URL`: where browsers reach the bot (sign-in redirects)."""
    sign_in_ttl_s: float = DEFAULT_SIGN_IN_TTL_S
    """How long a person has to connect an account once asked."""
