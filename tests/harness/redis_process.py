"""A `redis-server` of the test's own, on a spare loopback port, that the test stops and starts.

It runs as production is documented to (AOF on, `appendfsync everysec`), so a stop and a start
keep every key: what a test sees after `start()` is what clients would see after a Redis restart.
`stop()` is a clean shutdown (SIGTERM: Redis flushes its AOF); while stopped, the port refuses
connections, which is what an outage looks like to clients.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from .services import free_port

START_TIMEOUT_S = 20.0


class RedisProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tw-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--dir", str(self.dir), "--save", "", "--appendonly", "yes"]
        command += ["--appendfsync", "everysec", "--logfile", str(self.dir / "redis.log")]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)  # polling a server that is booting; there is nothing to wait on

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=START_TIMEOUT_S)
        self._process = None

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with contextlib.closing(client):
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self._process is not None:
                self._process.kill()
                self._process.wait(timeout=START_TIMEOUT_S)
        self._process = None
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def redis_process() -> Iterator[RedisProcess]:
    server = RedisProcess()
    server.start()
    try:
        yield server
    finally:
        server.close()
