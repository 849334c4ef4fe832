"""Group commit: concurrent writers in one process share one write, each awaiting its own item.

A caller `submit`s an item and waits. One flush runs at a time, in a task of its own; it takes
everything queued so far (up to `max_batch`), so items submitted while a write is under way go
together in the next one, in the order they were submitted. A caller returns once the flush
holding its item is done, or raises what that flush reported for its item. Nothing waits on a
timer: a lone item is written at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

Flush = Callable[[list[T]], Awaitable[Sequence[BaseException | None]]]
"""Write a batch; one outcome per item, in order (None: written, or an error for its caller)."""


class GroupCommit(Generic[T]):
    def __init__(self, flush: Flush[T], *, max_batch: int = 256) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[None]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Queue `item` and return once it is written (a cancelled caller's item still is, and
        its failure, if any, is logged)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, done))
        if self._runner is None or self._runner.done():
            # A context of its own: a batch is no one caller's (their task id stays off its logs).
            self._runner = asyncio.create_task(
                self._run(), name="group-commit", context=contextvars.Context()
            )
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            done.add_done_callback(_unheard)  # nobody is left to hear how the write went
            raise

    async def _run(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                outcomes = await self._flush([item for item, _ in batch])
            except asyncio.CancelledError:
                for _, done in batch + self._queue:
                    done.cancel()
                self._queue.clear()
                raise
            except Exception as exc:  # the whole batch failed: each caller hears why
                outcomes = [exc] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)


def _unheard(done: asyncio.Future[None]) -> None:
    """The outcome of an item whose caller was cancelled: logged if it failed, so the error is
    neither lost nor reported by asyncio as a future's exception never retrieved."""
    if not done.cancelled() and (exc := done.exception()) is not None:
        log.warning("a write whose caller had gone failed: %s", exc)
