"""A running Threadwork (HTTP listener + in-process workers) wired to the fakes, for tests.

`Stack` starts the real `serve` entry point in the test's event loop; `SubprocessStack` runs
`threadwork serve` as a separate process, so tests can kill it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bot.runtime import Runtime, build_runtime
from bot.server import serve
from bot.settings import Settings
from bot.telemetry import Observability
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine
from orchestrator.adapters.sql.records import TaskRow
from orchestrator.domain.events import ActivityEvent
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import SlackSender, app_mention, thread_message

SIGNING_SECRET = "test-signing-secret"
CHANNEL = "C0GENERAL"
READY_TIMEOUT_S = 60.0
"""Bound on a process becoming healthy: imports alone take 20 s on a busy 2-core machine."""
KILL_RECLAIM_S = 2.0
"""Reclaim delay of stacks that tests kill: how soon another process takes a dead one's jobs."""


async def wait_healthy(base: str, timeout: float = READY_TIMEOUT_S) -> None:  # noqa: ASYNC109
    """Poll `/healthz` until it answers 200, for at most `timeout` seconds."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
        while True:
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)


@dataclass
class _Base:
    settings: Settings
    slack: FakeSlack
    model: FakeAnthropic
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sender(self) -> SlackSender:
        return SlackSender(f"{self.base}/slack/events", SIGNING_SECRET)

    async def mention(self, text: str, **kwargs: Any) -> dict[str, Any]:
        event = app_mention(text, **kwargs)
        response = await self.sender.send_event(event)
        assert response.status == 200, response
        return event

    async def reply(self, text: str, *, thread_ts: str, **kwargs: Any) -> dict[str, Any]:
        event = thread_message(text, thread_ts=thread_ts, **kwargs)
        response = await self.sender.send_event(event)
        assert response.status == 200, response
        return event

    async def tasks(self) -> list[TaskRow]:
        engine = make_engine(self.settings.database_url)
        try:
            rows = await SqlActivityLog(engine).tasks(limit=1000)
        finally:
            await engine.dispose()
        return rows

    async def events(self, task_id: str) -> list[ActivityEvent]:
        """The task's activity trail as typed events, in the order they were recorded."""
        engine = make_engine(self.settings.database_url)
        try:
            return [entry.event for entry in await SqlActivityLog(engine).events(task_id)]
        finally:
            await engine.dispose()

    async def task_ids_for(self, thread_ts: str) -> list[str]:
        return [t.id for t in await self.tasks() if t.thread_ts == thread_ts]


@dataclass
class Stack(_Base):
    runtime: Runtime | None = None
    observability: Observability | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _serving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.runtime = build_runtime(self.settings, observability=self.observability)
        self._stop = asyncio.Event()
        self._serving = asyncio.create_task(
            serve(self.runtime, http=True, host="127.0.0.1", port=self.port, stop=self._stop)
        )
        await wait_healthy(self.base)

    async def stop(self) -> None:
        if self._serving is None:
            return
        self._stop.set()
        await asyncio.wait_for(self._serving, READY_TIMEOUT_S)
        self._serving = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@dataclass
class SubprocessStack(_Base):
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    """When set, the process's stderr (its log) is appended to this file."""
    workers: bool = True
    """False: `serve --no-workers`, a listener that leaves the work to `WorkerProcess`es."""

    def env(self) -> dict[str, str]:
        s = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
        env.update(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=s.slack_api_url,
            ANTHROPIC_API_KEY="sk-ant-test",
            ANTHROPIC_BASE_URL=s.anthropic_base_url or "",
            THREADWORK_MODEL=s.model,
            REDIS_URL=s.redis_url,
            DATABASE_URL=s.database_url,
            THREADWORK_CONFIG=str(s.config_path),
            THREADWORK_REDIS_PREFIX=s.redis_prefix,
            THREADWORK_RECLAIM_AFTER=str(s.reclaim_after_s),
            THREADWORK_MODEL_RETRY_BASE=str(s.model_retry_base_s),
            THREADWORK_SLACK_UPDATE_INTERVAL=str(s.slack_min_update_interval_s),
            THREADWORK_WORKSPACES=str(s.workspaces),
            THREADWORK_SANDBOX_VENV=str(s.sandbox_venv),
        )
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = READY_TIMEOUT_S) -> None:  # noqa: ASYNC109
        log = self.log_path.open("ab") if self.log_path else None  # noqa: ASYNC230 - opening only
        # Popen only forks; waiting for readiness below is asynchronous.
        self.process = subprocess.Popen(  # noqa: ASYNC220
            [
                sys.executable,
                "-m",
                "bot.cli.main",
                "serve",
                "--http",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *([] if self.workers else ["--no-workers"]),
            ],
            env=self.env(),
            stderr=log,
        )
        if log is not None:
            log.close()  # the child has its own copy
        await wait_healthy(self.base, timeout)

    def kill(self) -> None:
        assert self.process is not None
        kill_process(self.process)
        self.process = None

    async def stop(self) -> None:
        if self.process is not None:
            await stop_process(self.process)
        self.process = None


@dataclass
class WorkerProcess:
    """`threadwork worker` as a subprocess (probes on `port`), with a stack's environment."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    """When set, the process's stderr (its log) is appended to this file."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = READY_TIMEOUT_S) -> None:  # noqa: ASYNC109
        command = [sys.executable, "-m", "bot.cli.main", "worker"]
        command += ["--metrics-port", str(self.port), "--metrics-host", "127.0.0.1"]
        log = self.log_path.open("ab") if self.log_path else None  # noqa: ASYNC230 - opening only
        # Popen only forks; waiting for readiness below is asynchronous.
        self.process = subprocess.Popen(command, env=self.env, stderr=log)  # noqa: ASYNC220
        if log is not None:
            log.close()  # the child has its own copy
        await wait_healthy(self.base, timeout)

    def kill(self) -> None:
        assert self.process is not None
        kill_process(self.process)
        self.process = None

    async def stop(self) -> None:
        if self.process is not None:
            await stop_process(self.process)
        self.process = None


def kill_process(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as a crash would, and reap it."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not exited within 20 s."""
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, 20)
    except subprocess.TimeoutExpired:
        process.kill()


Running = TypeVar("Running", Stack, SubprocessStack, WorkerProcess)


@contextlib.asynccontextmanager
async def running(stack: Running) -> AsyncIterator[Running]:
    """Start `stack`, and stop it however the test ends."""
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()


def killable(
    settings: Settings, slack: FakeSlack, model: FakeAnthropic, **extra_env: str
) -> SubprocessStack:
    """`threadwork serve` as a subprocess a test may SIGKILL; its jobs move on after 2 s."""
    return SubprocessStack(
        settings=settings.model_copy(update={"reclaim_after_s": KILL_RECLAIM_S}),
        slack=slack,
        model=model,
        port=free_port(),
        extra_env=extra_env,
    )
