"""Benchmark: how fast the real app acknowledges a burst of Slack events over HTTP.

Slack retries an event it has not seen acknowledged within 3 seconds, so the listener must answer
before doing any work. This starts the real `serve` entry point (HTTP listener + in-process
workers, real Redis and PostgreSQL) against the fake Slack and model APIs, fires a burst of signed
`app_mention` events at once, and reports the HTTP ack latency next to the latency of the same
request on an idle app. It also reports how long the workers took to answer every mention.

Run: .venv/bin/python bench/ack_latency.py [--events 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.services import (  # noqa: E402
    REDIS_URL,
    delete_prefix,
    drop_database,
    ensure_postgres,
    ensure_redis,
    free_port,
    fresh_postgres_database,
    unique_redis_prefix,
)
from tests.harness.slack_sender import app_mention, event_envelope, sign  # noqa: E402
from tests.stack import SIGNING_SECRET, Stack  # noqa: E402

SLACK_BUDGET_MS = 3000.0
IDLE_SAMPLES = 20
ANSWER = "ok"  # what the fake model answers every mention with


def signed(text: str) -> tuple[str, dict[str, str]]:
    body = json.dumps(event_envelope(app_mention(text)))
    return body, {"content-type": "application/json", **sign(SIGNING_SECRET, body)}


async def post_timed(session: aiohttp.ClientSession, url: str, text: str) -> tuple[float, int]:
    body, headers = signed(text)
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return (time.perf_counter() - started) * 1000, response.status


async def fire(url: str, count: int, *, concurrent: bool, tag: str) -> list[tuple[float, int]]:
    """Send `count` signed mentions (all at once, or one after another); latency ms and status."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        if concurrent:
            return list(
                await asyncio.gather(
                    *(post_timed(session, url, f"{tag} {i}") for i in range(count))
                )
            )
        return [await post_timed(session, url, f"{tag} {i}") for i in range(count)]


async def fire_from_another_thread(
    url: str, count: int, *, concurrent: bool, tag: str
) -> list[tuple[float, int]]:
    # The client gets its own event loop so its work is not queued behind the app's.
    return await asyncio.to_thread(asyncio.run, fire(url, count, concurrent=concurrent, tag=tag))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def settings_for(slack: FakeSlack, model: FakeAnthropic, database_url: str, prefix: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.url,
        ANTHROPIC_API_KEY="sk-ant-bench",
        ANTHROPIC_BASE_URL=model.url,
        THREADWORK_MODEL="claude-bench",
        REDIS_URL=REDIS_URL,
        DATABASE_URL=database_url,
        THREADWORK_CONFIG=ROOT / "bench" / "no-such-threadwork.yaml",
        THREADWORK_REDIS_PREFIX=prefix,
        THREADWORK_SLACK_UPDATE_INTERVAL=0.05,
    )


async def run(events: int) -> dict[str, float]:
    ensure_redis(REDIS_URL)
    ensure_postgres()
    database_url = fresh_postgres_database()
    prefix = unique_redis_prefix()
    try:
        with FakeSlack(update_interval_s=0.05) as slack, FakeAnthropic() as model:
            stack = Stack(
                settings=settings_for(slack, model, database_url, prefix),
                slack=slack,
                model=model,
                port=free_port(),
            )
            await stack.start()
            try:
                return await measure(stack, slack, events)
            finally:
                await stack.stop()
    finally:
        drop_database(database_url)
        delete_prefix(REDIS_URL, prefix)


async def measure(stack: Stack, slack: FakeSlack, events: int) -> dict[str, float]:
    url = f"{stack.base}/slack/events"
    idle = await fire_from_another_thread(url, IDLE_SAMPLES, concurrent=False, tag="idle")
    await answered(slack, IDLE_SAMPLES)

    started = time.perf_counter()
    burst = await fire_from_another_thread(url, events, concurrent=True, tag="burst")
    await answered(slack, IDLE_SAMPLES + events)
    all_answered_s = time.perf_counter() - started

    latencies = [ms for ms, _ in burst]
    failures = sum(1 for _, status in burst + idle if status != 200)
    p99 = percentile(latencies, 99)
    return {
        "events": events,
        "idle_p50": statistics.median(ms for ms, _ in idle),
        "p50": percentile(latencies, 50),
        "p99": p99,
        "max": max(latencies),
        "non_200": failures,
        "answered_s": all_answered_s,
        "under_budget": SLACK_BUDGET_MS / p99,
    }


async def answered(slack: FakeSlack, count: int) -> None:
    await slack.until_call(
        "chat.postMessage",
        count=count,
        where=lambda c: c.args.get("text") == ANSWER,
        timeout=90,
    )


def report(r: dict[str, float]) -> None:
    rows = [
        ("mentions fired at once", f"{r['events']:.0f}"),
        ("ack p50, idle app (sequential)", f"{r['idle_p50']:.1f} ms"),
        ("ack p50, burst", f"{r['p50']:.1f} ms"),
        ("ack p99, burst", f"{r['p99']:.1f} ms"),
        ("ack max, burst", f"{r['max']:.1f} ms"),
        ("burst p50 / idle p50", f"{r['p50'] / r['idle_p50']:.1f}x"),
        ("Slack budget / burst p99", f"{r['under_budget']:.0f}x"),
        ("non-200 answers", f"{r['non_200']:.0f}"),
        ("every mention answered in thread", f"{r['answered_s']:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 10}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print()
    print(
        f"ack p99: {r['p99']:.0f} ms ({r['under_budget']:.0f}× under Slack's 3 s)"
        f" for {r['events']:.0f} concurrent mentions"
    )
    print(
        f"{r['events']:.0f} concurrent mentions answered in {r['answered_s']:.1f} s"
        " (fake model, in-process workers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="mentions fired at once")
    args = parser.parse_args()
    report(asyncio.run(run(args.events)))


if __name__ == "__main__":
    main()
