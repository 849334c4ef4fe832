"""Benchmark: N sub-agents run side by side vs one after another, in the real app.

The orchestrator model splits the work into N general-purpose sub-agents; each sub-agent takes
`--steps` model turns whose fake answers each take `--delay` seconds (a stand-in for model
latency). The same task runs twice in one process — with `limits.max_concurrent_subagents: N`
and with `1` — through the real `serve` entry point (HTTP listener, in-process workers, Redis,
PostgreSQL, fake Slack and fake model over HTTP). Wall time is from the signed mention to the
final answer in the thread.

Run: .venv/bin/python bench/subagents_bench.py [--agents 8] [--steps 2] [--delay 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.services import (  # noqa: E402
    free_port,
)
from tests.stack import CHANNEL, Stack  # noqa: E402

UPDATE_INTERVAL_S = 1.0  # Slack's real edit pace; the fake enforces it with 429s
WAIT_S = 120.0


def script(model: FakeAnthropic, label: str, agents: int, steps: int, delay_s: float) -> None:
    """The orchestrator spawns `agents` sub-agents; each takes `steps` turns of `delay_s`."""
    briefs = [f"{label}-part-{n}" for n in range(agents)]
    spawn = ToolUse(
        "spawn_subagents", {"agents": [{"type": "general-purpose", "brief": b} for b in briefs]}
    )
    model.script(f"{label} please", [Turn([Text("Splitting.")] + [spawn]), Reply(f"{label} done")])
    for brief in briefs:
        work = [
            Turn([ToolUse("load_skill", {"name": f"step-{i}"})], delay_s=delay_s)
            for i in range(steps - 1)
        ]
        model.script(brief, [*work, Reply(f"{brief} summary", delay_s=delay_s)])


async def timed_task(stack: Stack, label: str) -> float:
    started = time.perf_counter()
    mention = await stack.mention(f"{label} please")
    await stack.slack.until_thread(CHANNEL, mention["ts"], f"{label} done", timeout=WAIT_S)
    return time.perf_counter() - started


async def measure(concurrency: int, agents: int, steps: int, delay_s: float) -> float:
    with (
        fresh_services() as (database_url, prefix),
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack(update_interval_s=UPDATE_INTERVAL_S) as slack,
        FakeAnthropic() as model,
    ):
        config = Path(tmp) / "threadwork.yaml"
        config.write_text(
            f"limits:\n  max_concurrent_subagents: {concurrency}\n  max_subagents: {agents}\n"
        )
        settings = settings_for(
            slack, model, database_url, prefix, config=config, update_interval_s=UPDATE_INTERVAL_S
        )
        stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
        await stack.start()
        try:
            label = f"run-{concurrency}"
            script(model, label, agents, steps, delay_s)
            seconds = await timed_task(stack, label)
            throttled = len(slack.rate_limited)
        finally:
            await stack.stop()
    if throttled:
        print(f"  warning: {throttled} Slack edits were throttled (429)")
    return seconds


async def run(agents: int, steps: int, delay_s: float) -> None:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(16))
    logging.basicConfig(level=logging.ERROR, force=True)
    floor = steps * delay_s
    print(f"{agents} sub-agents × {steps} model turns × {delay_s:g} s each (floor {floor:g} s)")
    parallel = await measure(agents, agents, steps, delay_s)
    sequential = await measure(1, agents, steps, delay_s)
    print(f"  parallel   (max_concurrent_subagents={agents}): {parallel:6.2f} s")
    print(f"  sequential (max_concurrent_subagents=1): {sequential:6.2f} s")
    print(f"  speed-up: {sequential / parallel:.1f}× (ideal {agents}×)")
    print(f"  parallel overhead over one sub-agent's model time: {parallel - floor:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    asyncio.run(run(args.agents, args.steps, args.delay))


if __name__ == "__main__":
    main()
