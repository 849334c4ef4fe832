"""Group commit's promises to its callers, with a scripted flush (no database)."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import pytest

from orchestrator.adapters.group_commit import GroupCommit


async def test_a_cancelled_callers_failed_write_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release, flushed = asyncio.Event(), asyncio.Event()
    written: list[str] = []

    async def flush(items: list[str]) -> list[BaseException | None]:
        await release.wait()
        written.extend(items)
        flushed.set()
        return [ValueError(f"refused {item}") for item in items]

    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    commit = GroupCommit(flush)
    caller = asyncio.create_task(commit.submit("row-1"))
    await asyncio.sleep(0)  # the caller's item is queued and its flush under way
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller

    with caplog.at_level(logging.WARNING, logger="orchestrator.adapters.group_commit"):
        release.set()
        await asyncio.wait_for(flushed.wait(), timeout=5)
        await asyncio.sleep(0)  # one turn of the loop: the outcome's callback runs
    del caller
    gc.collect()

    assert written == ["row-1"], "a cancelled caller's item is still written"
    assert "refused row-1" in caplog.text, "its failure is logged"
    assert reported == [], "asyncio reports no exception never retrieved"
