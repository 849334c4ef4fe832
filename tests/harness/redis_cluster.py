"""A local three-master Redis Cluster for tests: plain `redis-server --cluster-enabled yes`
processes on spare loopback ports in a temporary directory, joined by `redis-cli --cluster create`.

`url` names one node, as an operator's `REDIS_URL` would; clients find the others from it.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

MASTERS = 3
START_TIMEOUT_S = 30.0


class RedisCluster:
    def __init__(self, masters: int = MASTERS) -> None:
        self.ports = [_free_node_port() for _ in range(masters)]
        self.dir = Path(tempfile.mkdtemp(prefix="tw-redis-cluster-"))
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        for port in self.ports:
            node = self.dir / str(port)
            node.mkdir()
            command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
            command += ["--dir", str(node), "--save", "", "--appendonly", "no"]
            command += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            command += ["--logfile", str(node / "redis.log")]
            self._processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        self._until(lambda: all(_ping(port) for port in self.ports), "nodes did not start")
        subprocess.run(
            ["redis-cli", "--cluster", "create"]
            + [f"127.0.0.1:{port}" for port in self.ports]
            + ["--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        self._until(lambda: all(_ready(port) for port in self.ports), "cluster did not form")

    def _until(self, check: object, what: str) -> None:
        assert callable(check)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not check():
            if any(p.poll() is not None for p in self._processes):
                raise RuntimeError(f"Redis Cluster: a node exited ({self.dir})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis Cluster: {what} within {START_TIMEOUT_S:g}s")
            time.sleep(0.05)  # polling servers that are booting; there is nothing to wait on

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster(host="127.0.0.1", port=self.ports[0])

    def close(self) -> None:
        for process in self._processes:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=START_TIMEOUT_S)
        self._processes.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_node_port() -> int:
    """A port free with its cluster bus port (port + 10000), so both fit below 65536."""
    for _ in range(200):
        port = random.randint(20_000, 50_000)
        if _free(port) and _free(port + 10_000):
            return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=0.5)


def _ping(port: int) -> bool:
    with contextlib.closing(_client(port)) as client:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False


def _ready(port: int) -> bool:
    """The node sees the cluster as ok and knows every slot's owner."""
    with contextlib.closing(_client(port)) as client:
        try:
            info = client.cluster("info")
        except redis.RedisError:
            return False
    return info.get("cluster_state") == "ok" and info.get("cluster_slots_assigned") == "16384"


@contextlib.contextmanager
def redis_cluster() -> Iterator[RedisCluster]:
    cluster = RedisCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()
