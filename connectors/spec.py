"""How to reach one MCP server: the resolved, immutable description the pool is built from.

Values here are already resolved by the caller (no `${ENV}` references left); `secrets` holds the
resolved secret values so that every output and log line can be scrubbed of them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

ConnectMode = Literal["auto", "legacy"]

DEFAULT_CALL_TIMEOUT_S = 60.0
DEFAULT_CONNECT_TIMEOUT_S = 30.0
DEFAULT_MAX_OUTPUT_CHARS = 20_000


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, kw_only=True)
class _BaseSpec:
    name: str
    namespace: str = ""
    timeout_s: float = DEFAULT_CALL_TIMEOUT_S
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS
    secrets: frozenset[str] = frozenset()
    mode: ConnectMode = "auto"
    tools: tuple[str, ...] | None = None
    """Globs of the server's own tool names that are offered and callable; None means all."""

    def offers(self, tool_name: str) -> bool:
        """Whether the admin's allow-list lets this tool through."""
        return self.tools is None or any(fnmatch.fnmatchcase(tool_name, g) for g in self.tools)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a connector needs a non-empty name")
        if self.timeout_s <= 0 or self.connect_timeout_s <= 0:
            raise ValueError(f"connector {self.name!r}: timeouts must be positive")
        if self.max_output_chars < 100:
            raise ValueError(f"connector {self.name!r}: max_output_chars must be at least 100")

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the server inside a pool: the same server name may exist in two namespaces."""
        return (self.namespace, self.name)

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True, kw_only=True)
class StdioSpec(_BaseSpec):
    """A server started as a subprocess and spoken to over stdin/stdout."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    kind: Literal["stdio"] = "stdio"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.command:
            raise ValueError(f"connector {self.name!r}: command is empty")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "env", _frozen(self.env))


Connection = Literal["per_user", "shared", "none"]
"""Whose account a remote server's calls use: the asking person's, one the admin connected for
the workspace, or none (no sign-in; credentials, if any, in headers)."""
Grant = Literal["authorization_code", "client_credentials"]


@dataclass(frozen=True, kw_only=True)
class OAuthClient:
    """A client registered ahead with the server's authorization server (else: registered
    dynamically). `client_credentials` makes a service account: no person signs in."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scope: str | None = None
    grant: Grant = "authorization_code"


@dataclass(frozen=True, kw_only=True)
class HttpSpec(_BaseSpec):
    """A server reached over Streamable HTTP (or the older SSE transport)."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # An `httpx2.Auth` (e.g. one of the SDK's OAuth providers) for servers behind OAuth.
    auth: Any = field(default=None, compare=False, repr=False)
    kind: Literal["http"] = "http"
    sse: bool = False
    """Connect with the deprecated HTTP+SSE transport instead of Streamable HTTP."""
    connection: Connection = "none"
    oauth: OAuthClient | None = None

    @property
    def signs_in(self) -> bool:
        """True when calls need an account's OAuth tokens."""
        return self.connection != "none"

    @property
    def needs_person(self) -> bool:
        """True when a person must sign in (not a client-credentials service account)."""
        return self.signs_in and (self.oauth is None or self.oauth.grant != "client_credentials")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"connector {self.name!r}: url must start with http:// or https://")
        object.__setattr__(self, "headers", _frozen(self.headers))


ServerSpec = StdioSpec | HttpSpec
