"""Opens the SDK transport for one spec: a stdio subprocess with a minimal environment and a
captured stderr, or a Streamable HTTP (or legacy SSE) connection with the spec's headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TextIO

import httpx2
from mcp import StdioServerParameters, stdio_client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from connectors.errors import ServerUnavailable
from connectors.redaction import Redactor
from connectors.spec import HttpSpec, ServerSpec, StdioSpec

log = logging.getLogger("connectors.supervisor")

# Only what a well-behaved program needs to run; the SDK adds HOME, LOGNAME, PATH, SHELL, TERM
# and USER. Anything else (model keys, chat tokens, database URLs) stays with us.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP", "TZ")
_STDERR_LINES_KEPT = 20
_STDERR_LINE_LIMIT = 1 << 20


def server_env(spec: StdioSpec, parent: dict[str, str] | None = None) -> dict[str, str]:
    source = os.environ if parent is None else parent
    env = {k: source[k] for k in _INHERITED if k in source}
    env.update(spec.env)
    return env


def _where(spec: ServerSpec) -> str:
    return f"connectors.{spec.name}"


def check_command(spec: StdioSpec, env: dict[str, str]) -> str:
    """The executable to run, or a clear `ServerUnavailable` saying what to fix."""
    if spec.cwd is not None and not spec.cwd.is_dir():
        raise ServerUnavailable(
            f"working directory '{spec.cwd}' does not exist — check {_where(spec)}.cwd "
            "in threadwork.yaml",
            server=spec.name,
        )
    found = shutil.which(spec.command, path=env.get("PATH"))
    if found is None:
        raise ServerUnavailable(
            f"command '{spec.command}' not found — check {_where(spec)}.command in "
            "threadwork.yaml (and that the program is installed)",
            server=spec.name,
        )
    return found


class StderrTap:
    """A pipe given to the server as stderr: lines are logged (redacted), the last few kept for
    error messages, and end-of-file tells us the process is gone."""

    def __init__(self, label: str, redactor: Redactor) -> None:
        self.label = label
        self.redactor = redactor
        self.lines: deque[str] = deque(maxlen=_STDERR_LINES_KEPT)
        self.eof = asyncio.Event()
        read_fd, write_fd = os.pipe()
        self._read_file = os.fdopen(read_fd, "rb", buffering=0)
        # The SDK hands this file to the subprocess as its stderr, so it must have a real fd.
        self.write_file: TextIO = os.fdopen(write_fd, "w", encoding="utf-8")
        self._transport: asyncio.ReadTransport | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=_STDERR_LINE_LIMIT)
        self._transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), self._read_file
        )
        self._task = asyncio.create_task(self._pump(reader), name=f"stderr:{self.label}")

    def spawned(self) -> None:
        """Drop our copy of the write end, so the pipe ends when the server's copy does."""
        if not self.write_file.closed:
            self.write_file.close()

    async def _pump(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                try:
                    raw = await reader.readline()
                except ValueError:
                    continue
                if not raw:
                    break
                line = self.redactor(raw.decode("utf-8", "replace").rstrip())
                if line:
                    self.lines.append(line)
                    log.debug("[%s stderr] %s", self.label, line, extra={"mcp_server": self.label})
        finally:
            self.eof.set()

    def tail(self) -> str:
        return self.lines[-1] if self.lines else ""

    async def close(self) -> None:
        self.spawned()
        if self._transport is not None:
            self._transport.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.eof.set()


@asynccontextmanager
async def open_transport(spec: ServerSpec, tap: StderrTap | None) -> AsyncIterator[Any]:
    """Yields an SDK transport (an async context manager of streams) ready for `mcp.Client`."""
    if isinstance(spec, StdioSpec):
        assert tap is not None
        env = server_env(spec)
        command = check_command(spec, env)
        params = StdioServerParameters(
            command=command, args=list(spec.args), env=env, cwd=str(spec.cwd) if spec.cwd else None
        )
        yield stdio_client(params, errlog=tap.write_file)
        return
    assert isinstance(spec, HttpSpec)
    if spec.sse:
        yield sse_client(
            spec.url,
            headers=dict(spec.headers),
            timeout=spec.connect_timeout_s,
            sse_read_timeout=spec.timeout_s + 5,
            auth=spec.auth,
        )
        return
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                headers=dict(spec.headers),
                auth=spec.auth,
                timeout=httpx2.Timeout(spec.connect_timeout_s, read=spec.timeout_s + 5),
            )
        )
        yield streamable_http_client(spec.url, http_client=http, max_sse_event_size=None)
