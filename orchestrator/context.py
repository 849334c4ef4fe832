"""What the running coroutine works on: its task id and correlation id, for logs and traces.

Set by the worker around each job (and by the Slack edge around each request); asyncio copies
them into every task started inside, so every log line of a job carries them without being told.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextvars import ContextVar

task_id: ContextVar[str | None] = ContextVar("threadwork_task_id", default=None)
correlation_id: ContextVar[str | None] = ContextVar("threadwork_correlation_id", default=None)


def new_correlation_id() -> str:
    return secrets.token_hex(6)


def current_correlation_id() -> str:
    """The correlation id in force, or a new one when none is (a message quotes it to people)."""
    return correlation_id.get() or new_correlation_id()


@contextlib.contextmanager
def bound(*, task: str | None = None, correlation: str | None = None) -> Iterator[str]:
    """Run the body with `task` (if given) and a correlation id (given or new); yields the id."""
    cid = correlation or new_correlation_id()
    task_token = task_id.set(task) if task is not None else None
    cid_token = correlation_id.set(cid)
    try:
        yield cid
    finally:
        correlation_id.reset(cid_token)
        if task_token is not None:
            task_id.reset(task_token)
