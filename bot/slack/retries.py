"""Slack Web API retries, by slack_sdk's own retry handlers on the client.

A 429 is waited out for its Retry-After (capped) and sent again, up to five times. A call that
could not reach Slack (connection refused or cut, or no answer within the client's timeout) is
sent again after an exponential backoff with jitter (slack_sdk's `BackoffRetryIntervalCalculator`),
up to four times; a call that may have reached Slack (a timeout, a cut connection) is repeated
only for methods where a repeat shows nothing twice (not a post or a stream append). When Slack
stays unreachable the call raises `DeliveryUnavailable`, which pauses the task like a storage
outage: its job is taken up again later and the task resumes from its last save. The waits go
through an injectable `sleep`, so tests see how long the client waited without measuring wall
time. Edit coalescing stays in `notifier`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from orchestrator import DeliveryUnavailable

log = logging.getLogger(__name__)

MAX_429_RETRIES = 5
MAX_RETRY_AFTER_S = 30.0
MAX_CONNECTION_RETRIES = 4
RETRY_BASE_S = 0.5
"""The first wait after an unreachable Slack; each next one doubles (0.5, 1, 2, 4 s + jitter)."""
UNREACHABLE = (aiohttp.ClientConnectionError, TimeoutError)
"""What a call that did not get Slack's answer raises (refused, cut, timed out)."""
NOT_REPEATABLE = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.startStream",
        "chat.appendStream",
        "files.completeUploadExternal",
    }
)
"""Methods a repeat of which may show something twice: repeated only if the first never left."""

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


class _HalfJitter(Jitter):
    """Up to half the wait again, at random: waiting callers spread apart."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)


class ConnectionRetries(AsyncConnectionErrorRetryHandler):
    """slack_sdk's connection-error handler with exponential backoff, timeouts included."""

    def __init__(
        self,
        *,
        max_retry_count: int = MAX_CONNECTION_RETRIES,
        base_s: float = RETRY_BASE_S,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(
            max_retry_count=max_retry_count,
            interval_calculator=BackoffRetryIntervalCalculator(base_s, _HalfJitter()),
            error_types=list(UNREACHABLE),
        )
        self._sleep = sleep
        self.waits: list[float] = []

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not isinstance(error, UNREACHABLE):
            return False
        return not_sent(error) or method_of(request) not in NOT_REPEATABLE

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        log.info("Slack unreachable for %s (%r); again in %.2f s", method_of(request), error, wait)
        self.waits.append(wait)
        await self._sleep(wait)
        state.increment_current_attempt()


class GiveUpUnreachable(AsyncRetryHandler):
    """Last in line: a call Slack never answered raises `DeliveryUnavailable` instead."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=1 << 30)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return isinstance(error, UNREACHABLE)

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        raise DeliveryUnavailable(f"Slack unreachable ({method_of(request)}): {error!r}") from error


def not_sent(error: Exception) -> bool:
    """True when the request surely never reached Slack (no connection was made)."""
    return isinstance(error, aiohttp.ClientConnectorError)


def method_of(request: HttpRequest) -> str:
    return request.url.rsplit("/", 1)[-1]


def retry_after(headers: dict[str, list[str] | str]) -> float:
    """The Retry-After of a 429 in seconds, clamped to [0, 30]; 1 s when absent or unreadable."""
    values = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        value = float(values[0] if isinstance(values, list) else values or 1)
    except (TypeError, ValueError):
        value = 1.0
    return min(max(value, 0.0), MAX_RETRY_AFTER_S)


def retry_handlers(
    *, sleep: Sleep = asyncio.sleep, base_s: float = RETRY_BASE_S
) -> list[AsyncRetryHandler]:
    return [
        RateLimitRetries(sleep=sleep),
        ConnectionRetries(sleep=sleep, base_s=base_s),
        GiveUpUnreachable(),
    ]


def rate_limited(client: AsyncWebClient) -> int:
    """How many times this client was told to slow down (and waited)."""
    return sum(len(h.waits) for h in client.retry_handlers if isinstance(h, RateLimitRetries))
