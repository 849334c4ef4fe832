"""One supervised MCP session per server.

A single task owns the SDK `Client` context (the SDK requires entering and exiting it in the same
task). It connects when first asked, keeps the session until told to drop it (timeout, crash,
close) or until the server process ends, then reconnects with backoff. Callers from any task use
the live client directly; the SDK multiplexes concurrent requests on one session.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from mcp import Client, MCPError, types
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

from connectors.elicitation import Calls, ElicitationRequest, Elicitor
from connectors.errors import ConnectorError, PoolClosed, ServerUnavailable, ToolCallFailed
from connectors.redaction import Redactor
from connectors.spec import HttpSpec, ServerSpec, StdioSpec
from connectors.transports import StderrTap, open_transport

log = logging.getLogger("connectors.supervisor")

ProgressCallback = Callable[[float, float | None, str | None], Awaitable[None]]

_CLIENT_INFO = types.Implementation(name="threadwork", version="0.1.0")
_MAX_PAGES = 100
_GRACE_S = 5.0
_SHORT_LIVED_S = 5.0


@dataclass(frozen=True)
class Backoff:
    """Delay before reconnect attempt n (1-based): doubling from `first_s`, capped."""

    first_s: float = 0.2
    max_s: float = 30.0

    def delay(self, failures: int) -> float:
        return 0.0 if failures <= 0 else min(self.max_s, self.first_s * 2 ** (failures - 1))


@dataclass(frozen=True)
class SessionFacts:
    protocol_version: str
    server_name: str
    server_version: str


def leaf_exceptions(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaf_exceptions(sub)]
    return [exc]


class Supervisor:
    """Keeps one server's session alive on demand and turns SDK failures into our errors."""

    def __init__(
        self,
        spec: ServerSpec,
        redactor: Redactor,
        *,
        backoff: Backoff | None = None,
        on_tools_changed: Callable[[], None] | None = None,
        elicitation: Elicitor | None = None,
    ) -> None:
        self.spec = spec
        self.elicitation = elicitation
        """Answers elicitation requests no call claims; None: elicitation is not advertised."""
        self.calls = Calls()
        self.redactor = redactor
        self.backoff = backoff or Backoff()
        self.on_tools_changed = on_tools_changed
        self.facts: SessionFacts | None = None
        self.error: str | None = None
        self.restarts = 0
        self.tools: list[types.Tool] | None = None
        self._client: Client | None = None
        self._want = asyncio.Event()
        self._drop = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._failures = 0
        self._failure_seq = 0
        self._retry_at = 0.0
        self._tap: StderrTap | None = None
        self._sessions = 0

    # ---- lifecycle -------------------------------------------------------------------------

    async def client(self, *, retry_now: bool = False) -> Client:
        """The live client, connecting (and waiting for it) if needed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.spec.connect_timeout_s + _GRACE_S
        seq = self._failure_seq
        while True:
            if self._closed:
                raise PoolClosed("the connector pool is closed", server=self.spec.name)
            if self._client is not None and not self._drop.is_set():
                return self._client
            if self._failure_seq != seq:
                raise ServerUnavailable(self._unavailable(), server=self.spec.name)
            if not self._want.is_set() and self.error and not retry_now:
                wait = self._retry_at - time.monotonic()
                if wait > 0:
                    raise ServerUnavailable(
                        f"{self._unavailable()} (next attempt in {wait:.0f} s)",
                        server=self.spec.name,
                    )
            if retry_now:
                self._retry_at = 0.0
            self._want.set()
            if self._task is None or self._task.done():
                # A fresh context: the server outlives the task that first needed it, so its
                # log lines must not carry that task's id.
                self._task = asyncio.create_task(
                    self._run(), name=f"mcp:{self.spec.label}", context=contextvars.Context()
                )
            changed = self._changed
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ServerUnavailable(
                    f"server '{self.spec.label}' did not become ready within "
                    f"{self.spec.connect_timeout_s:.0f} s",
                    server=self.spec.name,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _unavailable(self) -> str:
        return f"server '{self.spec.label}' is unavailable: {self.error or 'not connected'}"

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def request_restart(self, reason: str) -> None:
        """Drop the current session; the supervisor reconnects right after."""
        if self._client is not None and not self._drop.is_set():
            log.warning("restarting MCP server '%s': %s", self.spec.label, self.redactor(reason))
            self._drop.set()

    async def close(self) -> None:
        self._closed = True
        self._drop.set()
        self._want.set()
        self._notify()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, self.spec.connect_timeout_s + 10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(self) -> None:
        while not self._closed:
            await self._want.wait()
            if self._closed:
                break
            delay = self._retry_at - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wait_closed(), delay)
                if self._closed:
                    break
            self._drop.clear()
            started = time.monotonic()
            try:
                await self._one_session()
            except Exception as exc:  # noqa: BLE001 - every failure becomes a status, never a crash
                self._record_failure(exc)
            else:
                if time.monotonic() - started < _SHORT_LIVED_S and not self._drop.is_set():
                    # A server that dies right after starting must not be respawned in a loop.
                    self._failures += 1
                    self._retry_at = time.monotonic() + self.backoff.delay(self._failures)
            finally:
                self._client = None
                self.tools = None
                self._notify()

    async def _wait_closed(self) -> None:
        while not self._closed:
            await self._drop.wait()
            if not self._closed:
                return

    def _record_failure(self, exc: BaseException) -> None:
        self._failures += 1
        self._failure_seq += 1
        self.error = self.redactor(self._describe(exc))
        self._retry_at = time.monotonic() + self.backoff.delay(self._failures)
        self._want.clear()
        log.warning("MCP server '%s' failed: %s", self.spec.label, self.error)

    def _describe(self, exc: BaseException) -> str:
        leaves = leaf_exceptions(exc)
        for leaf in leaves:
            if isinstance(leaf, ConnectorError):
                return leaf.message
        tail = self._tap.tail() if self._tap else ""
        hint = f" (server said: {tail})" if tail else ""
        for leaf in leaves:
            if isinstance(leaf, TimeoutError):
                return (
                    f"no answer to the handshake within {self.spec.connect_timeout_s:.0f} s{hint}"
                )
            if isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
                return f"the server exited during start-up{hint}"
            if isinstance(leaf, FileNotFoundError | PermissionError) and isinstance(
                self.spec, StdioSpec
            ):
                return f"cannot start '{self.spec.command}': {leaf.strerror or leaf}"
            if isinstance(leaf, httpx2.ConnectError | httpx2.ConnectTimeout) and isinstance(
                self.spec, HttpSpec
            ):
                return (
                    f"cannot reach {self.spec.url} — check connectors.{self.spec.name}.url "
                    "in threadwork.yaml and that the server runs"
                )
        leaf = leaves[0]
        return f"{type(leaf).__name__}: {leaf}{hint}"

    async def _one_session(self) -> None:
        async with AsyncExitStack() as stack:
            if isinstance(self.spec, StdioSpec):
                self._tap = StderrTap(self.spec.label, self.redactor)
                stack.push_async_callback(self._tap.close)
                await self._tap.start()
            transport = await stack.enter_async_context(open_transport(self.spec, self._tap))
            client = Client(
                transport,
                mode=self.spec.mode,
                read_timeout_seconds=self.spec.timeout_s,
                message_handler=self._on_message,
                client_info=_CLIENT_INFO,
                cache=None,
                elicitation_callback=self._elicit if self.elicitation else None,
            )
            try:
                async with asyncio.timeout(self.spec.connect_timeout_s):
                    await stack.enter_async_context(client)
            finally:
                if self._tap is not None:
                    self._tap.spawned()
            self._sessions += 1
            if self._sessions > 1:
                self.restarts += 1
            self.facts = SessionFacts(
                protocol_version=client.protocol_version,
                server_name=client.server_info.name if client.server_info else "",
                server_version=client.server_info.version if client.server_info else "",
            )
            self._failures = 0
            self.error = None
            self._client = client
            self._notify()
            log.info(
                "MCP server '%s' connected (protocol %s)",
                self.spec.label,
                self.facts.protocol_version,
            )
            await self._hold(client)

    async def _hold(self, client: Client) -> None:
        """Wait until the session must end: drop requested or the server process gone."""
        waits = [asyncio.create_task(self._drop.wait())]
        if self._tap is not None:
            waits.append(asyncio.create_task(self._tap.eof.wait()))
        listener = self._maybe_listen(client)
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [*waits, *([listener] if listener else [])]:
                task.cancel()
        if self._tap is not None and self._tap.eof.is_set() and not self._drop.is_set():
            tail = self._tap.tail()
            log.warning(
                "MCP server '%s' exited%s; restarting", self.spec.label, f": {tail}" if tail else ""
            )

    async def _elicit(
        self, context: Any, params: types.ElicitRequestParams
    ) -> types.ElicitResult | types.ErrorData:
        if isinstance(params, types.ElicitRequestFormParams):
            request = ElicitationRequest(
                server=self.spec.label,
                message=self.redactor(params.message),
                mode="form",
                schema=dict(params.requested_schema),
            )
        else:
            request = ElicitationRequest(
                server=self.spec.label,
                message=self.redactor(params.message),
                mode="url",
                url=params.url,
            )
        if self.calls.owner() is not None:
            reply = await self.calls.ask(request)
        elif self.elicitation is not None:
            reply = await self.elicitation(request)
        else:
            return types.ElicitResult(action="decline")
        if reply.action != "accept" or request.mode == "url":
            return types.ElicitResult(action=reply.action)
        return types.ElicitResult(action="accept", content=reply.content or {})

    # ---- notifications --------------------------------------------------------------------

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._tools_changed()
        elif isinstance(message, Exception):
            log.debug(
                "MCP server '%s' transport error: %s", self.spec.label, self.redactor(str(message))
            )

    def _tools_changed(self) -> None:
        self.tools = None
        if self.on_tools_changed is not None:
            self.on_tools_changed()

    def _maybe_listen(self, client: Client) -> asyncio.Task[None] | None:
        # On 2026-07-28 sessions the listen acknowledgement says whether the server honours
        # tool-change events, so no capability check first.
        if not client.protocol_version.startswith("2026"):
            return None  # handshake-era servers notify through the message handler
        return asyncio.create_task(self._listen(client))

    async def _listen(self, client: Client) -> None:
        try:
            async with client.listen(tools_list_changed=True) as sub:
                async for _event in sub:
                    self._tools_changed()
        except Exception as exc:  # noqa: BLE001 - change events are an optimisation
            log.debug(
                "MCP server '%s': no tool change events (%s)",
                self.spec.label,
                self.redactor(str(exc)),
            )

    # ---- requests -------------------------------------------------------------------------

    async def list_tools(self) -> list[types.Tool]:
        if self.tools is not None:
            return self.tools
        client = await self.client()
        tools: list[types.Tool] = []
        cursor: str | None = None
        try:
            async with asyncio.timeout(self.spec.timeout_s):
                for _ in range(_MAX_PAGES):
                    page = await client.list_tools(cursor=cursor)
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
        except Exception as exc:  # noqa: BLE001
            raise self._call_error(exc, "tools/list") from None
        if client is self._client:
            self.tools = tools
        return tools

    async def call_tool(
        self,
        tool: str,
        arguments: dict[str, Any],
        on_progress: ProgressCallback | None = None,
        elicitor: Elicitor | None = None,
    ) -> types.CallToolResult:
        client = await self.client()
        progress = self._progress_relay(on_progress) if on_progress else None
        try:
            # The SDK enforces the read timeout per request; the outer bound also covers
            # input-required rounds and a wedged transport (and waits while a person answers
            # an elicitation: see connectors/elicitation.py).
            with self.calls.calling(elicitor) as inflight:
                async with asyncio.timeout(self.spec.timeout_s + 1) as bound:
                    if inflight is not None:
                        inflight.timeout = bound
                    return await client.call_tool(
                        tool,
                        arguments,
                        read_timeout_seconds=self.spec.timeout_s,
                        progress_callback=progress,
                    )
        except Exception as exc:  # noqa: BLE001
            raise self._call_error(exc, tool) from None

    def _progress_relay(self, callback: ProgressCallback) -> Any:
        async def relay(progress: float, total: float | None, message: str | None) -> None:
            try:
                await callback(progress, total, self.redactor(message) if message else message)
            except Exception:  # noqa: BLE001 - a failing observer must not fail the call
                log.exception("progress callback failed for '%s'", self.spec.label)

        return relay

    def _call_error(self, exc: BaseException, tool: str) -> ConnectorError:
        leaf = leaf_exceptions(exc)[0]
        name = self.spec.label
        if isinstance(leaf, ConnectorError):
            return leaf
        if isinstance(leaf, TimeoutError) or (
            isinstance(leaf, MCPError) and leaf.code == REQUEST_TIMEOUT
        ):
            self.request_restart(f"'{tool}' timed out")
            return ToolCallFailed(
                f"'{tool}' on server '{name}' timed out after {self.spec.timeout_s:g} s; "
                "the server is being restarted",
                server=self.spec.name,
                tool=tool,
                code="timeout",
            )
        if self._is_connection_loss(leaf):
            self.request_restart(f"connection lost during '{tool}'")
            tail = self._tap.tail() if self._tap else ""
            said = f" (server said: {self.redactor(tail)})" if tail else ""
            return ToolCallFailed(
                f"server '{name}' stopped during '{tool}'{said}; it is being restarted — "
                "the call may or may not have taken effect",
                server=self.spec.name,
                tool=tool,
                code="crashed",
            )
        if isinstance(leaf, MCPError):
            return ToolCallFailed(
                f"server '{name}' rejected '{tool}': {self.redactor(leaf.error.message)} "
                f"(code {leaf.code})",
                server=self.spec.name,
                tool=tool,
                code="protocol",
            )
        return ToolCallFailed(
            f"'{tool}' on server '{name}' failed: {self.redactor(str(leaf)) or type(leaf).__name__}",
            server=self.spec.name,
            tool=tool,
            code="protocol",
        )

    @staticmethod
    def _is_connection_loss(exc: BaseException) -> bool:
        if isinstance(exc, MCPError):
            return exc.code == CONNECTION_CLOSED or "session not found" in str(exc).lower()
        return isinstance(
            exc,
            anyio.ClosedResourceError
            | anyio.BrokenResourceError
            | anyio.EndOfStream
            | ConnectionError
            | OSError,
        )
