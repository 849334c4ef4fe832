"""Benchmark: what the orchestrator adds to each model step, next to the model's own time.

Every model call of a task goes through the planning loop: the task is saved to Redis after every
step, each model call is written to the SQL activity log, and the progress reply in Slack is
edited. This runs tasks of K model calls each (the fake model asks for a tool on every call but the
last; with no plugins every tool call gets an error result, which still makes a full step) against
a fake model that takes a fixed time per call, and compares three things measured in one run:

- the fixed model delay itself;
- the same number of bare model calls through the model client (SDK + HTTP to the fake);
- the same calls through the runner with real Redis, PostgreSQL and the fake Slack.

Run: .venv/bin/python bench/step_overhead.py [--tasks 10] [--steps 10] [--delay-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anthropic import AsyncAnthropic
from redis.asyncio import Redis
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services  # noqa: E402
from bot.slack.notifier import SlackNotifier  # noqa: E402
from orchestrator.adapters.anthropic import AnthropicModel  # noqa: E402
from orchestrator.adapters.redis.keys import Keys  # noqa: E402
from orchestrator.adapters.redis.signals import RedisTaskSignals  # noqa: E402
from orchestrator.adapters.redis.tasks import RedisTaskStore  # noqa: E402
from orchestrator.adapters.sql.activity import SqlActivityLog, make_engine, upgrade  # noqa: E402
from orchestrator.domain.activity import Activity  # noqa: E402
from orchestrator.domain.task import ORCHESTRATOR, Agent, Task, ThreadRef  # noqa: E402
from orchestrator.domain.views import Answer, View  # noqa: E402
from orchestrator.engine.prompt import system_blocks  # noqa: E402
from orchestrator.engine.runner import Runner  # noqa: E402
from orchestrator.ports import AnswerStream, ModelRequest  # noqa: E402
from orchestrator.tools.toolbox import NoTools  # noqa: E402
from plugins import Limits  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Text, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.services import (  # noqa: E402
    REDIS_URL,
)

MODEL = "claude-bench"
FINAL = "All steps done."


def scripted_model(fake: FakeAnthropic, steps: int, delay_s: float) -> None:
    """Every conversation asks for a tool `steps - 1` times, then answers; each call takes delay_s."""

    def answer(body: dict[str, Any]) -> Turn:
        calls_so_far = len(body["messages"]) // 2  # user, (assistant, user)*
        if calls_so_far >= steps - 1:
            return Turn(blocks=(Text(FINAL),), delay_s=delay_s)
        return Turn(blocks=(ToolUse("lookup", {"n": calls_so_far}),), delay_s=delay_s)

    fake.default(answer)


class AnswerClock:
    """The runner's notifier, plus the moment each task's answer was handed to Slack."""

    def __init__(self, inner: SlackNotifier) -> None:
        self._inner = inner
        self.answered_at: dict[str, float] = {}

    def open_answer(self, thread: ThreadRef, recipient: str) -> AnswerStream:
        return _ClockedStream(self, thread, self._inner.open_answer(thread, recipient))

    async def post(self, thread: ThreadRef, view: View) -> str:
        if isinstance(view, Answer):
            self.answered_at[thread.thread_ts] = time.perf_counter()
        return await self._inner.post(thread, view)

    async def update(self, thread: ThreadRef, message_id: str, view: View) -> None:
        await self._inner.update(thread, message_id, view)

    async def tell(self, thread: ThreadRef, user_id: str, view: View) -> None:
        await self._inner.tell(thread, user_id, view)

    async def status(self, thread: ThreadRef, activity: Activity | None) -> None:
        await self._inner.status(thread, activity)

    async def flush(self, thread: ThreadRef | None = None) -> None:
        await self._inner.flush(thread)


class _ClockedStream:
    def __init__(self, clock: AnswerClock, thread: ThreadRef, inner: AnswerStream) -> None:
        self._clock, self._thread, self._inner = clock, thread, inner

    async def append(self, text: str) -> None:
        await self._inner.append(text)

    async def finish(self, answer: Answer) -> None:
        self._clock.answered_at[self._thread.thread_ts] = time.perf_counter()
        await self._inner.finish(answer)

    async def close(self) -> None:
        await self._inner.close()


@dataclass
class Figures:
    tasks: int
    steps: int
    delay_ms: float
    bare_ms: float
    runner_ms: float
    concurrent_ms: float
    tail_ms: float

    @property
    def overhead_ms(self) -> float:
        return self.runner_ms - self.delay_ms

    @property
    def orchestrator_ms(self) -> float:
        return self.runner_ms - self.bare_ms

    @property
    def ratio(self) -> float:
        return self.runner_ms / self.delay_ms

    @property
    def sequential_rate(self) -> float:
        return 1000 / self.runner_ms

    @property
    def concurrent_rate(self) -> float:
        return self.tasks * 1000 / self.concurrent_ms


def new_task(index: int, tag: str) -> Task:
    task = Task(
        id=f"task_{tag}_{index}",
        thread=ThreadRef(team_id="T0TEAM", channel_id="C0BENCH", thread_ts=f"{tag}.{index:06d}"),
        requester="U0ALICE",
        agents={ORCHESTRATOR: Agent(id=ORCHESTRATOR, model=MODEL)},
    )
    task.orchestrator.add_user_text(f"<@U0ALICE>: benchmark task {index}")
    return task


async def bare_calls(model: AnthropicModel, tasks: int, steps: int) -> float:
    """Mean ms per call of the model client alone, replaying the same conversation shapes."""
    calls = 0
    started = time.perf_counter()
    for _ in range(tasks):
        messages: list[dict[str, Any]] = [{"role": "user", "content": "benchmark"}]
        for _ in range(steps):
            reply = await model.complete(
                ModelRequest(model=MODEL, system=system_blocks(), messages=messages)
            )
            calls += 1
            if not reply.tool_uses:
                break
            use = reply.tool_uses[0]
            messages += [
                {"role": "assistant", "content": reply.content},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": use["id"], "content": "no tool"}
                    ],
                },
            ]
    return (time.perf_counter() - started) * 1000 / calls


async def runner_steps(
    runner: Runner, store: RedisTaskStore, clock: AnswerClock, tasks: list[Task], steps: int
) -> tuple[float, float]:
    """One task at a time: mean ms per model step from the start of a run to its answer, and
    mean ms from the answer until the run returns (the worker's slot is busy until then)."""
    per_step, tails = [], []
    for task in tasks:
        await store.save(task)
        started = time.perf_counter()
        await runner.run(task)
        returned = time.perf_counter()
        assert task.status == "completed", task.failure
        answered = clock.answered_at[task.thread.thread_ts]
        per_step.append((answered - started) * 1000 / steps)
        tails.append((returned - answered) * 1000)
    return sum(per_step) / len(per_step), sum(tails) / len(tails)


async def concurrent_steps(
    runner: Runner, store: RedisTaskStore, clock: AnswerClock, tasks: list[Task], steps: int
) -> float:
    """Wall ms per model step when every task runs at the same time (as workers would)."""
    for task in tasks:
        await store.save(task)
    started = time.perf_counter()
    await asyncio.gather(*(runner.run(task) for task in tasks))
    last = max(clock.answered_at[t.thread.thread_ts] for t in tasks)
    return (last - started) * 1000 / steps


async def run(tasks: int, steps: int, delay_ms: float) -> Figures:
    logging.basicConfig(level=logging.ERROR)
    with fresh_services() as (database_url, prefix):
        redis = Redis.from_url(REDIS_URL)
        engine = make_engine(database_url)
        try:
            with FakeAnthropic() as fake, FakeSlack(update_interval_s=None) as slack:
                scripted_model(fake, steps, delay_ms / 1000)
                client = AsyncAnthropic(api_key="sk-ant-bench", base_url=fake.url, max_retries=0)
                model = AnthropicModel(client)
                await upgrade(engine)
                store = RedisTaskStore(redis, keys=Keys(prefix), ttl_s=3600)
                slack_client = AsyncWebClient(token="xoxb-bench", base_url=slack.url)
                clock = AnswerClock(SlackNotifier(slack_client, min_update_interval_s=1.0))
                runner = Runner(
                    store=store,
                    model=model,
                    notifier=clock,
                    activity=SqlActivityLog(engine),
                    toolbox=NoTools(),
                    limits=Limits(max_steps=10 * steps),
                    signals=RedisTaskSignals(redis, keys=Keys(prefix)),
                )
                await runner_steps(runner, store, clock, [new_task(0, "warmup")], steps)
                bare = await bare_calls(model, tasks, steps)
                one_at_a_time = [new_task(i, "seq") for i in range(tasks)]
                sequential, tail = await runner_steps(runner, store, clock, one_at_a_time, steps)
                together = [new_task(i, "par") for i in range(tasks)]
                concurrent = await concurrent_steps(runner, store, clock, together, steps)
                await clock.flush()
                await client.close()
        finally:
            await redis.aclose()
            await engine.dispose()
    return Figures(tasks, steps, delay_ms, bare, sequential, concurrent, tail)


def report(f: Figures) -> None:
    rows = [
        ("tasks x model steps", f"{f.tasks} x {f.steps}"),
        ("fixed model delay per call", f"{f.delay_ms:.1f} ms"),
        ("bare model call (SDK + HTTP)", f"{f.bare_ms:.1f} ms"),
        ("model step through the runner", f"{f.runner_ms:.1f} ms"),
        ("overhead per step vs model delay", f"{f.overhead_ms:.1f} ms"),
        ("  of which orchestrator (state, log, Slack)", f"{f.orchestrator_ms:.1f} ms"),
        ("ratio runner step / model delay", f"{f.ratio:.2f}x"),
        ("run returns after the answer by", f"{f.tail_ms:.0f} ms"),
        ("model steps/s, one task at a time", f"{f.sequential_rate:.1f}"),
        (f"model steps/s, {f.tasks} tasks at once", f"{f.concurrent_rate:.1f}"),
        ("speed-up from running tasks together", f"{f.concurrent_rate / f.sequential_rate:.1f}x"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 10}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print("(the fakes run in this process and share its CPU, so concurrent figures are low bounds)")
    print()
    print(
        f"step overhead: {f.overhead_ms:.1f} ms per model step "
        f"({f.orchestrator_ms:.1f} ms orchestrator, the rest model client), "
        f"{f.ratio:.2f}× a {f.delay_ms:.0f} ms model call"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10, help="model calls per task")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="fake model time per call")
    args = parser.parse_args()
    report(asyncio.run(run(args.tasks, args.steps, args.delay_ms)))


if __name__ == "__main__":
    main()
