"""Benchmark: how long an approved tool call takes to reach its server, next to a direct call.

A side-effecting tool call waits for a person: the bot posts an approval card, and the Approve
click goes through the Slack listener, the checkpoint store, the job queue and a worker before
the call runs. This starts the real `serve` entry point (HTTP listener + in-process workers, real
Redis and PostgreSQL) with the `ledger` test plugin, whose MCP server appends a line with its own
`time.time()` for every tool execution, and measures in one run:

- approve path: from just before the signed approve click is sent to the moment the tool call
  reaches the MCP server (`ledger__tickets__create_ticket`, one card per task);
- direct path: from just before `ConnectorPool.call` (a pool built from the runtime's own
  connector specs) to the moment the same tool call reaches a server of its own.

Cards are prepared beforehand, a few tasks at a time. Clicks then go out one at a time, each
followed by one direct call, and the next click waits until the previous task has answered and
its card shows the result, so every sample is taken on an otherwise idle app.

Run: .venv/bin/python bench/approval_latency.py [--approvals 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from connectors import ConnectorPool  # noqa: E402
from orchestrator.adapters.redis.checkpoints import RedisCheckpointStore  # noqa: E402
from orchestrator.adapters.redis.keys import Keys  # noqa: E402
from orchestrator.domain.commands import Job  # noqa: E402
from orchestrator.domain.task import ThreadRef  # noqa: E402
from tests.approval_stack import (  # noqa: E402
    CREATE,
    REQUESTER,
    Card,
    card_state,
    cards,
    start_stack,
    ticket_script,
)
from tests.harness.fake_anthropic import FakeAnthropic  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.slack_sender import TEAM_ID, block_action  # noqa: E402
from tests.stack import CHANNEL, Stack  # noqa: E402

UPDATE_INTERVAL_S = 0.05
PREPARE_BATCH = 10  # cards prepared at the same time
WARMUP = 3  # approvals and direct calls run first and left out of the figures
WAIT_S = 30.0
# Each wait on the fake Slack blocks a thread of the default executor, which the app needs too.
EXECUTOR_THREADS = 4 * PREPARE_BATCH


@dataclass
class Pending:
    """A task whose approval card is up and not yet clicked."""

    index: int
    thread_ts: str
    task_id: str
    card: Card

    @property
    def title(self) -> str:
        return approve_title(self.index)

    @property
    def answer(self) -> str:
        return answer_text(self.index)


@dataclass
class ApprovalSample:
    """Wall-clock moments (time.time()) of one approval, click to server."""

    clicked: float
    acked: float
    decided: float
    queued: float
    picked_up: float
    started: float
    called: float
    arrived: float

    def ms(self, start: float, end: float) -> float:
        return (end - start) * 1000

    @property
    def total_ms(self) -> float:
        return self.ms(self.clicked, self.arrived)


@dataclass
class Figures:
    approvals: list[ApprovalSample]
    direct_ms: list[float]
    prepare_s: float
    measure_s: float
    errors: dict[str, int] = field(default_factory=dict)


def approve_title(index: int) -> str:
    return f"approve-{index:04d}"


def answer_text(index: int) -> str:
    return f"Ticket {index:04d} filed."


def direct_title(index: int) -> str:
    return f"direct-{index:04d}"


def marker(index: int) -> str:
    return f"[bench approval {index:04d}]"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


class LedgerTail:
    """Reads the ledger file as it grows: title argument → the server's `t` for that call."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self.arrived: dict[str, float] = {}

    def time_of(self, title: str) -> float:
        if title not in self.arrived:
            self._read_new_lines()
        return self.arrived[title]

    def _read_new_lines(self) -> None:
        with self._path.open("rb") as ledger:
            ledger.seek(self._offset)
            chunk = ledger.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for raw in complete.splitlines():
            line = json.loads(raw)
            self.arrived[line["arguments"]["title"]] = line["t"]


class Probe:
    """Wraps the runtime's job queue and connector pool to note when each stage was reached.

    The approvals service, the worker and the toolbox hold these very objects, so attributes
    set on them here are what they call.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.queued: dict[str, float] = {}
        self.picked_up: dict[str, float] = {}
        self.called: dict[str, float] = {}
        queue, pool = runtime.core.queue, runtime.core.pool
        setattr(queue, "enqueue", self._enqueue(queue.enqueue))  # noqa: B010
        setattr(queue, "receive", self._receive(queue.receive))  # noqa: B010
        setattr(pool, "call", self._call(pool.call))  # noqa: B010

    def _enqueue(self, enqueue: Callable[[Job], Awaitable[None]]) -> Callable[..., Any]:
        async def timed(job: Job) -> None:
            if job.kind == "resume":
                self.queued[job.task_id] = time.time()
            await enqueue(job)

        return timed

    def _receive(
        self, receive: Callable[..., Awaitable[list[tuple[str, Job]]]]
    ) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> list[tuple[str, Job]]:
            deliveries = await receive(*args, **kwargs)
            now = time.time()
            for _, job in deliveries:
                if job.kind == "resume":
                    self.picked_up[job.task_id] = now
            return deliveries

        return timed

    def _call(self, call: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def timed(model_name: str, arguments: dict[str, Any] | None = None, **kw: Any) -> Any:
            title = (arguments or {}).get("title")
            if title is not None:
                self.called[str(title)] = time.time()
            return await call(model_name, arguments, **kw)

        return timed


class ErrorTally(logging.Handler):
    """Counts the app's error log lines by message instead of printing each."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage().splitlines()[0][:160]
        self.counts[line] = self.counts.get(line, 0) + 1


# -- the approve path -----------------------------------------------------------------------------


async def prepare(stack: Stack, index: int) -> Pending:
    """Mention the bot so the model asks for a ticket; wait for the approval card."""
    stack.model.script(
        marker(index),
        ticket_script(
            marker(index),
            (CREATE, {"title": approve_title(index), "priority": "high"}),
            then=answer_text(index),
        ),
    )
    mention = await stack.mention(f"{marker(index)} please file a ticket")
    thread_ts = mention["ts"]
    (card,) = await cards(stack.slack, thread_ts)
    assert stack.runtime is not None
    thread = ThreadRef(team_id=TEAM_ID, channel_id=CHANNEL, thread_ts=thread_ts)
    task_id = await stack.runtime.core.store.task_for_thread(thread)
    assert task_id is not None, f"no task for thread {thread_ts}"
    return Pending(index, thread_ts, task_id, card)


async def prepare_all(stack: Stack, indices: range) -> list[Pending]:
    ready: list[Pending] = []
    for start in range(indices.start, indices.stop, PREPARE_BATCH):
        batch = range(start, min(start + PREPARE_BATCH, indices.stop))
        ready += await asyncio.gather(*(prepare(stack, i) for i in batch))
    return ready


async def approve(
    stack: Stack,
    pending: Pending,
    ledger: LedgerTail,
    probe: Probe,
    checkpoints: RedisCheckpointStore,
) -> ApprovalSample:
    """Click Approve; wait until the task answered and its card shows the result."""
    payload = block_action(
        "checkpoint.approve",
        pending.card.checkpoint_id,
        user=REQUESTER,
        channel=CHANNEL,
        message_ts=pending.card.ts,
        thread_ts=pending.thread_ts,
    )
    clicked = time.time()
    response = await stack.sender.send_interaction(payload)
    acked = time.time()
    assert response.status == 200, response
    await stack.slack.until_thread(CHANNEL, pending.thread_ts, pending.answer, timeout=WAIT_S)
    await card_state(stack.slack, pending.thread_ts, pending.card.ts, "Ran")
    checkpoint = await checkpoints.load(pending.card.checkpoint_id)
    assert checkpoint is not None and checkpoint.decided_at and checkpoint.started_at
    return ApprovalSample(
        clicked=clicked,
        acked=acked,
        decided=checkpoint.decided_at,
        queued=probe.queued[pending.task_id],
        picked_up=probe.picked_up[pending.task_id],
        started=checkpoint.started_at,
        called=probe.called[pending.title],
        arrived=ledger.time_of(pending.title),
    )


# -- the direct path ------------------------------------------------------------------------------


async def call_directly(pool: ConnectorPool, index: int, ledger: LedgerTail) -> float:
    title = direct_title(index)
    started = time.time()
    result = await pool.call(CREATE, {"title": title, "priority": "high"})
    assert not result.is_error, result.text
    return (ledger.time_of(title) - started) * 1000


# -- the run --------------------------------------------------------------------------------------


async def measure(stack: Stack, ledger_path: Path, approvals: int) -> Figures:
    assert stack.runtime is not None
    runtime = stack.runtime
    probe = Probe(runtime)
    checkpoints = RedisCheckpointStore(
        runtime.core.redis,
        keys=Keys(runtime.settings.redis_prefix),
        ttl_s=runtime.settings.task_ttl_s,
    )
    ledger = LedgerTail(ledger_path)
    started = time.perf_counter()
    pending = await prepare_all(stack, range(WARMUP + approvals))
    prepared = time.perf_counter()
    samples: list[ApprovalSample] = []
    direct: list[float] = []
    async with ConnectorPool(runtime.core.pool.specs) as pool:
        for item in pending:
            sample = await approve(stack, item, ledger, probe, checkpoints)
            direct_ms = await call_directly(pool, item.index, ledger)
            if item.index >= WARMUP:
                samples.append(sample)
                direct.append(direct_ms)
    return Figures(samples, direct, prepared - started, time.perf_counter() - prepared)


async def run(approvals: int) -> Figures:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(EXECUTOR_THREADS))
    tally = ErrorTally()
    logging.basicConfig(level=logging.ERROR, handlers=[tally], force=True)
    with (
        fresh_services() as (database_url, prefix),
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack(update_interval_s=UPDATE_INTERVAL_S) as slack,
        FakeAnthropic() as model,
    ):
        config = Path(tmp) / "threadwork.yaml"
        ledger = Path(tmp) / "ledger.jsonl"
        settings = settings_for(
            slack, model, database_url, prefix, config=config, update_interval_s=UPDATE_INTERVAL_S
        )
        stack = await start_stack(settings, slack, model, ledger)
        try:
            figures = await measure(stack, ledger, approvals)
        finally:
            await stack.stop()
    figures.errors = tally.counts
    return figures


# -- the report -----------------------------------------------------------------------------------


# Consecutive stages of the approve path; their medians add up to about the median total.
STAGES: list[tuple[str, Callable[[ApprovalSample], float]]] = [
    ("click → decision taken (HTTP, Bolt, checks)", lambda s: s.ms(s.clicked, s.decided)),
    ("decision → resume job sent (CAS, activity row)", lambda s: s.ms(s.decided, s.queued)),
    ("job sent → picked up by a worker", lambda s: s.ms(s.queued, s.picked_up)),
    ("picked up → approved call starts", lambda s: s.ms(s.picked_up, s.started)),
    ("call starts → ConnectorPool.call", lambda s: s.ms(s.started, s.called)),
    ("ConnectorPool.call → server", lambda s: s.ms(s.called, s.arrived)),
]


def stage_medians(samples: list[ApprovalSample]) -> list[float]:
    return [statistics.median(of(s) for s in samples) for _, of in STAGES]


def report(f: Figures) -> None:
    approve_ms = [s.total_ms for s in f.approvals]
    a50, a99 = percentile(approve_ms, 50), percentile(approve_ms, 99)
    d50, d99 = percentile(f.direct_ms, 50), percentile(f.direct_ms, 99)
    stages = stage_medians(f.approvals)
    ack = statistics.median(s.ms(s.clicked, s.acked) for s in f.approvals)
    rows = [
        ("approvals / direct calls measured", f"{len(approve_ms)} / {len(f.direct_ms)}"),
        ("approve click → call at server, p50", f"{a50:.1f} ms"),
        ("approve click → call at server, p99", f"{a99:.1f} ms"),
        ("ConnectorPool.call → call at server, p50", f"{d50:.2f} ms"),
        ("ConnectorPool.call → call at server, p99", f"{d99:.2f} ms"),
        ("ratio approve / direct, p50", f"{a50 / d50:.1f}x"),
        ("ratio approve / direct, p99", f"{a99 / d99:.1f}x"),
        *(
            (f"  median {name}", f"{ms:.2f} ms")
            for (name, _), ms in zip(STAGES, stages, strict=True)
        ),
        ("median click → HTTP 200 back to Slack", f"{ack:.1f} ms"),
        ("cards prepared (mention → card)", f"{len(approve_ms) + WARMUP} in {f.prepare_s:.1f} s"),
        ("clicks and direct calls", f"{f.measure_s:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 10}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for message, count in f.errors.items():
        print(f"app logged {count}x: {message}")
    print(
        f"(one click at a time on an otherwise idle app, each followed by one direct call; cards "
        f"prepared {PREPARE_BATCH} at a time beforehand; the first {WARMUP} of each left out)"
    )
    print()
    print(
        f"approve path p50 {a50:.1f} ms vs direct {d50:.2f} ms ({a50 / d50:.1f}x); "
        f"p99 {a99:.1f} ms vs {d99:.2f} ms ({a99 / d99:.1f}x)"
    )
    request, saving, pickup, resume, executing, mcp = stages
    print(
        f"extra time (medians): {request:.1f} ms click to decision (HTTP, signature, Bolt, "
        f"checkpoint load and checks), {saving:.1f} ms recording it (checkpoint CAS, activity "
        f"row), {pickup:.1f} ms queue pickup, {resume:.1f} ms worker resume (lease, task load "
        f"and save), {executing:.1f} ms marking the checkpoint executing; "
        f"the MCP call itself {mcp:.2f} ms (direct: {statistics.median(f.direct_ms):.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approvals", type=int, default=200, help="approvals (and direct calls)")
    args = parser.parse_args()
    report(asyncio.run(run(args.approvals)))


if __name__ == "__main__":
    main()
