"""The pool of MCP servers a task may use: discovery, calls by model-facing name, status.

Failures never escape as exceptions from `list_tools`, `call` or `check`: an unreachable server
is reported in its `ServerStatus`, and a failed call becomes an `is_error` result the model can
read. Only misuse (unknown tool in `tool()`, a closed pool) raises.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from connectors import naming
from connectors.errors import ConnectorError, PoolClosed, ServerUnavailable, ToolNotFound
from connectors.naming import NameTable
from connectors.redaction import LogRedaction, Redactor
from connectors.results import call_result, tool_info
from connectors.spec import ServerSpec
from connectors.supervisor import Backoff, ElicitationHandler, ProgressCallback, Supervisor
from connectors.tools import ToolCallResult, ToolInfo

log = logging.getLogger("connectors.pool")

ServerKey = tuple[str, str]


@dataclass(frozen=True)
class ServerStatus:
    """What `connectors check` shows for one server."""

    server: str
    namespace: str
    kind: str
    reachable: bool
    error: str | None = None
    protocol_version: str | None = None
    server_name: str | None = None
    server_version: str | None = None
    tool_count: int | None = None
    restarts: int = 0

    def line(self) -> str:
        label = f"{self.namespace}/{self.server}" if self.namespace else self.server
        if not self.reachable:
            return f"✗ {label}: {self.error or 'not connected yet'}"
        tools = f", {self.tool_count} tools" if self.tool_count is not None else ""
        return f"✓ {label} ({self.kind}, protocol {self.protocol_version}{tools})"


class ConnectorPool:
    """`async with ConnectorPool(specs) as pool:` — servers start on first use."""

    def __init__(
        self,
        specs: Sequence[ServerSpec],
        *,
        backoff: Backoff | None = None,
        on_tools_changed: Callable[[], None] | None = None,
        elicitation: ElicitationHandler | None = None,
    ) -> None:
        keys = [s.key for s in specs]
        duplicates = sorted({f"{ns}/{n}" if ns else n for ns, n in keys if keys.count((ns, n)) > 1})
        if duplicates:
            raise ValueError(f"connector names must be unique per namespace: {duplicates}")
        self.specs = list(specs)
        self.redactor = Redactor.of(v for s in specs for v in s.secrets)
        self._on_tools_changed = on_tools_changed
        self._backoff = backoff
        self._elicitation = elicitation
        self._sups: dict[ServerKey, Supervisor] = {}
        self._names = NameTable()
        self._tools: dict[ServerKey, list[ToolInfo]] = {}
        self._log_redaction = LogRedaction(self.redactor)
        self._open = False

    async def __aenter__(self) -> ConnectorPool:
        self._log_redaction.install()
        for spec in self.specs:
            self._sups[spec.key] = Supervisor(
                spec,
                Redactor.of(spec.secrets).merge(self.redactor),
                backoff=self._backoff,
                on_tools_changed=self._changed_callback(spec.key),
                elicitation=self._elicitation,
            )
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        try:
            await asyncio.gather(*(s.close() for s in self._sups.values()))
        finally:
            self._log_redaction.uninstall()

    def _changed_callback(self, key: ServerKey) -> Callable[[], None]:
        def changed() -> None:
            self._tools.pop(key, None)
            if self._on_tools_changed is not None:
                self._on_tools_changed()

        return changed

    def _sup(self, key: ServerKey) -> Supervisor:
        if not self._open:
            raise PoolClosed("use the connector pool inside `async with`")
        return self._sups[key]

    # ---- discovery --------------------------------------------------------------------------

    async def list_tools(self, namespaces: Collection[str] | None = None) -> list[ToolInfo]:
        """Every tool of every reachable server (of `namespaces` only, if given), in spec order
        then server order. Servers outside `namespaces` are not started."""
        specs = [s for s in self.specs if namespaces is None or s.key[0] in namespaces]
        await asyncio.gather(*(self._server_tools(spec.key) for spec in specs))
        return [t for spec in specs for t in self._tools.get(spec.key, [])]

    async def _server_tools(self, key: ServerKey, *, retry_now: bool = False) -> list[ToolInfo]:
        sup = self._sup(key)
        cached = self._tools.get(key)
        if cached is not None and sup.tools is not None:
            return cached
        try:
            if retry_now:
                await sup.client(retry_now=True)
            raw = await sup.list_tools()
        except ConnectorError as exc:
            log.warning("listing tools of '%s' failed: %s", sup.spec.label, exc.message)
            if sup.error is None:
                sup.error = exc.message
            self._tools.pop(key, None)
            return []
        ns, server = key
        self._names.drop_server(ns, server)
        infos: list[ToolInfo] = []
        for tool in raw:
            if not sup.spec.offers(tool.name):
                continue
            try:
                name = self._names.register(ns, server, tool.name)
            except ConnectorError as exc:
                log.warning("skipping a tool of '%s': %s", sup.spec.label, exc.message)
                continue
            infos.append(tool_info(tool, model_name=name, server=server, namespace=ns))
        self._tools[key] = infos
        return infos

    def tool(self, model_name: str) -> ToolInfo:
        """The listed tool behind a model-facing name (call `list_tools` first)."""
        key = self._names.lookup(model_name)
        if key is not None:
            for info in self._tools.get((key.namespace, key.server), []):
                if info.model_name == model_name:
                    return info
        raise ToolNotFound(f"no tool named '{model_name}' is available", tool=model_name)

    def status(self) -> list[ServerStatus]:
        return [self._status(spec.key) for spec in self.specs]

    def _status(self, key: ServerKey) -> ServerStatus:
        sup = self._sups.get(key)
        spec = sup.spec if sup else next(s for s in self.specs if s.key == key)
        facts = sup.facts if sup else None
        tools = self._tools.get(key)
        reachable = bool(sup and sup.error is None and facts is not None)
        return ServerStatus(
            server=spec.name,
            namespace=spec.namespace,
            kind=spec.kind,
            reachable=reachable,
            error=sup.error if sup else None,
            protocol_version=facts.protocol_version if facts else None,
            server_name=facts.server_name if facts else None,
            server_version=facts.server_version if facts else None,
            tool_count=len(tools) if tools is not None and reachable else None,
            restarts=sup.restarts if sup else 0,
        )

    async def check(self) -> list[ServerStatus]:
        """Connect to every server now (ignoring back-off) and list its tools."""
        await asyncio.gather(*(self._server_tools(s.key, retry_now=True) for s in self.specs))
        return self.status()

    # ---- calls ------------------------------------------------------------------------------

    async def call(
        self,
        model_name: str,
        arguments: dict[str, Any] | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> ToolCallResult:
        """Run one tool. Failures come back as `is_error` results with a short, clear text."""
        started = time.monotonic()
        try:
            if arguments is not None and not isinstance(arguments, dict):
                return ToolCallResult.error(
                    f"arguments for '{model_name}' must be a JSON object, "
                    f"not {type(arguments).__name__}"
                )
            info = await self._resolve(model_name)
            sup = self._sup((info.namespace, info.server))
            raw = await sup.call_tool(info.name, arguments or {}, on_progress)
        except ConnectorError as exc:
            message = self.redactor(exc.message)
            log.warning("tool call '%s' failed: %s", model_name, message)
            return ToolCallResult.error(message, duration_s=time.monotonic() - started)
        return call_result(
            raw,
            redactor=sup.redactor,
            limit=sup.spec.max_output_chars,
            duration_s=time.monotonic() - started,
        )

    async def _resolve(self, model_name: str) -> ToolInfo:
        try:
            return self.tool(model_name)
        except ToolNotFound:
            pass
        owner = self._owner_by_prefix(model_name)
        if owner is not None:
            await self._server_tools(owner)
            sup = self._sup(owner)
            if sup.error and not self._tools.get(owner):
                raise ServerUnavailable(
                    f"server '{sup.spec.label}' is unavailable: {sup.error}",
                    server=sup.spec.name,
                    tool=model_name,
                )
        else:
            await self.list_tools()
        try:
            return self.tool(model_name)
        except ToolNotFound:
            raise ToolNotFound(
                f"no tool named '{model_name}' is available; use one of the listed tools",
                tool=model_name,
            ) from None

    def _owner_by_prefix(self, model_name: str) -> ServerKey | None:
        best: tuple[int, ServerKey] | None = None
        for spec in self.specs:
            prefix = naming.server_prefix(spec.namespace, spec.name)
            if prefix and model_name.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), spec.key)
        return best[1] if best else None
