"""What the worker benchmarks stand on: a listener process, worker processes, a paused burst.

The listener (`threadwork serve --http --no-workers`) runs in its own process and the workers are
`threadwork worker` processes, as in production; the fake Slack and model APIs and the client run
in the benchmark's process. A burst is queued while the workers are paused (SIGSTOP), so the clock
runs only for the work itself: from SIGCONT until every mention is answered in its thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.services import fresh_services, settings_for
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.harness.services import free_port
from tests.harness.slack_sender import app_mention
from tests.stack import CHANNEL, SubprocessStack, WorkerProcess

ANSWER = "ok"
UNLIMITED = 600_000.0
"""Calls a minute given to every Slack method the app budgets, so Slack's own per-workspace and
per-channel limits are not what the benchmark measures."""
SLACK_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.startStream",
    "chat.stopStream",
    "chat.appendStream",
    "assistant.threads.setStatus",
)
BUDGET_NOTE = (
    "Slack budgets raised to 600,000 calls/min per method (THREADWORK_SLACK_RATES), one channel"
)


def ticks_to_s(ticks: int) -> float:
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()  # noqa: ASYNC240 - a tiny procfs read
    fields = stat.rsplit(")", 1)[1].split()
    return ticks_to_s(int(fields[11]) + int(fields[12]))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


@dataclass
class Deployment:
    listener: SubprocessStack
    slack: FakeSlack
    model: FakeAnthropic

    def worker_env(self, slots: int) -> dict[str, str]:
        env = self.listener.env()
        env["THREADWORK_WORKERS"] = str(slots)
        env["THREADWORK_LOG_LEVEL"] = "ERROR"
        env["THREADWORK_REDIS_CONNECTIONS"] = str(max(64, slots + 16))
        return env

    def answers(self) -> int:
        return sum(1 for m in self.slack.messages(CHANNEL) if m.text.strip() == ANSWER)

    async def burst(self, workers: list[WorkerProcess], count: int, tag: str) -> Burst:
        """Queue `count` mentions with `workers` paused, resume them, time until all answered."""
        for worker in workers:
            assert worker.process is not None
            worker.process.send_signal(signal.SIGSTOP)
        before = self.answers()
        requests_before = len(self.model.requests)
        gate = asyncio.Semaphore(32)

        async def send(i: int) -> None:
            async with gate:
                response = await self.listener.sender.send_event(app_mention(f"{tag} {i}"))
                assert response.status == 200, response

        await asyncio.gather(*(send(i) for i in range(count)))
        # Each 200 means the job is on the queue (the listener answers once it is queued).
        cpu_before = [cpu_s(w.process.pid) for w in workers if w.process]
        here_before = cpu_s(os.getpid())
        started = time.monotonic()
        for worker in workers:
            assert worker.process is not None
            worker.process.send_signal(signal.SIGCONT)
        peak = 0
        deadline = started + 300
        while (done := self.answers() - before) < count and time.monotonic() < deadline:
            peak = max(peak, self.model.in_flight)
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        cpu_after = [cpu_s(w.process.pid) for w in workers if w.process]
        here = cpu_s(os.getpid()) - here_before
        return Burst(
            tasks=count,
            answered=done,
            seconds=elapsed,
            peak_in_flight=peak,
            model_calls=len(self.model.requests) - requests_before,
            worker_cpu_s=sum(cpu_after) - sum(cpu_before),
            fakes_cpu_s=here,
            load=load(),
        )


@dataclass
class Burst:
    tasks: int
    answered: int
    seconds: float
    peak_in_flight: int
    model_calls: int
    worker_cpu_s: float
    fakes_cpu_s: float
    """CPU of the benchmark's own process (the fake Slack and model APIs, the client)."""
    load: str


@asynccontextmanager
async def deployment() -> AsyncIterator[Deployment]:
    """Fresh services, the fakes here, a listener process; stopped however the bench ends."""
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=None) as slack,
        FakeAnthropic() as model,
    ):
        settings = settings_for(slack, model, database_url, prefix)
        rates = json.dumps(dict.fromkeys(SLACK_METHODS, UNLIMITED))
        listener = SubprocessStack(
            settings=settings,
            slack=slack,
            model=model,
            port=free_port(),
            workers=False,
            extra_env={"THREADWORK_LOG_LEVEL": "ERROR", "THREADWORK_SLACK_RATES": rates},
        )
        await listener.start()
        try:
            yield Deployment(listener, slack, model)
        finally:
            await listener.stop()


@asynccontextmanager
async def workers(deploy: Deployment, count: int, slots: int) -> AsyncIterator[list[WorkerProcess]]:
    """`count` worker processes of `slots` concurrent tasks each, stopped afterwards."""
    started = [WorkerProcess(deploy.worker_env(slots)) for _ in range(count)]
    try:
        for worker in started:
            await worker.start()
        yield started
    finally:
        for worker in started:
            if worker.process is not None:
                worker.process.send_signal(signal.SIGCONT)
            await worker.stop()
