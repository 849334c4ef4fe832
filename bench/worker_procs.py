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


SERVICES = ("redis-server", "postgres")
"""The services the workers share the machine's cores with, by process name."""


def services_cpu_s() -> dict[str, float]:
    """CPU seconds so far of this machine's Redis and PostgreSQL processes, by process name. A
    PostgreSQL backend that has exited still counts, in its parent's time of reaped children."""
    out = dict.fromkeys(SERVICES, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()  # noqa: ASYNC240 - a tiny procfs read
        except OSError:  # the process ended
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        if name in out:
            fields = text.rsplit(")", 1)[1].split()
            out[name] += ticks_to_s(sum(int(f) for f in fields[11:15]))  # utime … cstime
    return out


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

    def listener_cpu_s(self) -> float:
        process = self.listener.process
        return cpu_s(process.pid) if process is not None else 0.0

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
        listener_before = self.listener_cpu_s()
        services_before = services_cpu_s()
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
        services = services_cpu_s()
        return Burst(
            tasks=count,
            answered=done,
            seconds=elapsed,
            peak_in_flight=peak,
            model_calls=len(self.model.requests) - requests_before,
            worker_cpu_s=sum(cpu_after) - sum(cpu_before),
            fakes_cpu_s=here,
            listener_cpu_s=self.listener_cpu_s() - listener_before,
            redis_cpu_s=services["redis-server"] - services_before["redis-server"],
            postgres_cpu_s=services["postgres"] - services_before["postgres"],
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
    listener_cpu_s: float
    redis_cpu_s: float
    postgres_cpu_s: float
    """CPU of the machine's Redis and PostgreSQL processes over the burst."""
    load: str

    @property
    def beside_workers_s(self) -> float:
        """CPU spent beside the workers on the same cores: fakes, listener, Redis, PostgreSQL."""
        return self.fakes_cpu_s + self.listener_cpu_s + self.redis_cpu_s + self.postgres_cpu_s


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
