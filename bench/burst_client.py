"""The client of `ack_latency`: signed mentions fired at a listener from a process of its own.

Slack's senders run neither in the bot's process nor in the fakes'. When the client was a thread
of the bench's process, whatever else ran there (the fakes, what the in-process run left for the
garbage collector) could hold its replies, and that showed as listener latency: split-run p99
221-224 ms in two of three runs, against 52-55 ms in three of three with the client in a process
of its own. So it is one: it signs every request before the clock starts, keeps the garbage
collector off while it fires, and prints `[[ms, status], ...]` as JSON.

Run: .venv/bin/python bench/burst_client.py URL COUNT [--concurrent] [--tag T] [--secret S]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness.slack_sender import app_mention, event_envelope, sign  # noqa: E402
from tests.stack import SIGNING_SECRET  # noqa: E402

Signed = tuple[str, dict[str, str]]


def signed(text: str, secret: str) -> Signed:
    body = json.dumps(event_envelope(app_mention(text)))
    return body, {"content-type": "application/json", **sign(secret, body)}


async def post_timed(session: aiohttp.ClientSession, url: str, request: Signed) -> list[float]:
    body, headers = request
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return [(time.perf_counter() - started) * 1000, float(response.status)]


async def fire(url: str, requests: list[Signed], *, concurrent: bool) -> list[list[float]]:
    """Send `requests` (all at once, or one after another); latency ms and status of each."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        if concurrent:
            return list(await asyncio.gather(*(post_timed(session, url, r) for r in requests)))
        return [await post_timed(session, url, r) for r in requests]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    parser.add_argument("--concurrent", action="store_true")
    parser.add_argument("--tag", default="burst")
    parser.add_argument("--secret", default=SIGNING_SECRET)
    args = parser.parse_args()
    requests = [signed(f"{args.tag} {i}", args.secret) for i in range(args.count)]
    gc.collect()
    gc.disable()
    print(json.dumps(asyncio.run(fire(args.url, requests, concurrent=args.concurrent))))


if __name__ == "__main__":
    main()
