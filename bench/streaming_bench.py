"""Benchmark: time to the first streamed characters of an answer vs time to the complete answer.

Starts the real `serve` entry point (HTTP listener + in-process workers, real Redis and
PostgreSQL) against the fake Slack and model APIs. The fake model writes each answer in pieces at
a human-visible pace; for every answer the bench reads, from the fake Slack's call log, when its
first characters reached Slack and when the complete answer (with its feedback footer) did,
counted from the model request. Two ways side by side in one run: Slack's streaming methods,
and the fallback when Slack refuses to stream (post, then coalesced edits). Before streaming, the
answer was posted once complete: its first characters came with the last.

Run: .venv/bin/python bench/streaming_bench.py [--answers 10] [--chars 800]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.services import fresh_services, settings_for  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply  # noqa: E402
from tests.harness.fake_slack import FakeSlack, SlackCall  # noqa: E402
from tests.harness.services import free_port  # noqa: E402
from tests.stack import CHANNEL, Stack  # noqa: E402

GAP_S = 0.03
"""Seconds between the model's pieces of about 16 characters (≈ 500 characters a second)."""


@dataclass
class Timing:
    first_ms: float
    complete_ms: float


def sentence(chars: int) -> str:
    return ("Rotate the logs, then grow the volume; check the replicas after. " * 100)[:chars]


def in_thread(call: SlackCall, ts: str) -> bool:
    return call.args.get("thread_ts") == ts or call.args.get("ts") == ts


async def one_answer(stack: Stack, i: int, chars: int, tag: str) -> Timing:
    slack, model = stack.slack, stack.model
    model.script(f"{tag} {i} ", [Reply(sentence(chars), text_gap_s=GAP_S)])
    mention = await stack.mention(f"{tag} {i} now")
    ts = mention["ts"]
    thread = await slack.until_thread(
        CHANNEL, ts, lambda ms: any("feedback_buttons" in str(m.blocks) for m in ms), timeout=60
    )
    answer = next(m for m in thread if "feedback_buttons" in str(m.blocks))
    asked = next(r.time for r in model.requests if f"{tag} {i} now" in str(r.body))
    mine = [c for c in slack.calls if c.ok and c.args.get("ts") == answer.ts]
    started = [
        c
        for c in slack.calls
        if c.ok and c.response.get("ts") == answer.ts and c.method != "chat.update"
    ]
    first = min(c.time for c in started)
    complete = max(c.time for c in mine + started if "feedback_buttons" in str(c.args))
    return Timing((first - asked) * 1000, (complete - asked) * 1000)


async def run(answers: int, chars: int) -> dict[str, list[Timing]]:
    logging.basicConfig(level=logging.ERROR, force=True)
    with (
        fresh_services() as (database_url, prefix),
        FakeSlack(update_interval_s=0.05) as slack,
        FakeAnthropic() as model,
    ):
        settings = settings_for(slack, model, database_url, prefix)
        stack = Stack(settings=settings, slack=slack, model=model, port=free_port())
        await stack.start()
        try:
            out: dict[str, list[Timing]] = {"streamed": [], "refused": []}
            for i in range(answers):
                out["streamed"].append(await one_answer(stack, i, chars, "stream"))
                slack.fail_next(
                    "chat.startStream", status=200, retry_after=None, error="not_allowed"
                )
                out["refused"].append(await one_answer(stack, i, chars, "fallback"))
            return out
        finally:
            await stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--chars", type=int, default=800)
    args = parser.parse_args()
    results = asyncio.run(run(args.answers, args.chars))
    print(
        f"{args.answers} answers of {args.chars} characters per way, the model writing"
        f" {16 / GAP_S:.0f} characters a second; medians, ms from the model request"
    )
    print(f"{'':34} {'first chars':>12} {'complete':>10} {'complete/first':>15}")
    for label, key in (
        ("streamed (chat.*Stream)", "streamed"),
        ("refused (post + update)", "refused"),
    ):
        first = statistics.median(t.first_ms for t in results[key])
        complete = statistics.median(t.complete_ms for t in results[key])
        print(f"{label:34} {first:10.0f}ms {complete:8.0f}ms {complete / first:14.1f}x")
    complete = statistics.median(t.complete_ms for t in results["streamed"])
    print(f"{'posted once complete (before)':34} {complete:10.0f}ms {complete:8.0f}ms {1:14.1f}x")


if __name__ == "__main__":
    main()
