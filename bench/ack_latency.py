"""Benchmark: how fast the real app acknowledges a burst of Slack events over HTTP.

Slack retries an event it has not seen acknowledged within 3 seconds, so the listener must answer
quickly; it answers once the event is queued (a few Redis round trips). Two deployments, side by
side in one run, each on fresh Redis keys and a fresh database:

- one process: the real `serve` entry point (HTTP listener + in-process workers) in this process,
  beside the fake Slack and model APIs;
- split: `threadwork serve --http --no-workers` in its own process, the fakes in this one; one
  `threadwork worker` process starts once the burst is acked (in production the workers run on
  other hosts; here they would take the same two cores) and answers the mentions.

The client firing the requests is a process of its own in both (`burst_client`), as Slack is.

Each fires a burst of signed `app_mention` events at once and reports the HTTP ack latency next to
the latency of the same request on an idle app, and how long the workers took to answer them all;
split runs also report the listener process's CPU time per event of the burst (from /proc).

Run: .venv/bin/python bench/ack_latency.py [--events 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from bench.worker_procs import SLACK_METHODS, UNLIMITED  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic  # noqa: E402
from tests.harness.fake_slack import FakeSlack, SlackCall  # noqa: E402
from tests.harness.services import (  # noqa: E402
    free_port,
)
from tests.stack import CHANNEL, Stack, SubprocessStack, WorkerProcess  # noqa: E402

SLACK_BUDGET_MS = 3000.0
IDLE_SAMPLES = 20
ANSWER = "ok"  # what the fake model answers every mention with


async def fire_from_another_process(
    url: str, count: int, *, concurrent: bool, tag: str
) -> list[tuple[float, int]]:
    """Send `count` signed mentions (all at once, or one after another) from a client process
    of its own (`burst_client`); latency ms and status of each."""
    command = [sys.executable, str(ROOT / "bench" / "burst_client.py"), url, str(count)]
    command += ["--tag", tag, *(["--concurrent"] if concurrent else [])]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"the burst client exited with {process.returncode}")
    return [(float(ms), int(status)) for ms, status in json.loads(out)]


class ErrorTally(logging.Handler):
    """Counts the app's error log lines by message instead of printing a traceback for each."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage().splitlines()[0][:160]
        self.counts[line] = self.counts.get(line, 0) + 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Result:
    events: int
    idle_p50: float
    p50: float
    p99: float
    max: float
    refused: int
    refused_statuses: list[int]
    accepted: int
    answered: int
    answered_s: float
    listener_cpu_ms: float | None = None
    """CPU time the listener process spent per burst event (split runs only)."""
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def under_budget(self) -> float:
        return SLACK_BUDGET_MS / self.p99


async def run(events: int) -> Result:
    """The whole app in this process."""
    tally = ErrorTally()
    logging.basicConfig(level=logging.ERROR, handlers=[tally], force=True)
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=0.05) as slack,
        FakeAnthropic() as model,
    ):
        settings = settings_for(slack, model, database_url, prefix)
        stack = Stack(
            settings=settings.model_copy(update={"slack_rates": RAISED_RATES}),
            slack=slack,
            model=model,
            port=free_port(),
        )
        await stack.start()
        try:
            result = await measure(stack, slack, events)
        finally:
            await stack.stop()
    result.errors = tally.counts
    return result


RAISED_RATES = dict.fromkeys(SLACK_METHODS, UNLIMITED)
"""Slack's budgets raised (as the worker benches do): every mention is in one channel, where Slack
allows about one post a second, and the answers are counted after the burst."""


async def run_split(events: int, *, redis_connections: int | None = None) -> Result:
    """A listener process and a worker process; the fakes and the client here.

    `redis_connections` sets the listener's pool (default: what `serve --no-workers` picks)."""
    env = {"THREADWORK_LOG_LEVEL": "ERROR", "THREADWORK_SLACK_RATES": json.dumps(RAISED_RATES)}
    if redis_connections is not None:
        env["THREADWORK_REDIS_CONNECTIONS"] = str(redis_connections)
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=0.05) as slack,
        FakeAnthropic() as model,
    ):
        listener = SubprocessStack(
            settings=settings_for(slack, model, database_url, prefix),
            slack=slack,
            model=model,
            port=free_port(),
            workers=False,
            extra_env=env,
        )
        await listener.start()
        # Workers run elsewhere in production; here they share the two cores, so the one
        # worker process starts once the burst is acked and then answers the queued mentions.
        worker = WorkerProcess(listener.env())
        try:
            return await measure(listener, slack, events, then_work=worker.start)
        finally:
            await worker.stop()
            await listener.stop()


async def measure(
    stack: Stack | SubprocessStack,
    slack: FakeSlack,
    events: int,
    *,
    then_work: Callable[[], Awaitable[None]] | None = None,
) -> Result:
    """Idle acks, then the burst; `then_work` (split runs) starts the workers after the burst."""
    url = f"{stack.base}/slack/events"
    idle = await fire_from_another_process(url, IDLE_SAMPLES, concurrent=False, tag="idle")
    if then_work is None:
        await answered(slack, IDLE_SAMPLES)

    listener = stack.process.pid if isinstance(stack, SubprocessStack) and stack.process else None
    cpu_before = cpu_seconds(listener) if listener else 0.0
    started = time.perf_counter()
    burst = await fire_from_another_process(url, events, concurrent=True, tag="burst")
    accepted = sum(1 for _, status in burst if status == 200)
    cpu_ms = (cpu_seconds(listener) - cpu_before) * 1000 / events if listener else None
    if then_work is not None:
        await then_work()
    answers = await answered(slack, IDLE_SAMPLES + accepted) - IDLE_SAMPLES
    answered_s = time.perf_counter() - started

    # Latency of acks Slack accepts; refused requests are counted on their own.
    latencies = [ms for ms, status in burst if status == 200]
    return Result(
        events=events,
        idle_p50=statistics.median(ms for ms, _ in idle),
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        max=max(latencies),
        refused=sum(1 for _, status in burst + idle if status != 200),
        refused_statuses=sorted({status for _, status in burst + idle if status != 200}),
        accepted=accepted,
        answered=answers,
        answered_s=answered_s,
        listener_cpu_ms=cpu_ms,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def answered(slack: FakeSlack, count: int) -> int:
    """Wait (bounded) for `count` answers in threads; how many arrived."""

    def answers() -> int:
        # Posted, or streamed into the thread (chat.startStream … stopStream).
        return sum(1 for m in slack.messages(CHANNEL) if m.text.strip() == ANSWER)

    def enough(_: SlackCall) -> bool:
        return answers() >= count

    # A timeout means some accepted mentions were never answered: report it, don't crash.
    with contextlib.suppress(AssertionError):
        await slack.until_call("chat.update", where=enough, timeout=60)
    return answers()


def report(one: Result, split: Result, wide: Result) -> None:
    def rows(r: Result) -> list[tuple[str, str]]:
        return [
            ("mentions fired at once", f"{r.events}"),
            ("ack p50, idle app (one at a time)", f"{r.idle_p50:.1f} ms"),
            ("ack p50, burst", f"{r.p50:.1f} ms"),
            ("ack p99, burst", f"{r.p99:.1f} ms"),
            ("ack max, burst", f"{r.max:.1f} ms"),
            ("burst p50 / idle p50", f"{r.p50 / r.idle_p50:.1f}x"),
            (
                "listener CPU per burst event",
                "-" if r.listener_cpu_ms is None else f"{r.listener_cpu_ms:.2f} ms",
            ),
            ("Slack's 3 s budget / burst p99", f"{r.under_budget:.0f}x"),
            ("requests answered non-200", f"{r.refused} {r.refused_statuses or ''}".strip()),
            ("accepted mentions answered in thread", f"{r.answered} of {r.accepted}"),
            ("time until the last answer", f"{r.answered_s:.1f} s"),
        ]

    left, right, last = rows(one), rows(split), rows(wide)
    width = max(len(name) for name, _ in left)
    print(f"{'figure':<{width}}  {'one process':>14}  {'split':>14}  {'split, 64 conns':>16}")
    print(f"{'-' * width}  {'-' * 14}  {'-' * 14}  {'-' * 16}")
    for (name, a), (_, b), (_, c) in zip(left, right, last, strict=True):
        print(f"{name:<{width}}  {a:>14}  {b:>14}  {c:>16}")
    for message, count in one.errors.items():
        print(f"app logged {count}x: {message}")
    print()
    print(
        f"ack p99 for {one.events} concurrent mentions: {split.p99:.0f} ms with the listener in"
        f" its own process vs {one.p99:.0f} ms with everything in one"
        f" ({one.p99 / split.p99:.1f}x); p50 {split.p50:.0f} vs {one.p50:.0f} ms"
    )
    print(
        f"listener's Redis pool: p99 {split.p99:.0f} ms with its own pool vs {wide.p99:.0f} ms"
        f" with 64 connections ({wide.p99 / split.p99:.1f}x faster)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="mentions fired at once")
    args = parser.parse_args()
    one = asyncio.run(run(args.events))
    split = asyncio.run(run_split(args.events))
    wide = asyncio.run(run_split(args.events, redis_connections=64))
    report(one, split, wide)


if __name__ == "__main__":
    main()
