"""Slack message timestamps: unique and increasing across every fake and builder in the process.

Slack orders a thread by `ts`, so messages the fake posts for the bot and messages the tests send as
users must share one clock; otherwise a user's reply could sort before the bot message it answers.
"""

from __future__ import annotations

import threading
import time

_lock = threading.Lock()
_last_us = 0


def next_ts() -> str:
    """A fresh `"<seconds>.<6 digits>"` timestamp, strictly greater than any returned before."""
    global _last_us
    with _lock:
        _last_us = max(_last_us + 1, int(time.time() * 1_000_000))
        micros = _last_us
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
