"""Serve an ASGI app on 127.0.0.1 from a background thread with its own event loop.

The fakes must answer both in-process async tests (which run on another loop) and subprocesses
started by a test, so each one owns a real listening socket and a private loop in a daemon thread.
The socket is bound before the thread starts so the port is known synchronously, and shutdown
skips uvicorn's graceful waits: a fake is stopped at the end of every test and must not cost time.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

import uvicorn

_GRACE_S = 1.0


def bind_free_socket() -> socket.socket:
    """A listening-ready TCP socket on 127.0.0.1 with a port chosen by the OS."""
    # An explicit IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when
    # the protocol is TCP, and without it every keep-alive request waits ~40 ms for delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """One uvicorn server for `app`, started by `start()` and stopped by `stop()`."""

    def __init__(self, app: Any, name: str, *, lifespan: str = "off") -> None:
        self._app = app
        self._name = name
        self._lifespan = lifespan
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sock: socket.socket | None = None
        self.port = 0
        self.stopping = threading.Event()
        """Set by `stop()`: handlers that wait on something of the test's should give up."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def reserve(self) -> int:
        """Bind the socket now (before the app exists) and return its port."""
        if self._sock is None:
            self._sock = bind_free_socket()
            self.port = self._sock.getsockname()[1]
        return self.port

    def start(self, app: Any = None) -> None:
        if self.running:
            return
        if app is not None:
            self._app = app
        if self._sock is None or self._sock.fileno() < 0:
            self._sock = None
        self.reserve()
        self._ready.clear()
        self.stopping.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"{self._name} did not start: {self._error!r}")

    def stop(self) -> None:
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or loop is None or stop is None:
            return
        self.stopping.set()
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced by start(); a thread has nowhere else to report
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        assert self._sock is not None
        # httptools, uvicorn's C parser: the fakes answer every call of the benchmarks' workers
        # from one process, and pure-Python h11 cost them nearly a third of its CPU.
        config = uvicorn.Config(
            self._app,
            lifespan=self._lifespan,
            log_level="warning",
            access_log=False,
            http="httptools",
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await server.startup(sockets=[self._sock])  # runs the app's lifespan startup too
        self._ready.set()
        await self._stop.wait()
        await _fast_shutdown(server, self._sock)
        if self._lifespan != "off":
            await server.lifespan.shutdown()


async def _fast_shutdown(server: uvicorn.Server, sock: socket.socket) -> None:
    # Connections are dropped first, as a dead server would drop them; handlers still running then
    # finish quietly into closed transports (cancelling them instead makes uvicorn answer 500).
    for listener in server.servers:
        listener.close()
    sock.close()
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
    tasks = list(server.server_state.tasks)
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=_GRACE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
