"""Scrubs secret values (resolved credentials) out of any text before it leaves the layer."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REDACTED = "[redacted]"
# A "secret" of a few characters would blank out ordinary words and digits all over the output;
# such values give no protection anyway, so they are not treated as secrets.
MIN_SECRET_LEN = 4


@dataclass(frozen=True)
class Redactor:
    """Replaces every known secret value by `[redacted]`; longest first so overlaps stay hidden."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Iterable[str]) -> Redactor:
        kept = {v for v in values if len(v) >= MIN_SECRET_LEN}
        return cls(tuple(sorted(kept, key=lambda v: (-len(v), v))))

    def merge(self, other: Redactor) -> Redactor:
        return Redactor.of((*self.secrets, *other.secrets))

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def __bool__(self) -> bool:
        return bool(self.secrets)


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record once and scrubs the rendered message."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redactor:
            return True
        message = record.getMessage()
        cleaned = self.redactor(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redactor(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def redact_value(value: Any, redactor: Redactor) -> Any:
    """Redacts strings nested in JSON-like data (dicts, lists)."""
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, dict):
        return {k: redact_value(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, redactor) for v in value]
    return value


# Loggers that may render server-provided text: ours and the SDK's. Logger filters only see
# records created on that exact logger, hence the explicit list rather than a parent name.
WATCHED_LOGGERS = (
    "connectors.supervisor",
    "connectors.pool",
    "client",
    "mcp.client.client",
    "mcp.client.session",
    "mcp.client.stdio",
    "mcp.client.streamable_http",
    "mcp.client.caching",
    "mcp.shared.dispatcher",
    "mcp.shared.jsonrpc_dispatcher",
    "mcp.shared.tool_name_validation",
)


class LogRedaction:
    """Attaches one `RedactingFilter` to every watched logger while active."""

    def __init__(self, redactor: Redactor) -> None:
        self.filter = RedactingFilter(redactor)

    def install(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addFilter(self.filter)

    def uninstall(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeFilter(self.filter)
