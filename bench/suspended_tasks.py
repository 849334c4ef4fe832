"""Benchmark: many tasks suspended on approval: what they cost in Redis, and that all resume.

The real app (in this process, with the fake Slack and model APIs and the `ledger` test plugin)
takes N mentions; the scripted model finds the ticket tool and asks to file one ticket per task,
so every task stops at an approval card and holds no process. Then:

- Redis bytes per task: `MEMORY USAGE` of every key under this run's prefix (task documents,
  checkpoints, thread index, dedupe marks, shared indexes and the job stream), divided by N;
- every process is restarted (the app is stopped and a new one started on the same Redis), every
  card is approved, and the bench counts answers in the threads and executions at the MCP server.

Run: .venv/bin/python bench/suspended_tasks.py [--tasks 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from tests.approval_stack import CREATE, REQUESTER, executions, write_config  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack, SlackCall  # noqa: E402
from tests.harness.services import REDIS_URL, free_port  # noqa: E402
from tests.harness.slack_sender import TEAM_ID, app_mention, block_action  # noqa: E402
from tests.stack import Stack  # noqa: E402

BATCH = 50
"""Requests sent at once (mentions, then clicks)."""
PER_CHANNEL = 10
RAISED_RATES = dict.fromkeys(
    (
        "chat.update",
        "chat.startStream",
        "chat.stopStream",
        "chat.appendStream",
        "assistant.threads.setStatus",
    ),
    600_000.0,
)
"""Tasks per channel: Slack (and the fake) limit posting to about one message a second per channel."""
FILED = "Ticket filed."


def model_turn(body: dict[str, Any]) -> Turn | None:
    """find_tools, then ask to file one ticket, then answer: decided from the conversation."""
    messages = body.get("messages") or []
    uses = [
        b["name"]
        for m in messages
        if m["role"] == "assistant" and isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_use"
    ]
    if not uses:
        return Turn([ToolUse("find_tools", {"query": "ticket"})])
    if CREATE not in uses:
        return Turn([Text("Filing the ticket you asked for."), ToolUse(CREATE, {"title": "bench"})])
    return Reply(FILED)


def is_card(call: SlackCall) -> bool:
    return call.method == "chat.postMessage" and "checkpoint.approve" in str(
        call.args.get("blocks")
    )


def channel(i: int) -> str:
    return f"C{i // PER_CHANNEL:05d}"


def card_of(call: SlackCall) -> tuple[str, str, str, str]:
    """(channel, thread ts, card ts, checkpoint id) of a posted approval card."""
    for block in call.args.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == "checkpoint.approve":
                where = str(call.args["channel"])
                return (
                    where,
                    str(call.args["thread_ts"]),
                    str(call.response["ts"]),
                    element["value"],
                )
    raise ValueError("not a card")


@dataclass
class Figures:
    tasks: int
    suspend_s: float
    bytes_total: int
    by_kind: dict[str, int]
    keys: int
    resumed: int
    executed: int
    resume_s: float


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


async def gathered(coros: list[Any]) -> None:
    for start in range(0, len(coros), BATCH):
        await asyncio.gather(*coros[start : start + BATCH])


async def run(tasks: int) -> Figures:
    logging.basicConfig(level=logging.ERROR, force=True)
    ledger = Path(tempfile.mkdtemp(prefix="tw-bench-")) / "ledger.jsonl"
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=0.05) as slack,
        FakeAnthropic() as model,
    ):
        config = ledger.with_name("threadwork.yaml")
        settings = settings_for(slack, model, database_url, prefix, config=config)
        # Slack's per-workspace budgets (chat.update 50/min, streams 20/min) would otherwise be
        # what is measured: every task here is in one workspace.
        settings = settings.model_copy(update={"workers": 32, "slack_rates": RAISED_RATES})
        write_config(settings, ledger)
        model.default(model_turn)
        stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
        await stack.start()
        started = time.perf_counter()
        await gathered(
            [
                stack.sender.send_event(app_mention(f"file ticket {i}", channel=channel(i)))
                for i in range(tasks)
            ]
        )
        await slack.until_call(
            "chat.postMessage", count=tasks, where=is_card, timeout=max(120, tasks * 3)
        )
        suspend_s = time.perf_counter() - started
        await stack.stop()  # every process stops; the tasks wait in Redis alone
        total, by_kind, keys = await redis_bytes(prefix)

        await stack.start()
        started = time.perf_counter()
        cards = [card_of(c) for c in slack.calls_to("chat.postMessage") if is_card(c)]
        await gathered([approve(stack, *card) for card in cards])

        channels = {channel(i) for i in range(tasks)}

        def answered() -> int:  # posted or streamed
            return sum(
                1 for where in channels for m in slack.messages(where) if m.text.strip() == FILED
            )

        await slack.until_call(
            "chat.update", where=lambda _: answered() >= tasks, timeout=max(120, tasks * 3)
        )
        resume_s = time.perf_counter() - started
        resumed = answered()
        await stack.stop()
    return Figures(
        tasks=tasks,
        suspend_s=suspend_s,
        bytes_total=total,
        by_kind=by_kind,
        keys=keys,
        resumed=resumed,
        executed=len(executions(ledger, "create_ticket")),
        resume_s=resume_s,
    )


async def approve(
    stack: Stack, where: str, thread_ts: str, card_ts: str, checkpoint_id: str
) -> None:
    payload = block_action(
        "checkpoint.approve",
        checkpoint_id,
        user=REQUESTER,
        channel=where,
        message_ts=card_ts,
        thread_ts=thread_ts,
        team=TEAM_ID,
    )
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response


def report(f: Figures) -> None:
    per_task = f.bytes_total / f.tasks
    print(
        "Slack budgets raised to 600,000 calls/min (chat.update, streams, status); posts 1/s per channel"
    )
    print(f"tasks suspended on approval      {f.tasks:,} (in {f.suspend_s:.0f} s)")
    print(f"Redis keys under the prefix      {f.keys:,}")
    print(f"Redis bytes per task             {per_task:,.0f} B ({per_task / 1024:.1f} KB)")
    for kind, size in sorted(f.by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<30} {size / f.tasks:,.0f} B per task")
    print(f"resumed after a restart          {f.resumed:,} of {f.tasks:,} answered")
    print(f"tickets filed at the MCP server  {f.executed:,} (each once: {f.executed == f.tasks})")
    print(f"approve all → last answer        {f.resume_s:.0f} s")
    print()
    print(
        f"{f.tasks:,} suspended tasks: {per_task / 1024:.1f} KB of Redis each (goal ≤ 32 KB,"
        f" {32 * 1024 / per_task:.1f}x under); {f.resumed:,} of {f.tasks:,} resumed after a restart"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    report(asyncio.run(run(args.tasks)))


if __name__ == "__main__":
    main()
