"""The model port's Anthropic implementation: one streamed turn, with our own retry policy.

The SDK's own retries are off (`max_retries=0`) so one policy covers every transient failure,
including an `event: error` that arrives inside a 200 stream, which the SDK never retries. Only
this module imports `anthropic`; its errors become `ModelUnavailable` / `ModelRejected` here.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import cast

import anthropic
from anthropic import AsyncAnthropic, omit
from anthropic.types import CacheControlEphemeralParam, MessageParam, TextBlockParam, ToolParam

from orchestrator.domain.messages import ContentBlock
from orchestrator.domain.task import Usage
from orchestrator.errors import ModelRejected, ModelUnavailable
from orchestrator.ports import ModelReply, ModelRequest, TextSink

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_RETRYABLE_STREAM_ERRORS = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
)
_MAX_DELAY_S = 30.0


class AnthropicModel:
    def __init__(
        self,
        client: AsyncAnthropic,
        *,
        max_attempts: int = 5,
        retry_base_s: float = 1.0,
    ) -> None:
        self._client = client
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s

    async def complete(self, request: ModelRequest, sink: TextSink | None = None) -> ModelReply:
        last: Exception | None = None
        status: int | None = None
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1 and sink is not None:
                await sink.restart()
            try:
                return await self._stream_once(request, attempt, sink)
            except anthropic.APIStatusError as exc:
                status = _status_of(exc)
                if not _retryable(exc):
                    raise ModelRejected(_describe(exc), status=status, attempts=attempt) from exc
                last = exc
                delay = _retry_after(exc)
            except anthropic.APIConnectionError as exc:  # includes timeouts
                last, status, delay = exc, None, None
            if attempt < self._max_attempts:
                wait = delay if delay is not None else self._backoff(attempt)
                log.warning(
                    "model call failed (%s); retry %d in %.2fs", _describe(last), attempt, wait
                )
                await asyncio.sleep(wait)
        assert last is not None
        raise ModelUnavailable(
            _describe(last), status=status, attempts=self._max_attempts
        ) from last

    async def _stream_once(
        self, request: ModelRequest, attempt: int, sink: TextSink | None
    ) -> ModelReply:
        # Our message and tool shapes mirror the SDK's params (see `domain.messages`).
        system = cast("list[TextBlockParam]", request.system)
        messages = cast("list[MessageParam]", request.messages)
        tools = cast("list[ToolParam]", request.tools)
        async with self._client.messages.stream(
            model=request.model,
            max_tokens=request.max_tokens,
            system=system,
            messages=messages,
            tools=tools or omit,
            cache_control=cast("CacheControlEphemeralParam", request.cache_control)
            if request.cache_control is not None
            else omit,
        ) as stream:
            if sink is not None:
                async for event in stream:
                    if event.type == "text" and event.text:
                        await sink.write(event.text)
            message = await stream.get_final_message()
        usage = message.usage
        return ModelReply(
            content=[cast(ContentBlock, block.to_dict(mode="json")) for block in message.content],
            stop_reason=message.stop_reason,
            usage=Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
                cache_write_tokens=usage.cache_creation_input_tokens or 0,
                cache_write_1h_tokens=(
                    usage.cache_creation.ephemeral_1h_input_tokens if usage.cache_creation else 0
                ),
                model_calls=1,
            ),
            attempts=attempt,
            request_id=getattr(message, "_request_id", None),
        )

    def _backoff(self, attempt: int) -> float:
        base = min(self._retry_base_s * 2 ** (attempt - 1), _MAX_DELAY_S)
        return base * (1 - 0.25 * random.random())


def _status_of(exc: anthropic.APIStatusError) -> int:
    return exc.status_code


def _retryable(exc: anthropic.APIStatusError) -> bool:
    if exc.status_code == 200:  # an error event inside a streamed response
        return _error_type(exc) in _RETRYABLE_STREAM_ERRORS
    return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500


def _error_type(exc: anthropic.APIStatusError) -> str | None:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            return error["type"]
    return getattr(exc, "type", None)


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    headers = exc.response.headers if exc.response is not None else {}
    try:
        if "retry-after-ms" in headers:
            return min(float(headers["retry-after-ms"]) / 1000, _MAX_DELAY_S)
        if "retry-after" in headers:
            return min(float(headers["retry-after"]), _MAX_DELAY_S)
    except ValueError:
        return None
    return None


def _describe(exc: Exception | None) -> str:
    if isinstance(exc, anthropic.APIStatusError):
        kind = _error_type(exc) or type(exc).__name__
        return f"{kind} (HTTP {exc.status_code})"
    return type(exc).__name__ if exc else "unknown error"
