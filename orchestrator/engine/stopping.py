"""Stopping a run: the flag a Stop raises, the watcher polling for it, a call abandoned on it.

Stop is asked for in any process (a button, Slack's native agent-session stop); the runner's
watcher polls the task's stop signal and raises the flag, which ends an in-flight model call at
once (its HTTP stream closed) and stops every agent loop at its next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from orchestrator.errors import TaskStopped
from orchestrator.ports import TaskSignals

log = logging.getLogger(__name__)

T = TypeVar("T")


class StopFlag:
    """Set once, by the watcher, when someone pressed Stop; `by` says who."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.by: str | None = None

    def raise_(self, by: str) -> None:
        self.by = by
        self.event.set()


async def watch(
    signals: TaskSignals, task_id: str, flag: StopFlag, finished: asyncio.Event, poll_s: float
) -> None:
    """Poll the task's stop signal (set by any process) until it is up or the run is over."""
    while not finished.is_set():
        try:
            by = await signals.stop_requested(task_id)
        except Exception:  # a Redis hiccup delays a stop by one poll, never ends the run
            log.warning("could not read the stop flag of task %s", task_id, exc_info=True)
            by = None
        if by is not None:
            flag.raise_(by)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(finished.wait(), poll_s)


async def unless_stopped(flag: StopFlag, work: Awaitable[T]) -> T:
    """`work`'s result, or `TaskStopped` the moment the flag goes up (the work is cancelled)."""
    call = asyncio.ensure_future(work)
    stop = asyncio.create_task(flag.event.wait())
    try:
        await asyncio.wait({call, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not call.done():
            call.cancel()
        await asyncio.gather(call, stop, return_exceptions=True)
    if call.cancelled():
        raise TaskStopped(flag.by or "someone")
    return call.result()
