"""Stopping a run: the flag a Stop raises, the watch polling for it, a call abandoned on it.

Stop is asked for in any process (a button, Slack's native agent-session stop); one watch per
process polls the stop signals of every task the process runs, together (one round trip per
interval however many tasks run, none while none runs; every `THOROUGH_EVERY` polls it reads each
task's own flag instead of the index), and raises the flag of each task that was stopped, which
ends its in-flight model call at once (the HTTP stream closed) and stops every agent loop of it at
its next step.
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

THOROUGH_EVERY = 50
"""One poll in this many reads every watched task's own stop flag, not the index of stopped tasks:
a stop whose index entry was lost is still seen, only later."""


class StopFlag:
    """Set once, by the watch, when someone pressed Stop; `by` says who."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.by: str | None = None

    def raise_(self, by: str) -> None:
        self.by = by
        self.event.set()


class StopWatch:
    """The stop flags of the tasks this process runs, polled every `poll_s` in one call."""

    def __init__(self, signals: TaskSignals, poll_s: float) -> None:
        self._signals = signals
        self._poll_s = poll_s
        self._flags: dict[str, StopFlag] = {}
        self._idle = asyncio.Event()
        """Set when no task is watched: the polling loop ends at once rather than after a tick."""
        self._loop: asyncio.Task[None] | None = None
        self._polls = 0

    def watch(self, task_id: str) -> StopFlag:
        """A flag for `task_id`, raised once its stop signal is seen (the first poll comes
        within `poll_s`)."""
        flag = self._flags[task_id] = StopFlag()
        self._idle.clear()
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._poll())
        return flag

    def forget(self, task_id: str, flag: StopFlag) -> None:
        """The run holding `flag` is over: stop polling for it."""
        if self._flags.get(task_id) is flag:
            del self._flags[task_id]
        if not self._flags:
            self._idle.set()

    async def _poll(self) -> None:
        while self._flags:
            await self._check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._poll_s)

    async def _check(self) -> None:
        watched = dict(self._flags)
        self._polls += 1
        thorough = self._polls % THOROUGH_EVERY == 0
        read = self._signals.stop_flags if thorough else self._signals.stops_requested
        try:
            stops = await read(list(watched))
        except Exception:  # a Redis hiccup delays a stop by one poll, never ends a run
            log.warning("could not read the stop flags of %d tasks", len(watched), exc_info=True)
            return
        for task_id, by in stops.items():
            flag = watched[task_id]
            flag.raise_(by)
            self.forget(task_id, flag)  # raised once; the run ends on it


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
