"""What the suspended-tasks bench reads as it goes: cards and answers at the fake Slack, bounded
waits with progress on stderr, a client holding a fixed number of requests open, Redis bytes by
key kind, task statuses in SQL and the error lines the processes logged."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from bench.worker_procs import load
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine
from tests.harness.fake_slack import FakeSlack, SlackCall
from tests.harness.services import REDIS_URL

IN_FLIGHT = 32
"""Requests the client has open at once (mentions, then clicks), as a burst from Slack would."""
FILED = "Ticket filed."
"""The final answer of every task."""
POLL_S = 1.0
REPORT_S = 10.0


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load()}] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Card:
    channel: str
    thread_ts: str
    ts: str
    checkpoint_id: str


def card_of(call: SlackCall) -> Card | None:
    """The approval card a `chat.postMessage` posted, if it was one."""
    if call.method != "chat.postMessage" or call.status != 200 or not call.response.get("ok"):
        return None
    for block in call.args.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == "checkpoint.approve":
                where, thread = str(call.args["channel"]), str(call.args["thread_ts"])
                return Card(where, thread, str(call.response["ts"]), element["value"])
    return None


@dataclass
class CallLog:
    """Reads the fake Slack's call log incrementally: each call is looked at once."""

    slack: FakeSlack
    seen: int = 0
    cards: dict[str, Card] = field(default_factory=dict)
    """Checkpoint id → its card (a card posted twice counts once)."""
    methods: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    """Method → calls the fake answered with an error (429s included)."""

    def read(self) -> None:
        calls = self.slack.calls[self.seen :]  # appended by the fake's thread; a slice is atomic
        self.seen += len(calls)
        for call in calls:
            self.methods[call.method] += 1
            if call.status != 200 or not call.response.get("ok", True):
                self.failed[call.method] += 1
            if (card := card_of(call)) is not None:
                self.cards.setdefault(card.checkpoint_id, card)


def answered(slack: FakeSlack) -> int:
    """Threads showing the final answer (posted or streamed)."""
    return len({(m.channel, m.thread_ts) for m in slack.all_messages() if m.text.strip() == FILED})


async def until(
    what: str, count: Callable[[], Awaitable[int] | int], target: int, stall_s: float
) -> tuple[int, float]:
    """Poll `count()` until it reaches `target` or makes no progress for `stall_s` seconds;
    print progress; return (last count, seconds taken)."""
    started = last_change = last_report = time.monotonic()
    best = -1
    while True:
        value = count()
        now_count = await value if not isinstance(value, int) else value
        now = time.monotonic()
        if now_count != best:
            best, last_change = now_count, now
        if now_count >= target or now - last_change > stall_s:
            say(f"{what}: {now_count:,} of {target:,} after {now - started:.0f} s")
            return now_count, now - started
        if now - last_report >= REPORT_S:
            say(f"{what}: {now_count:,} of {target:,} ({now - started:.0f} s)")
            last_report = now
        await asyncio.sleep(POLL_S)


async def bounded(jobs: list[Callable[[], Awaitable[int]]], what: str) -> Counter[int]:
    """Run `jobs` (each returning an HTTP status) IN_FLIGHT at a time; count the statuses."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    statuses: Counter[int] = Counter()
    started = last = time.monotonic()

    async def one(job: Callable[[], Awaitable[int]]) -> None:
        nonlocal last
        async with gate:
            try:
                statuses[await job()] += 1
            except Exception:  # a refused or dropped request is counted, not fatal
                statuses[0] += 1
        if time.monotonic() - last >= REPORT_S:
            last = time.monotonic()
            say(f"{what}: {statuses.total():,} of {len(jobs):,} sent")

    await asyncio.gather(*(one(job) for job in jobs))
    say(f"{what}: {len(jobs):,} sent in {time.monotonic() - started:.0f} s: {dict(statuses)}")
    return statuses


async def redis_bytes(prefix: str) -> tuple[int, dict[str, int], int]:
    client = Redis.from_url(REDIS_URL)
    total, by_kind, count = 0, defaultdict(int), 0
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            async with client.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.memory_usage(key, samples=0)
                sizes = await pipe.execute()
            for key, size in zip(chunk, sizes, strict=True):
                kind = key.decode().split(":")[1]
                by_kind[kind] += int(size or 0)
                total += int(size or 0)
                count += 1
    finally:
        await client.aclose()
    return total, dict(by_kind), count


async def statuses(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        return await SqlActivityLog(engine).tasks_by_status()
    finally:
        await engine.dispose()


def errors(logs: Path) -> Counter[str]:
    """Error lines the processes logged, by process kind and message (ids left out)."""
    found: Counter[str] = Counter()
    for log in sorted(logs.glob("*.log")):
        kind = log.name.split("-")[0]
        for line in log.read_text(errors="replace").splitlines():
            if " ERROR " in line:
                message = line.split(" ERROR ", 1)[1]
                message = re.sub(r"\[cid=\w+\]|\b(?=\w*\d)\w{8,}\b", "…", message)
                found[f"{kind}: {message[:100]}"] += 1
    return found
