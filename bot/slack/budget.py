"""Slack's rate limits as shared budgets: which method may be called how often, and waiting for it.

Slack counts calls per method per workspace (and `chat.postMessage` also per channel), whatever
process makes them, so the budgets live in Redis (`orchestrator.ports.RateBudget`). Calls whose
result must land (a post, the last edit, the end of a stream) book a turn and wait for it, so
many waiters cost one Redis request each; callers that can coalesce (progress edits, stream
appends) keep collecting while they wait, so under load only intermediate frames are lost.
Slack's 429 with Retry-After stays the backstop (`retries`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from orchestrator import ThreadRef
from orchestrator.domain.rates import Rate
from orchestrator.ports import RateBudget

log = logging.getLogger(__name__)

SLACK_RATES: Mapping[str, Rate] = {
    "chat.postMessage": Rate(60, burst=3, scope="channel"),  # about 1 a second per channel
    "chat.update": Rate(50, burst=5),  # Tier 3
    "chat.startStream": Rate(20, burst=5),  # Tier 2
    "chat.stopStream": Rate(20, burst=5),  # Tier 2
    "chat.appendStream": Rate(100, burst=10),  # Tier 4
    "assistant.threads.setStatus": Rate(100, burst=10),  # "special": kept near Tier 4
}
"""Slack's published tiers (per workspace unless scoped to a channel), with small bursts."""

MAX_WAIT_S = 60.0


def rates(per_minute: Mapping[str, float]) -> dict[str, Rate]:
    """`SLACK_RATES` with the calls a minute of some methods replaced (an admin setting)."""
    out = dict(SLACK_RATES)
    for method, value in per_minute.items():
        base = out.get(method, Rate(value))
        out[method] = Rate(value, burst=base.burst, scope=base.scope)
    return out


class SlackBudget:
    def __init__(self, budget: RateBudget | None, table: Mapping[str, Rate] = SLACK_RATES) -> None:
        self._budget = budget
        self._table = table

    async def now(self, method: str, thread: ThreadRef) -> bool:
        """Take a call of `method`'s budget if one is free right now."""
        return await self._book(method, thread, within_s=0.0) == 0.0

    async def wait(self, method: str, thread: ThreadRef) -> None:
        """Book `method`'s next free call and wait for its turn. Past `MAX_WAIT_S` nothing is
        booked: the call goes then anyway, and Slack's 429s are the backstop."""
        delay = await self._book(method, thread, within_s=MAX_WAIT_S)
        if delay is None:
            delay = MAX_WAIT_S
        if delay > 0:
            await asyncio.sleep(delay)

    async def _book(self, method: str, thread: ThreadRef, *, within_s: float) -> float | None:
        rate = self._table.get(method)
        if self._budget is None or rate is None:
            return 0.0
        try:
            return await self._budget.book(
                thread.team_id, method, rate, within_s=within_s, channel_id=thread.channel_id
            )
        except Exception:  # Redis down: Slack's own 429s still hold us back
            log.warning("could not read the %s budget; calling anyway", method, exc_info=True)
            return 0.0
