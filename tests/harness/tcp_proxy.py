"""A TCP proxy on a spare loopback port that a test stops and starts: an outage of one service.

Pointing a client at the proxy instead of the service lets a test make the service unreachable
(every open connection is cut, new ones are refused) or too slow to answer (`start(stall=True)`:
connections are taken and never answered) without touching the service itself, which other tests
share. Runs in the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib

from .services import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self._stall = False
        self.stalled = 0
        """Connections taken and never answered, over the proxy's life."""
        self._taken = asyncio.Condition()

    async def start(self, *, stall: bool = False) -> None:
        """Forward to the service again; with `stall`, take connections but never answer them."""
        await self.stop()
        self._stall = stall
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def until_stalled(self, count: int, timeout: float = 20) -> None:  # noqa: ASYNC109
        """Wait (bounded) until `count` connections were taken and left unanswered."""
        async with asyncio.timeout(timeout), self._taken:
            await self._taken.wait_for(lambda: self.stalled >= count)

    async def stop(self) -> None:
        """Refuse new connections and cut the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stall:
            self._writers.add(writer)
            async with self._taken:
                self.stalled += 1
                self._taken.notify_all()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pipe = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            sink.close()
