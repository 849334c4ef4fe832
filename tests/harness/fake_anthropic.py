"""A scripted fake of the Anthropic Messages API over real HTTP (JSON and SSE streaming).

Point `AsyncAnthropic(base_url=fake.url, ...)` (or `ANTHROPIC_BASE_URL`) at it. Answers are
scripted per conversation, not from one shared queue: `script(match, turns)` hands its turns, in
order, to the requests whose system prompt or first user message matches, so concurrent agents
each get their own story. Every request is recorded, and tests can wait on arrivals and on calls
being in flight (e.g. to kill a process mid-call while a turn is held).

The prompt cache is simulated (`prompt_cache.PromptCache`, on `cache`): usage reports what a
request read from and wrote to the cache, and malformed cache or tool-search shapes get the
API's 400. Its clock is injectable (`FakeAnthropic(clock=...)`) so TTLs are tested without waiting.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .anthropic_requests import (
    first_user_text,
    last_user_text,
    request_problem,
    system_text,
)
from .anthropic_turns import (
    Answer,
    Error,
    Reply,
    StreamError,
    Text,
    ToolUse,
    Turn,
    TurnLike,
    Usage,
    as_answer,
    error_json,
    estimate_input_tokens,
    message_json,
    resolved_blocks,
    sse_bytes,
    sse_events,
    stop_reason_of,
    usage_of,
)
from .prompt_cache import (
    CacheRequestError,
    CacheUsage,
    PromptCache,
    estimate_tokens,
    read_prompt,
)
from .server_thread import ServerThread
from .waiting import wait_until, wait_until_async

__all__ = [
    "CacheUsage",
    "Error",
    "FakeAnthropic",
    "RecordedRequest",
    "Reply",
    "Script",
    "StreamError",
    "Text",
    "ToolUse",
    "Turn",
    "estimate_input_tokens",
    "estimate_tokens",
]

Json = dict[str, Any]
Match = str | Callable[[Json], bool]
Dynamic = Callable[[Json], TurnLike | None]


@dataclass(frozen=True)
class RecordedRequest:
    """One `POST /v1/messages` as received, and how the fake chose to answer it."""

    headers: dict[str, str]
    body: Json
    time: float
    """`time.monotonic()` on arrival."""
    answered_by: str
    """`script:<label>`, `handler`, `default`, `unmatched`, `invalid` or `unauthenticated`."""
    answer: Answer | None
    usage: tuple[int, int] | None
    """`(input_tokens, output_tokens)` reported in the response (None for errors); input_tokens
    is the uncached rest, as in the API."""
    cache: CacheUsage | None = None
    """The input side of the reported usage: uncached, written to and read from the cache."""

    @property
    def system(self) -> str:
        return system_text(self.body)

    @property
    def first_user_text(self) -> str:
        return first_user_text(self.body)

    @property
    def last_user_text(self) -> str:
        return last_user_text(self.body)

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    def __str__(self) -> str:
        summary = {
            "system": self.system[:120],
            "first_user": self.first_user_text[:120],
            "messages": len(self.body.get("messages") or []),
            "stream": self.stream,
        }
        return f"[{self.answered_by}] {json.dumps(summary)}"


class Script:
    """Turns handed out in order to the requests `match` accepts."""

    def __init__(self, match: Match, turns: Sequence[TurnLike], label: str) -> None:
        self.label = label
        self._match = match
        self._turns: deque[Answer] = deque(as_answer(t) for t in turns)
        self.answered: list[Json] = []
        """Request bodies this script answered, in order."""

    @property
    def remaining(self) -> int:
        return len(self._turns)

    @property
    def exhausted(self) -> bool:
        return not self._turns

    def matches(self, body: Json) -> bool:
        if isinstance(self._match, str):
            return self._match in system_text(body) or self._match in first_user_text(body)
        return bool(self._match(body))

    def take(self, body: Json) -> Answer:
        self.answered.append(body)
        return self._turns.popleft()


def _reply_ok(_body: Json) -> TurnLike:
    return Reply("ok")


class FakeAnthropic:
    """The Messages API on 127.0.0.1 at `url`; `start()`/`stop()` or use as a context manager."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.cache = PromptCache(clock=clock)
        self.requests: list[RecordedRequest] = []
        self.unmatched: list[RecordedRequest] = []
        self.token_count_requests: list[Json] = []
        self.in_flight = 0
        self.last_sent: list[float] = []
        """`time.monotonic()` of the last event each streamed answer sent (or when its client
        went away), in the order the streams ended: the model's last activity for a call."""
        self.held = 0
        """Calls whose answer waits on its `hold` event right now."""
        self._scripts: list[Script] = []
        self._handlers: list[Dynamic] = []
        self._default: Dynamic | None = _reply_ok
        self._cond = threading.Condition()
        app = Starlette(
            routes=[
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/messages/count_tokens", self._count_tokens, methods=["POST"]),
            ]
        )
        self._server = ServerThread(app, "fake-anthropic")

    # lifecycle

    @property
    def url(self) -> str:
        """Base URL for `AsyncAnthropic(base_url=...)` (no trailing slash, no /v1)."""
        return f"http://127.0.0.1:{self._server.port}"

    def start(self) -> FakeAnthropic:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget requests, scripts, handlers and the cache; the default replies "ok" again."""
        self.cache.clear()
        with self._cond:
            self.requests.clear()
            self.unmatched.clear()
            self.token_count_requests.clear()
            self._scripts.clear()
            self._handlers.clear()
            self._default = _reply_ok

    # scripting

    def script(
        self, match: Match, turns: Sequence[TurnLike], *, label: str | None = None
    ) -> Script:
        """Answer requests accepted by `match` with `turns`, in order. A str `match` must occur in
        the system prompt or the first user message. The first registered matching script that
        still has turns wins."""
        if isinstance(turns, TurnLike):
            raise TypeError("script() takes a list of turns, e.g. [Reply('hi')]")
        name = label or (
            match if isinstance(match, str) else str(getattr(match, "__name__", "match"))
        )
        script = Script(match, turns, name)
        with self._cond:
            self._scripts.append(script)
        return script

    def handler(self, fn: Dynamic) -> Dynamic:
        """Answer with `fn(body)` when no script matches; `fn` returns None to pass."""
        with self._cond:
            self._handlers.append(fn)
        return fn

    def default(self, fn: Dynamic | None) -> None:
        """The last resort (initially: reply "ok"). None makes unanswered requests fail loudly:
        HTTP 500 and an entry in `unmatched`."""
        with self._cond:
            self._default = fn

    # waits

    def wait_for_requests(
        self,
        count: int = 1,
        where: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 10,
    ) -> list[RecordedRequest]:
        """Block until `count` model calls (matching `where`) arrived; return all matches."""
        check, expected = self._requests_wait(count, where)
        return wait_until(self._cond, check, expected=expected, dump=self.dump, timeout=timeout)

    async def until_requests(
        self,
        count: int = 1,
        where: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - bounds the wait; the timeout error shows the log
    ) -> list[RecordedRequest]:
        check, expected = self._requests_wait(count, where)
        return await wait_until_async(
            self._cond, check, expected=expected, dump=self.dump, timeout=timeout
        )

    def wait_for_in_flight(self, n: int = 1, timeout: float = 10) -> int:
        """Block until at least `n` model calls have arrived and are not yet fully answered."""
        check, expected = self._in_flight_wait(n)
        return wait_until(self._cond, check, expected=expected, dump=self.dump, timeout=timeout)

    async def until_streams_ended(self, count: int, timeout: float = 10) -> list[float]:  # noqa: ASYNC109
        """Wait until `count` streamed answers have ended; return their `last_sent` times."""

        def check() -> list[float] | None:
            return list(self.last_sent) if len(self.last_sent) >= count else None

        return await wait_until_async(
            self._cond, check, expected=f"{count} ended stream(s)", dump=self.dump, timeout=timeout
        )

    async def until_in_flight(self, n: int = 1, timeout: float = 10) -> int:  # noqa: ASYNC109
        check, expected = self._in_flight_wait(n)
        return await wait_until_async(
            self._cond, check, expected=expected, dump=self.dump, timeout=timeout
        )

    def _requests_wait(
        self, count: int, where: Callable[[RecordedRequest], bool] | None
    ) -> tuple[Callable[[], list[RecordedRequest] | None], str]:
        def check() -> list[RecordedRequest] | None:
            matches = [r for r in self.requests if where is None or where(r)]
            return matches if len(matches) >= count else None

        return check, f"{count} model call(s)" + (" matching the predicate" if where else "")

    async def until_held(self, n: int = 1, timeout: float = 10) -> int:  # noqa: ASYNC109
        """Wait until `n` calls wait on their answer's `hold` (sent, and not answered yet)."""
        return await wait_until_async(
            self._cond,
            lambda: self.held if self.held >= n else None,
            expected=f"{n} call(s) held",
            dump=self.dump,
            timeout=timeout,
        )

    def _in_flight_wait(self, n: int) -> tuple[Callable[[], int | None], str]:
        return (lambda: self.in_flight if self.in_flight >= n else None), f"{n} call(s) in flight"

    def dump(self) -> str:
        """Every recorded model call, one per line, for failure messages."""
        lines = [f"{len(self.requests)} model call(s) received, {self.in_flight} in flight:"]
        lines += [f"  {r}" for r in self.requests]
        lines += [f"  script {s.label!r}: {s.remaining} turn(s) left" for s in self._scripts]
        return "\n".join(lines)

    # HTTP

    async def _messages(self, request: Request) -> Response:
        headers = dict(request.headers)
        body, problem = _parse_body(await request.body())
        if not _has_key(headers):
            self._record(headers, body, "unauthenticated", None, None)
            return _error_response(
                Error(401, "authentication_error", "x-api-key header is required")
            )
        if problem is None:
            problem, error_code = _cache_problem(body)
        else:
            error_code = None
        if problem is not None:
            self._record(headers, body, "invalid", None, None)
            return _error_response(
                Error(400, "invalid_request_error", problem, None), error_code=error_code
            )
        answer, source = self._choose(body)
        if answer is None:
            message = f"the fake model has no script, handler or default for this request:\n{body}"
            self._record(headers, body, "unmatched", None, None)
            return _error_response(Error(500, "api_error", message, None))
        usage = usage_of(answer, body, self.cache.use(body)) if isinstance(answer, Turn) else None
        self._record(headers, body, source, answer, usage)
        return await self._answer(answer, body, usage)

    async def _count_tokens(self, request: Request) -> Response:
        body, _problem = _parse_body(await request.body())
        with self._cond:
            self.token_count_requests.append(body)
            self._cond.notify_all()
        return JSONResponse({"input_tokens": estimate_input_tokens(body)})

    def _choose(self, body: Json) -> tuple[Answer | None, str]:
        with self._cond:
            for script in self._scripts:
                if not script.exhausted and script.matches(body):
                    return script.take(body), f"script:{script.label}"
            for fn in self._handlers:
                turn = fn(body)
                if turn is not None:
                    return as_answer(turn), "handler"
            if self._default is not None:
                turn = self._default(body)
                if turn is not None:
                    return as_answer(turn), "default"
        return None, "unmatched"

    def _record(
        self,
        headers: dict[str, str],
        body: Json,
        source: str,
        answer: Answer | None,
        usage: Usage | None,
    ) -> None:
        recorded = RecordedRequest(
            headers,
            body,
            time.monotonic(),
            source,
            answer,
            usage.pair if usage else None,
            usage.input if usage else None,
        )
        with self._cond:
            self.requests.append(recorded)
            if source == "unmatched":
                self.unmatched.append(recorded)
            self._cond.notify_all()

    def _enter(self, delta: int) -> None:
        with self._cond:
            self.in_flight += delta
            self._cond.notify_all()

    async def _answer(self, answer: Answer, body: Json, usage: Usage | None) -> Response:
        self._enter(+1)
        try:
            if answer.hold is not None:
                await self._held(answer.hold)
            if isinstance(answer, Turn) and answer.delay_s:
                await asyncio.sleep(answer.delay_s)
        except BaseException:
            self._enter(-1)
            raise
        streaming = bool(body.get("stream"))
        if isinstance(answer, StreamError) and streaming:
            return self._stream(_stream_error_events(answer, body))
        if isinstance(answer, Error | StreamError):
            self._enter(-1)
            return _error_response(_as_error(answer))
        assert usage is not None
        blocks = resolved_blocks(answer)
        model = str(body.get("model"))
        if streaming:
            gap = answer.text_gap_s
            events = sse_events(blocks, stop_reason_of(answer), usage, model, paced=gap > 0)
            return self._stream(events, gap_s=gap)
        self._enter(-1)
        return JSONResponse(message_json(blocks, stop_reason_of(answer), usage, model))

    async def _held(self, hold: threading.Event) -> None:
        with self._cond:
            self.held += 1
            self._cond.notify_all()
        try:
            await _hold(hold, self._server.stopping)
        finally:
            with self._cond:
                self.held -= 1
                self._cond.notify_all()

    def _stream(self, events: list[tuple[str, Json]], *, gap_s: float = 0.0) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            sent = time.monotonic()
            try:
                if not gap_s:  # unpaced: one write, as a fast model's events share TCP segments
                    yield b"".join(sse_bytes(name, data) for name, data in events)
                    sent = time.monotonic()
                    return
                first = True
                for name, data in events:
                    if data.get("delta", {}).get("type") == "text_delta":
                        if not first:
                            await asyncio.sleep(gap_s)  # the model's writing pace
                        first = False
                    yield sse_bytes(name, data)
                    sent = time.monotonic()
            finally:
                with self._cond:
                    self.last_sent.append(sent)
                self._enter(-1)

        return StreamingResponse(
            body(), media_type="text/event-stream", headers={"request-id": "req_fake"}
        )


async def _hold(event: threading.Event | None, stopping: threading.Event) -> None:
    # Short bounded waits so that a stopping server is not kept alive by a hold nobody releases.
    while event is not None and not event.is_set() and not stopping.is_set():
        await asyncio.to_thread(event.wait, 0.05)


def _has_key(headers: dict[str, str]) -> bool:
    return bool(headers.get("x-api-key")) or headers.get("authorization", "").startswith("Bearer ")


def _parse_body(raw: bytes) -> tuple[Json, str | None]:
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        return {}, f"request body is not valid JSON: {exc}"
    problem = request_problem(body)
    return (body if isinstance(body, dict) else {}), problem


def _as_error(answer: Error | StreamError) -> Error:
    if isinstance(answer, Error):
        return answer
    status = 529 if answer.type == "overloaded_error" else 500
    return Error(status, answer.type, answer.message)


def _cache_problem(body: Json) -> tuple[str | None, str | None]:
    """The API's 400 message (and error code) for the request's cache or tool-search shape."""
    try:
        read_prompt(body)
    except CacheRequestError as exc:
        return str(exc), exc.error_code
    return None, None


def _error_response(error: Error, *, error_code: str | None = None) -> JSONResponse:
    headers = {"request-id": "req_fake"}
    if error.retry_after_ms is not None:
        headers["retry-after-ms"] = str(error.retry_after_ms)
    body = error_json(error.type, error.message)
    if error_code is not None:
        body["error"]["details"] = {"error_code": error_code}
    return JSONResponse(body, status_code=error.status, headers=headers)


def _stream_error_events(answer: StreamError, body: Json) -> list[tuple[str, Json]]:
    partial = answer.partial
    events = sse_events(
        resolved_blocks(partial),
        stop_reason_of(partial),
        usage_of(partial, body),
        str(body.get("model")),
    )
    return events[: answer.after_events] + [("error", error_json(answer.type, answer.message))]
