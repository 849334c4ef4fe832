"""Rate budgets as a pure rule: GCRA (the generic cell rate algorithm), one timestamp per budget.

A budget allows `per_minute` calls a minute on average and `burst` in a row. Its whole state is
the theoretical arrival time (TAT) of the next call: a call at `now` is allowed when
`TAT - now <= (burst - 1) * interval`, and then moves TAT one interval on. A refused call learns
exactly how long to wait. A caller that will wait anyway books instead: its turn is the next free
one, TAT moves on for it, and it learns when that is. A crowd of waiters then goes one interval
apart, one request each, instead of all waking for the same free call and asking again. The Redis
script (`adapters.redis.rates`) is this function in Lua, so every process shares one budget; the
tests run both on the same cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Rate:
    per_minute: float
    burst: int = 1
    scope: Literal["workspace", "channel"] = "workspace"
    """What one budget covers: the whole workspace, or one channel of it."""

    @property
    def interval_ms(self) -> float:
        return 60_000.0 / self.per_minute

    @property
    def tolerance_ms(self) -> float:
        return self.interval_ms * (max(self.burst, 1) - 1)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    tat_ms: float
    """The budget's state after this call (unchanged when refused)."""
    wait_ms: float
    """Allowed: how long until the booked turn (0: at once). Refused: until a call would be."""


def gcra(tat_ms: float | None, now_ms: float, rate: Rate, *, queue_ms: float = 0.0) -> Decision:
    """Decide a call at `now_ms`. With `queue_ms`, a call whose turn comes within that time is
    booked (allowed, with `wait_ms` until its turn) instead of refused."""
    tat = max(tat_ms if tat_ms is not None else now_ms, now_ms)
    wait = tat - now_ms - rate.tolerance_ms
    if wait > queue_ms:
        return Decision(False, tat, wait)
    return Decision(True, tat + rate.interval_ms, max(wait, 0.0))
