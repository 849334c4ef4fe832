"""Bounded waits on state recorded by a fake's server thread, blocking and async.

A fake notifies its `threading.Condition` on every recorded call, so waiting never polls on a fixed
sleep. A timeout raises AssertionError that shows what *was* received, which is what a failing
test needs to be read without a debugger.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    cond: threading.Condition,
    check: Callable[[], T | None],
    *,
    timeout: float,
    expected: str,
    dump: Callable[[], str],
) -> T:
    """Block until `check()` (called under `cond`'s lock) returns non-None; return that value."""
    deadline = time.monotonic() + timeout
    with cond:
        while True:
            found = check()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {expected}\n{dump()}"
                )
            cond.wait(remaining)


async def wait_until_async(
    cond: threading.Condition,
    check: Callable[[], T | None],
    *,
    timeout: float,  # noqa: ASYNC109 - the deadline is enforced by the blocking wait
    expected: str,
    dump: Callable[[], str],
) -> T:
    """`wait_until` from a coroutine: the blocking wait runs in a worker thread."""
    return await asyncio.to_thread(
        wait_until, cond, check, timeout=timeout, expected=expected, dump=dump
    )
