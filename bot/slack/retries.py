"""Slack Web API retries, by slack_sdk's own retry handlers on the client.

A 429 is waited out for its Retry-After (capped) and sent again, up to five times; a dropped
connection is retried once. The waits go through an injectable `sleep`, so tests see how long
the client waited without measuring wall time. Edit coalescing stays in `notifier`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

MAX_429_RETRIES = 5
MAX_RETRY_AFTER_S = 30.0

Sleep = Callable[[float], Awaitable[None]]


class RateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting exactly Retry-After (at most 30 s) and counting waits."""

    def __init__(self, *, max_retry_count: int = MAX_429_RETRIES, sleep: Sleep = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep
        self.waits: list[float] = []
        """Every wait so far, in seconds (one per 429 answered)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("a rate-limit retry without a response")
        state.next_attempt_requested = True
        wait = retry_after(response.headers)
        self.waits.append(wait)
        await self._sleep(wait)
        state.increment_current_attempt()


def retry_after(headers: dict[str, list[str] | str]) -> float:
    """The Retry-After of a 429 in seconds, clamped to [0, 30]; 1 s when absent or unreadable."""
    values = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        value = float(values[0] if isinstance(values, list) else values or 1)
    except (TypeError, ValueError):
        value = 1.0
    return min(max(value, 0.0), MAX_RETRY_AFTER_S)


def retry_handlers(*, sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    return [RateLimitRetries(sleep=sleep), AsyncConnectionErrorRetryHandler(max_retry_count=1)]


def rate_limited(client: AsyncWebClient) -> int:
    """How many times this client was told to slow down (and waited)."""
    return sum(len(h.waits) for h in client.retry_handlers if isinstance(h, RateLimitRetries))
