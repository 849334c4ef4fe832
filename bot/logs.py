"""Process logging, set up once by the CLI: plain text, or one JSON object per line.

Every record that reaches the root handler — ours, libraries' loggers, `warnings`, MCP servers'
stderr lines (relayed by the connector layer) — is tagged with the task id and correlation id in
force (`orchestrator.context`), so one task's lines can be picked out of many workers' output.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from orchestrator import context

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(where)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(task_id)s %(correlation_id)s"


class _Context(logging.Filter):
    """Adds `task_id` and `correlation_id` (unless the call gave its own) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "task_id", None) is None:
            record.task_id = context.task_id.get()
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = context.correlation_id.get()
        pairs = (("task", record.__dict__["task_id"]), ("cid", record.__dict__["correlation_id"]))
        tags = [f"{key}={value}" for key, value in pairs if value]
        record.where = f" [{' '.join(tags)}]" if tags else ""
        return True


def configure(
    level: str, fmt: Literal["text", "json"], *, stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger to one handler on stderr in the chosen format; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_Context())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                reserved_attrs=[*RESERVED_ATTRS, "taskName", "where"],
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.captureWarnings(True)
    return handler
