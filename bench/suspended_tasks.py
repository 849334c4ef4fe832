"""Benchmark: many tasks suspended on approval: what they cost in Redis, and that all resume.

Deployed as in production: the listener (`threadwork serve --http --no-workers`) and `threadwork
worker` processes are subprocesses; the fake Slack and model APIs, the `ledger` test plugin's
ledger file and the client (signed events and clicks, as Slack sends them) are in this process.
The scripted model finds the ticket tool and asks to file one ticket per task, so every task stops
at an approval card and holds no process. Then:

- suspended: every card is posted at the fake Slack, every task is `awaiting_approval` in SQL and
  nothing was executed at the MCP server;
- Redis bytes per task: `MEMORY USAGE` of every key under this run's prefix (task documents,
  checkpoints, thread index, dedupe marks, budgets, shared indexes and the job stream) / N;
- every process is stopped (SIGTERM, or SIGKILL with `--kill`), new ones are started on the same
  Redis, every card is approved (signed `block_actions` through the new listener, a batch at a
  time), and the bench counts answers in the threads, executions at the MCP server (each ticket
  exactly once) and tasks that failed.

Every wait is bounded (it gives up after `--stall-s` seconds without progress) and progress goes to
stderr (`suspended_watch` reads the fakes, Redis, SQL and the logs). Slack's per-workspace budgets for edits, streams and status are raised (every task here is
in one workspace); posting keeps Slack's one message a second per channel, with 10 tasks a channel.

Run: .venv/bin/python bench/suspended_tasks.py [--tasks 10000] [--workers 2] [--kill]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from bench.suspended_watch import (  # noqa: E402
    FILED,
    CallLog,
    Card,
    answered,
    bounded,
    errors,
    redis_bytes,
    say,
    statuses,
    until,
)
from bench.worker_procs import UNLIMITED, cpu_s, load  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.approval_stack import CREATE, REQUESTER, executions, write_config  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.services import free_port  # noqa: E402
from tests.harness.slack_sender import TEAM_ID, app_mention, block_action  # noqa: E402
from tests.stack import SubprocessStack, WorkerProcess, kill_process, stop_process  # noqa: E402

PER_CHANNEL = 10
"""Tasks per channel: Slack limits posting to about one message a second per channel."""
RAISED = (
    "chat.update",
    "chat.startStream",
    "chat.stopStream",
    "chat.appendStream",
    "assistant.threads.setStatus",
)
"""Per-workspace budgets raised to UNLIMITED calls a minute (every task is in one workspace)."""
READY_S = 300.0
"""Bound on processes becoming healthy: several start at once on a busy 2-core machine."""
NUMBER = re.compile(r"file ticket (\d+)")


def model_turn(body: dict[str, Any]) -> Turn | None:
    """find_tools, then ask to file the task's own ticket, then answer: from the conversation."""
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
        found = NUMBER.search(json.dumps(messages[0]["content"]))
        title = f"bench {found.group(1) if found else '?'}"
        return Turn([Text("Filing the ticket you asked for."), ToolUse(CREATE, {"title": title})])
    return Reply(FILED)


def channel(i: int, tasks: int) -> str:
    """Round robin over tasks / PER_CHANNEL channels: the tasks running at once are in different
    channels, so Slack's one post a second per channel does not hold them back."""
    return f"C{i % max(1, tasks // PER_CHANNEL):05d}"


@dataclass
class Processes:
    listener: SubprocessStack
    workers: list[WorkerProcess]

    async def start(self) -> None:
        # The listener first: processes started at once on a fresh database race to create its
        # tables (the loser exits with a UniqueViolation); see the notes.
        await self.listener.start(READY_S)
        await asyncio.gather(*(w.start(READY_S) for w in self.workers))

    def pids(self) -> list[int]:
        procs = [self.listener.process, *(w.process for w in self.workers)]
        return [p.pid for p in procs if p is not None]

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of (the listener, all workers)."""
        listener = cpu_s(self.listener.process.pid) if self.listener.process else 0.0
        return listener, sum(cpu_s(w.process.pid) for w in self.workers if w.process)

    async def end(self, kill: bool) -> None:
        procs = [self.listener.process, *(w.process for w in self.workers)]
        live = [p for p in procs if p is not None]
        if kill:
            for process in live:
                kill_process(process)
        else:
            await asyncio.gather(*(stop_process(p) for p in live))
        self.listener.process = None
        for worker in self.workers:
            worker.process = None


@dataclass
class Deployment:
    settings: Settings
    slack: FakeSlack
    model: FakeAnthropic
    logs: Path
    workers: int
    slots: int

    def env(self) -> dict[str, str]:
        rates = dict.fromkeys(RAISED, UNLIMITED)
        return {"THREADWORK_LOG_LEVEL": "ERROR", "THREADWORK_SLACK_RATES": json.dumps(rates)}

    def processes(self, generation: int) -> Processes:
        listener = SubprocessStack(
            settings=self.settings,
            slack=self.slack,
            model=self.model,
            port=free_port(),
            workers=False,
            extra_env=self.env(),
            log_path=self.logs / f"listener-{generation}.log",
        )
        env = listener.env()
        env["THREADWORK_WORKERS"] = str(self.slots)
        env["THREADWORK_REDIS_CONNECTIONS"] = str(max(64, self.slots + 16))
        workers = [
            WorkerProcess(env, log_path=self.logs / f"worker-{generation}-{i}.log")
            for i in range(self.workers)
        ]
        return Processes(listener, workers)


@dataclass
class Figures:
    tasks: int
    workers: int
    slots: int
    kill: bool
    mention_statuses: dict[int, int]
    suspended: int
    awaiting: int
    executed_before: int
    suspend_s: float
    bytes_total: int
    by_kind: dict[str, int]
    keys: int
    click_statuses: dict[int, int]
    resumed: int
    executed: int
    executed_once: int
    resume_s: float
    end_statuses: dict[str, int]
    errors: dict[str, int]
    slack_failed: dict[str, int]
    slack_calls: dict[str, int]
    cpu: dict[str, float]
    loads: list[str]


def exactly_once(ledger: Path) -> tuple[int, int]:
    """(executions of create_ticket, distinct tickets filed exactly once)."""
    titles = Counter(e["arguments"].get("title") for e in executions(ledger, "create_ticket"))
    return titles.total(), sum(1 for n in titles.values() if n == 1)


async def run(tasks: int, workers: int, slots: int, kill: bool, stall_s: float) -> Figures:
    logging.basicConfig(level=logging.ERROR, force=True)
    logs = Path(tempfile.mkdtemp(prefix="tw-suspended-"))
    ledger = logs / "ledger.jsonl"
    say(f"logs and ledger in {logs}")
    loads: list[str] = []
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=None) as slack,
        FakeAnthropic() as model,
    ):
        settings = settings_for(slack, model, database_url, prefix, config=logs / "tw.yaml")
        write_config(settings, ledger)
        model.default(model_turn)
        deploy = Deployment(settings, slack, model, logs, workers, slots)
        log = CallLog(slack)
        running: list[Processes] = []
        try:
            procs = deploy.processes(1)
            running.append(procs)
            await procs.start()
            say(f"listener and {workers} workers ({slots} slots each) up: pids {procs.pids()}")

            started = time.monotonic()
            sender = procs.listener.sender

            def mention(i: int) -> Callable[[], Awaitable[int]]:
                async def send() -> int:
                    event = app_mention(f"file ticket {i}", channel=channel(i, tasks))
                    return (await sender.send_event(event)).status

                return send

            sent = await bounded([mention(i) for i in range(tasks)], "mentions")

            def cards() -> int:
                log.read()
                return len(log.cards)

            suspended, _ = await until("cards posted", cards, tasks, stall_s)

            async def awaiting() -> int:
                return (await statuses(database_url)).get("awaiting_approval", 0)

            waiting, _ = await until("tasks awaiting approval in SQL", awaiting, tasks, stall_s)
            suspend_s = time.monotonic() - started
            executed_before = len(executions(ledger, "create_ticket"))
            loads.append(load())
            cpu = dict(zip(("listener 1", "workers 1"), procs.cpu(), strict=True))
            say(f"stopping every process ({'SIGKILL' if kill else 'SIGTERM'})")
            await procs.end(kill)
            total, by_kind, keys = await redis_bytes(prefix)
            say(f"Redis: {keys:,} keys, {total / max(tasks, 1):,.0f} B per task")

            procs = deploy.processes(2)
            running.append(procs)
            await procs.start()
            say(f"new listener and workers up: pids {procs.pids()}")
            started = time.monotonic()
            sender = procs.listener.sender

            def click(card: Card) -> Callable[[], Awaitable[int]]:
                async def send() -> int:
                    payload = block_action(
                        "checkpoint.approve",
                        card.checkpoint_id,
                        user=REQUESTER,
                        channel=card.channel,
                        message_ts=card.ts,
                        thread_ts=card.thread_ts,
                        team=TEAM_ID,
                    )
                    return (await sender.send_interaction(payload)).status

                return send

            clicks = await bounded([click(c) for c in log.cards.values()], "approvals")
            resumed, _ = await until("answers in threads", lambda: answered(slack), tasks, stall_s)
            rest_s = stall_s if resumed >= tasks else 10.0  # stalled already: do not wait again
            await until(
                "tickets filed", lambda: len(executions(ledger, "create_ticket")), tasks, rest_s
            )

            async def completed() -> int:
                return (await statuses(database_url)).get("completed", 0)

            await until("tasks completed in SQL", completed, tasks, rest_s)
            resume_s = time.monotonic() - started
            loads.append(load())
            cpu.update(zip(("listener 2", "workers 2"), procs.cpu(), strict=True))
            cpu["bench (fakes, client)"] = cpu_s(os.getpid())
            end_statuses = await statuses(database_url)
            await procs.end(kill=False)
            log.read()
            executed, once = exactly_once(ledger)
            return Figures(
                tasks=tasks,
                workers=workers,
                slots=slots,
                kill=kill,
                mention_statuses=dict(sent),
                suspended=suspended,
                awaiting=waiting,
                executed_before=executed_before,
                suspend_s=suspend_s,
                bytes_total=total,
                by_kind=by_kind,
                keys=keys,
                click_statuses=dict(clicks),
                resumed=resumed,
                executed=executed,
                executed_once=once,
                resume_s=resume_s,
                end_statuses=end_statuses,
                errors=dict(errors(logs)),
                slack_failed=dict(log.failed),
                slack_calls=dict(log.methods),
                cpu=cpu,
                loads=loads,
            )
        finally:
            for procs in running:
                await procs.end(kill=False)


def report(f: Figures) -> None:
    per_task = f.bytes_total / f.tasks
    stop = "SIGKILL" if f.kill else "SIGTERM"
    rows = [
        ("deployment", f"listener + {f.workers} worker processes x {f.slots} slots; fakes here"),
        ("mentions sent (HTTP status)", f"{f.mention_statuses}"),
        ("approval cards posted", f"{f.suspended:,} of {f.tasks:,} (in {f.suspend_s:.0f} s)"),
        ("tasks awaiting approval (SQL)", f"{f.awaiting:,}"),
        ("executed before approval", f"{f.executed_before:,}"),
        ("Redis keys under the prefix", f"{f.keys:,}"),
        ("Redis bytes per task", f"{per_task:,.0f} B ({per_task / 1024:.2f} KB)"),
        *(
            (f"  {kind}", f"{size / f.tasks:,.0f} B per task")
            for kind, size in sorted(f.by_kind.items(), key=lambda kv: -kv[1])
        ),
        ("every process stopped with", f"{stop}; new listener and workers started"),
        ("approvals clicked (HTTP status)", f"{f.click_statuses}"),
        ("answered in their threads", f"{f.resumed:,} of {f.tasks:,} (in {f.resume_s:.0f} s)"),
        ("tickets filed at the MCP server", f"{f.executed:,}; exactly once: {f.executed_once:,}"),
        ("task statuses at the end (SQL)", f"{f.end_statuses}"),
        ("errors logged (lines)", f"{sum(f.errors.values()):,}"),
        *((f"  {text}", f"{n:,}") for text, n in sorted(f.errors.items(), key=lambda kv: -kv[1])),
        ("Slack calls answered with errors", f"{f.slack_failed or 'none'}"),
        (
            "Slack calls per task (both phases)",
            ", ".join(
                f"{m} {n / f.tasks:.1f}"
                for m, n in sorted(f.slack_calls.items(), key=lambda kv: -kv[1])
            ),
        ),
        ("CPU seconds", ", ".join(f"{k} {v:.0f}" for k, v in f.cpu.items())),
        ("load 1/5 min (suspended, resumed)", ", ".join(f.loads)),
    ]
    width = max(len(name) for name, _ in rows)
    print("Slack budgets for edits, streams and status raised; posts 1/s per channel")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print()
    ok = f.resumed == f.tasks == f.executed == f.executed_once and not f.errors
    print(
        f"{f.tasks:,} suspended tasks: {per_task / 1024:.1f} KB of Redis each (goal ≤ 32 KB,"
        f" {32 * 1024 / per_task:.1f}x under); after {stop} of every process {f.resumed:,} of"
        f" {f.tasks:,} resumed and answered, {f.executed_once:,} tickets filed exactly once"
        f" ({'all' if ok else 'NOT all'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--slots", type=int, default=32, help="tasks at once per worker")
    parser.add_argument("--kill", action="store_true", help="SIGKILL every process, not SIGTERM")
    parser.add_argument("--stall-s", type=float, default=120, help="give up after no progress")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped: clean up the services
    report(asyncio.run(run(args.tasks, args.workers, args.slots, args.kill, args.stall_s)))


if __name__ == "__main__":
    main()
