"""Rate budgets as a pure rule: GCRA (the generic cell rate algorithm), one timestamp per budget.

A budget allows `per_minute` calls a minute on average and `burst` in a row. Its whole state is
the theoretical arrival time (TAT) of the next call: a call at `now` is allowed when
`TAT - now <= (burst - 1) * interval`, and then moves TAT one interval on. A refused call learns
exactly how long to wait. The Redis script (`adapters.redis.rates`) is this function in Lua, so
every process shares one budget; the tests run both on the same cases.
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
    """0 when allowed; otherwise how long until a call would be."""


def gcra(tat_ms: float | None, now_ms: float, rate: Rate) -> Decision:
    tat = max(tat_ms if tat_ms is not None else now_ms, now_ms)
    if tat - now_ms > rate.tolerance_ms:
        return Decision(False, tat, tat - now_ms - rate.tolerance_ms)
    return Decision(True, tat + rate.interval_ms, 0.0)
