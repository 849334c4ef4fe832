"""What the clients a task cannot do without cost on their own: the floor under CPU per task.

Every task makes at least one model call (the anthropic SDK, built as the worker builds it) and
posts at least one reply (slack_sdk on one shared aiohttp session, as the worker posts). This
process does only that: it replays one request body the worker really sent, N at once, and N
`chat.postMessage` calls, against the same fakes, and prints the CPU each cost per call (from
`getrusage`, after a warm-up), as JSON on stdout. `bench/active_tasks.py` runs it beside its
ladder; it can run alone:

Run: .venv/bin/python bench/client_floor.py MODEL_URL SLACK_URL BODY.json [--calls 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from anthropic import AsyncAnthropic, DefaultAioHttpClient
from slack_sdk.web.async_client import AsyncWebClient

WARM_UP = 5


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def per_call_ms(calls: int, one: Callable[[int], Awaitable[Any]]) -> float:
    for i in range(WARM_UP):
        await one(i)
    before = cpu_s()
    await asyncio.gather(*(one(i) for i in range(calls)))
    return (cpu_s() - before) * 1000 / calls


async def measure(
    model_url: str, slack_url: str, body: dict[str, Any], calls: int
) -> dict[str, float]:
    body = {k: v for k, v in body.items() if k != "stream"}
    model = AsyncAnthropic(
        api_key="sk-floor", base_url=model_url, max_retries=0, http_client=DefaultAioHttpClient()
    )

    async def model_call(_: int) -> None:
        async with model.messages.stream(**body) as stream:
            await stream.get_final_message()

    async with aiohttp.ClientSession() as session:
        slack = AsyncWebClient(token="xoxb-floor", base_url=slack_url, session=session)

        async def post(i: int) -> None:
            await slack.chat_postMessage(channel="C0FLOOR", thread_ts="1.000001", text=f"{i}")

        try:
            return {
                "model_call_ms": await per_call_ms(calls, model_call),
                "slack_post_ms": await per_call_ms(calls, post),
            }
        finally:
            await model.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_url")
    parser.add_argument("slack_url")
    parser.add_argument("body", type=Path, help="a JSON request body the worker sent")
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    body = json.loads(args.body.read_text())
    print(json.dumps(asyncio.run(measure(args.model_url, args.slack_url, body, args.calls))))


if __name__ == "__main__":
    main()
