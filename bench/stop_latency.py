"""Benchmark: from a Stop click to the last model or tool activity of the task, over 50 stops.

Starts the real `serve` entry point (HTTP listener + in-process workers, real Redis and
PostgreSQL) against the fake Slack and model APIs. Each task's model writes a long answer at a
visible pace (so it is streaming into the thread when stopped); the bench presses the progress
message's Stop button as a signed interaction, then reads when the fake model sent its last byte
for that call (the client closed the stream) and when the thread said "Stopped by". It also
checks that no model request follows a stop. Prints p50/p99 of both, side by side.

Run: .venv/bin/python bench/stop_latency.py [--stops 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.services import free_port  # noqa: E402
from tests.harness.slack_sender import block_action  # noqa: E402
from tests.stack import CHANNEL, Stack  # noqa: E402

STOP = "task.stop"
LONG = "A long and careful answer that keeps going. " * 60
GAP_S = 0.05


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def stop_value(message_blocks: tuple[dict, ...]) -> str | None:
    for block in message_blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == STOP:
                return str(element["value"])
    return None


async def one_stop(stack: Stack, i: int) -> tuple[float, float]:
    """(ms from click to the model's last byte, ms from click to the thread's Stopped note)."""
    slack, model = stack.slack, stack.model
    model.script(f"essay {i} ", [Reply(LONG, text_gap_s=GAP_S)])
    mention = await stack.mention(f"essay {i} please")
    ts = mention["ts"]
    thread = await slack.until_thread(CHANNEL, ts, lambda ms: any(stop_value(m.blocks) for m in ms))
    progress = next(m for m in thread if stop_value(m.blocks))
    # Stop while the answer is streaming: the first characters are in the thread.
    await slack.until_call("chat.startStream", where=lambda c: c.args.get("thread_ts") == ts)
    ended_before = len(model.last_sent)
    requests_before = len(model.requests)
    payload = block_action(
        STOP, stop_value(progress.blocks) or "", message_ts=progress.ts, thread_ts=ts
    )
    clicked = time.monotonic()
    response = await stack.sender.send_interaction(payload)
    assert response.status == 200, response
    await slack.until_thread(CHANNEL, ts, "Stopped by <@U0ALICE>", timeout=10)
    noted = time.monotonic()
    last = (await model.until_streams_ended(ended_before + 1))[-1]
    assert len(model.requests) == requests_before, "no model request after the stop"
    return max(0.0, last - clicked) * 1000, (noted - clicked) * 1000


async def run(stops: int) -> tuple[list[float], list[float]]:
    logging.basicConfig(level=logging.ERROR, force=True)
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=0.05) as slack,
        FakeAnthropic() as model,
    ):
        settings = settings_for(slack, model, database_url, prefix).model_copy(
            update={
                "slack_rates": {
                    "chat.update": 6000,
                    "chat.startStream": 6000,
                    "chat.stopStream": 6000,
                }
            }
        )
        stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
        await stack.start()
        try:
            model_ms, note_ms = [], []
            for i in range(stops):
                last, noted = await one_stop(stack, i)
                model_ms.append(last)
                note_ms.append(noted)
            return model_ms, note_ms
        finally:
            await stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=50)
    args = parser.parse_args()
    model_ms, note_ms = asyncio.run(run(args.stops))
    print(f"{args.stops} stops, each mid-answer (the model streaming {GAP_S * 1000:.0f} ms/piece)")
    print(f"{'':34} {'p50':>8} {'p99':>8} {'max':>8}")
    for label, values in (
        ("click -> last model activity", model_ms),
        ('click -> "Stopped by" in thread', note_ms),
    ):
        print(
            f"{label:34} {percentile(values, 50):7.0f}ms {percentile(values, 99):7.0f}ms"
            f" {max(values):7.0f}ms"
        )
    print(f"mean click -> last model activity: {statistics.mean(model_ms):.0f} ms")


if __name__ == "__main__":
    main()
