"""Benchmark: orchestration CPU per model step, and 2 worker processes vs 1.

The fake model answers at once (zero latency), so what the worker processes spend is the
orchestration itself: each task takes K model steps (the model asks for a tool on every call but
the last; with no plugins the tool call gets an error result, which still makes a full step),
saving the task to Redis, writing activity rows to PostgreSQL and editing the progress reply
after every step. The listener runs in its own process (`serve --http --no-workers`), the fakes
in this one. A burst of M tasks is queued while the workers are paused; side by side in one run,
one worker process and then two (fresh processes each) work it off. CPU is read from
/proc/<pid>/stat of the worker processes over the burst.

Run: .venv/bin/python bench/worker_cpu.py [--tasks 200] [--steps 4] [--slots 16]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.worker_procs import ANSWER, BUDGET_NOTE, Burst, deployment, workers  # noqa: E402
from tests.harness.fake_anthropic import Text, ToolUse, Turn  # noqa: E402


def stepping(steps: int) -> Any:
    def answer(body: dict[str, Any]) -> Turn:
        calls_so_far = len(body["messages"]) // 2  # user, (assistant, user)*
        if calls_so_far >= steps - 1:
            return Turn(blocks=(Text(ANSWER),))
        return Turn(blocks=(ToolUse("lookup", {"n": calls_so_far}),))

    return answer


async def run(tasks: int, steps: int, slots: int) -> dict[int, Burst]:
    logging.basicConfig(level=logging.ERROR, force=True)
    out: dict[int, Burst] = {}
    async with deployment() as deploy:
        deploy.model.default(stepping(steps))
        for count in (1, 2):
            async with workers(deploy, count, slots) as started:
                await deploy.burst(started, 4, f"warm-{count}")  # imports, pools, caches
                out[count] = await deploy.burst(started, tasks, f"cpu-{count}")
                print(f"  {count} worker(s): {out[count].seconds:.1f} s", file=sys.stderr)
    return out


def report(results: dict[int, Burst], steps: int, slots: int) -> None:
    print(
        f"zero-latency model, {steps} model steps per task, {slots} slots per worker process,"
        f" {os.cpu_count()} cores shared"
    )
    print(BUDGET_NOTE)
    rows = [
        ("tasks answered", lambda r: f"{r.answered} of {r.tasks}"),
        ("model steps", lambda r: f"{r.model_calls}"),
        ("wall time", lambda r: f"{r.seconds:.2f} s"),
        ("tasks per second", lambda r: f"{r.answered / r.seconds:.1f}"),
        ("model steps per second", lambda r: f"{r.model_calls / r.seconds:.1f}"),
        ("worker CPU (all worker processes)", lambda r: f"{r.worker_cpu_s:.2f} s"),
        ("worker CPU per model step", lambda r: f"{r.worker_cpu_s / r.model_calls * 1000:.1f} ms"),
        ("fakes + client CPU (bench process)", lambda r: f"{r.fakes_cpu_s:.2f} s"),
        ("listener CPU", lambda r: f"{r.listener_cpu_s:.2f} s"),
        ("Redis CPU", lambda r: f"{r.redis_cpu_s:.2f} s"),
        ("PostgreSQL CPU", lambda r: f"{r.postgres_cpu_s:.2f} s"),
        ("load average 1/5 min after", lambda r: r.load),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  {'1 worker':>12}  {'2 workers':>12}")
    print(f"{'-' * width}  {'-' * 12}  {'-' * 12}")
    for name, cell in rows:
        print(f"{name:<{width}}  {cell(results[1]):>12}  {cell(results[2]):>12}")
    one, two = results[1], results[2]
    speedup = (two.answered / two.seconds) / (one.answered / one.seconds)
    print()
    print(f"throughput of 2 worker processes vs 1: {speedup:.2f}x (goal 1.8x)")
    cores = os.cpu_count() or 1
    share = {
        "the fakes": one.fakes_cpu_s,
        "the listener": one.listener_cpu_s,
        "Redis": one.redis_cpu_s,
        "PostgreSQL": one.postgres_cpu_s,
    }
    shares = ", ".join(f"{name} {cpu / one.worker_cpu_s:.0%}" for name, cpu in share.items())
    beside = one.beside_workers_s / one.worker_cpu_s
    services = (one.redis_cpu_s + one.postgres_cpu_s) / one.worker_cpu_s
    print(
        f"CPU beside the worker, per second of the worker's own: {shares}. On {cores} cores,"
        f" workers kept busy can reach at most {ceiling(cores, beside):.2f}x one worker kept busy;"
        f" Redis and PostgreSQL alone cap it at {ceiling(cores, services):.2f}x"
    )


def ceiling(cores: int, beside: float) -> float:
    """Throughput of `cores` busy workers vs one, when every second of worker CPU brings
    `beside` seconds of other work onto the same cores."""
    return min(float(cores), cores / (1 + beside))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--slots", type=int, default=16, help="THREADWORK_WORKERS per process")
    args = parser.parse_args()
    results = asyncio.run(run(args.tasks, args.steps, args.slots))
    report(results, args.steps, args.slots)


if __name__ == "__main__":
    main()
