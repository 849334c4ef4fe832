"""Benchmark: how many tasks one worker process keeps active at once with a 1 s model.

Every task is one model call that takes 1 s (the fake model's delay) and then answers "ok". One
`threadwork worker` process (listener in its own process, the fakes in this one) gets bursts of N
tasks, queued while it is paused, and the time from resuming it to the last answer is compared
with the ideal: one task alone (the 1 s call plus the orchestration around it). A rung holds when
N tasks finish within 1.1 x 1 s + that overhead. The worker runs with its concurrency cap
(`THREADWORK_WORKERS`, slots per process) at the default, or raised to the largest burst if that is
larger. Then the floor under it: the anthropic SDK and slack_sdk alone, replaying the worker's
own model request and a post as many at once as the largest rung, in a process of their own
(`client_floor`), and how many tasks at once their CPU alone leaves room for.

Run: .venv/bin/python bench/active_tasks.py [--ladder 10,20,50,100,200,500,1000] [--delay-s 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.worker_procs import (  # noqa: E402
    ANSWER,
    BUDGET_NOTE,
    Burst,
    Deployment,
    deployment,
    workers,
)
from bot.settings import Settings  # noqa: E402
from tests.harness.fake_anthropic import Reply  # noqa: E402

DEFAULT_CAP = Settings.model_fields["workers"].default
STOP_AFTER = 4.0
"""A ladder stops after a rung that took this many times the first rung's time."""


def ladder_limit(first: Burst) -> float:
    return max(first.seconds, 1.0)


async def rungs(deploy: Deployment, slots: int, ladder: list[int], tag: str) -> list[Burst]:
    async with workers(deploy, 1, slots) as one:
        out: list[Burst] = []
        for n in ladder:
            out.append(await deploy.burst(one, n, f"{tag}-{n}"))
            print(f"  {tag}: {n} tasks in {out[-1].seconds:.2f} s", file=sys.stderr)
            if out[-1].seconds > STOP_AFTER * ladder_limit(out[0]):
                break  # far past the goal already; larger bursts only take longer
        return out


@dataclass(frozen=True)
class Floor:
    """CPU per call of the clients alone, in a process of their own (`client_floor`)."""

    calls: int
    model_call_ms: float
    slack_post_ms: float

    @property
    def per_task_ms(self) -> float:
        return self.model_call_ms + self.slack_post_ms


async def client_floor(deploy: Deployment, calls: int) -> Floor:
    """Replay the worker's last model request and a post, `calls` at once, in a fresh process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as body:
        json.dump(deploy.model.requests[-1].body, body)
        body.flush()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "client_floor.py"),
            deploy.model.url,
            deploy.slack.url,
            body.name,
            "--calls",
            str(calls),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    figures = json.loads(out)
    return Floor(calls, figures["model_call_ms"], figures["slack_post_ms"])


async def run(ladder: list[int], delay_s: float) -> tuple[Burst, list[Burst], int, Floor]:
    logging.basicConfig(level=logging.ERROR, force=True)
    async with deployment() as deploy:
        deploy.model.default(lambda _body: Reply(ANSWER, delay_s=delay_s))
        slots = max(DEFAULT_CAP, *ladder)
        ideal = (await rungs(deploy, slots, [1, 1, 1], "alone"))[-1]
        rows = await rungs(deploy, slots, ladder, "burst")
        return ideal, rows, slots, await client_floor(deploy, max(ladder))


def report(ideal: Burst, rows: list[Burst], slots: int, delay: float, floor: Floor) -> None:
    overhead = ideal.seconds - delay
    limit = 1.1 * delay + overhead
    print(f"one worker process, model call {delay:.1f} s per task, one call per task")
    print(BUDGET_NOTE)
    print(
        f"ideal (one task alone): {ideal.seconds:.2f} s = {delay:.1f} s model"
        f" + {overhead:.2f} s orchestration; a rung holds within {limit:.2f} s"
    )
    header = (
        f"{'slots':>6} {'tasks':>6} {'answered':>8} {'seconds':>8} {'/ideal':>7}"
        f" {'peak model calls':>16} {'worker CPU':>10} {'fakes CPU':>9} {'holds':>6}"
        f" {'load 1/5m':>10}"
    )
    print(header)
    print("-" * len(header))
    held = 0
    for row in rows:
        ok = row.answered == row.tasks and row.seconds <= limit
        if ok:
            held = max(held, row.tasks)
        print(
            f"{slots:>6} {row.tasks:>6} {row.answered:>8} {row.seconds:>8.2f}"
            f" {row.seconds / ideal.seconds:>6.2f}x {row.peak_in_flight:>16}"
            f" {row.worker_cpu_s:>9.2f}s {row.fakes_cpu_s:>8.2f}s"
            f" {'yes' if ok else 'no':>6} {row.load:>10}"
        )
    print()
    print(
        f"largest burst one worker finished within 1.1x the ideal: {held} tasks"
        f" (THREADWORK_WORKERS={slots}, default {DEFAULT_CAP}); past it the worker's CPU per task"
        f" (worker CPU column) is what bounds it"
    )
    budget_ms = 0.1 * delay * 1000 / 500
    print(
        f"the clients alone, {floor.calls} calls at once in a process of their own: the anthropic"
        f" SDK {floor.model_call_ms:.2f} ms CPU per model call (the worker's own request), slack_sdk"
        f" {floor.slack_post_ms:.2f} ms per post, {floor.per_task_ms:.2f} ms for the two; 500 tasks"
        f" within 1.1x need at most {budget_ms:.2f} ms of CPU each, so these two calls alone hold"
        f" one process to about {0.1 * delay * 1000 / floor.per_task_ms:.0f} tasks at once"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ladder", default="10,20,50,100,200,500,1000", help="burst sizes")
    parser.add_argument("--delay-s", type=float, default=1.0, help="model time per call")
    args = parser.parse_args()
    ladder = [int(n) for n in args.ladder.split(",")]
    ideal, rows, slots, floor = asyncio.run(run(ladder, args.delay_s))
    report(ideal, rows, slots, args.delay_s, floor)


if __name__ == "__main__":
    main()
