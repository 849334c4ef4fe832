"""Benchmark: from the OAuth callback to the resumed tool call reaching the server, next to a
direct call.

A tool call of a per-user connector whose account is not connected waits for the person: the
bot sends them a Connect button, and the sign-in's redirect to `/oauth/callback` exchanges the
code, stores the sealed tokens, queues a resume job, and a worker runs the waiting call as that
person. This starts the real `serve` entry point (HTTP listener + in-process workers, real Redis
and PostgreSQL) with a remote CRM plugin behind OAuth (the MCP SDK's authorization server and
resource server, `tests/mcp_servers/oauth_crm.py`, on a loopback port), and measures in one run:

- resumed path: from just before the browser's GET of the callback URL to the moment the waiting
  `whoami` call reaches the CRM server (it records `time.time()` per call);
- direct path: from just before `ConnectorPool.call` of the same tool, as the same person (the
  runtime's own pool, session open), to the moment it reaches the server.

Each sample is one person: they connect once (not measured) and call `whoami`; then the server
revokes their grant, their next `whoami` finds it refused, the bot asks them to connect again,
and the bench follows the new link like a browser, timing the callback leg.

Run: .venv/bin/python bench/oauth_resume.py [--samples 40]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from bench.services import fresh_services, settings_for  # noqa: E402
from connectors import Caller  # noqa: E402
from orchestrator.adapters.redis.keys import Keys  # noqa: E402
from tests.harness.fake_anthropic import FakeAnthropic, Reply, ToolUse, Turn  # noqa: E402
from tests.harness.fake_slack import FakeSlack  # noqa: E402
from tests.harness.oauth_browser import sign_in  # noqa: E402
from tests.harness.slack_sender import TEAM_ID  # noqa: E402
from tests.mcp_servers.oauth_crm import Call  # noqa: E402
from tests.sign_in_stack import Crm, crm_server, prompt_for, sign_in_stack  # noqa: E402
from tests.stack import CHANNEL, Stack, running  # noqa: E402

WHOAMI = "crm__crm__whoami"
WARMUP = 3
WAIT_S = 30.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def user_of(index: int) -> tuple[str, str]:
    """(Slack user id, CRM login) of sample `index`."""
    return f"U0BENCH{index:04d}", f"bench{index:04d}"


async def whoami_by(crm: Crm, login: str, count: int) -> Call:
    """The `count`-th whoami call of `login` to reach the server."""

    def found() -> Call | None:
        calls = [c for c in crm.state.calls if c.tool == "whoami" and c.user == login]
        return calls[count - 1] if len(calls) >= count else None

    return await crm.state.until(found, f"whoami #{count} by {login}", timeout=WAIT_S)


async def until_released(stack: Stack, thread_ts: str) -> None:
    """Wait (bounded) until the task waits for the sign-in with no worker holding its lease."""
    redis = Redis.from_url(stack.settings.redis_url)
    keys = Keys(stack.settings.redis_prefix)
    try:
        async with asyncio.timeout(WAIT_S):
            while True:
                ids = await stack.task_ids_for(thread_ts)
                waiting = [
                    t for t in await stack.tasks() if t.id in ids and t.status == "awaiting_input"
                ]
                if waiting and not await redis.exists(keys.lease(waiting[0].id)):
                    return
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()


async def sample(stack: Stack, crm: Crm, index: int) -> tuple[float, float]:
    """(resumed ms, direct ms) of one person."""
    user, login = user_of(index)
    marker = f"bench sign-in {index:04d}"
    stack.model.script(
        marker,
        [
            Turn([ToolUse("find_tools", {"query": "crm"})]),
            Turn([ToolUse(WHOAMI, {})]),
            Reply(f"first {index}"),
            Turn([ToolUse(WHOAMI, {})]),
            Reply(f"second {index}"),
        ],
    )
    thread_ts = (await stack.mention(marker, user=user))["ts"]
    _, url = await prompt_for(stack.slack, user)
    await sign_in(url, login)
    await whoami_by(crm, login, 1)
    await stack.slack.until_thread(CHANNEL, thread_ts, f"first {index}", timeout=WAIT_S)

    crm.state.revoke(login)
    await stack.reply("again please", thread_ts=thread_ts, user=user)
    _, again = await prompt_for(stack.slack, user, count=2)
    redirect = await sign_in(again, login, follow_callback=False)
    callback = redirect.headers["location"]
    # A person takes seconds to sign in: by then the task is suspended and no worker holds it.
    await until_released(stack, thread_ts)
    async with httpx.AsyncClient(timeout=WAIT_S) as http:
        started = time.time()
        page = await http.get(callback)
    assert page.status_code == 200, page.text
    resumed = (await whoami_by(crm, login, 2)).at - started
    await stack.slack.until_thread(CHANNEL, thread_ts, f"second {index}", timeout=WAIT_S)

    assert stack.runtime is not None
    pool = stack.runtime.core.pool
    started = time.time()
    result = await pool.call(WHOAMI, {}, caller=Caller(TEAM_ID, user))
    assert not result.is_error, result.text
    direct = (await whoami_by(crm, login, 3)).at - started
    return resumed * 1000, direct * 1000


async def run(samples: int) -> None:
    with (
        fresh_services() as (database_url, prefix),
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack(update_interval_s=0.05) as slack,
        FakeAnthropic() as model,
        crm_server() as crm,
    ):
        root = Path(tmp)
        settings = settings_for(slack, model, database_url, prefix, config=root / "tw.yaml")
        stack = sign_in_stack(settings, slack, model, crm, root)
        async with running(stack):
            figures = [await sample(stack, crm, i) for i in range(WARMUP + samples)]
    report(figures[WARMUP:])


def report(figures: list[tuple[float, float]]) -> None:
    resumed = [r for r, _ in figures]
    direct = [d for _, d in figures]
    print(f"{len(figures)} sign-ins, each followed by the same call made directly\n")
    print(f"{'':26}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in (("callback → resumed call", resumed), ("direct call", direct)):
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"{name:26}{p50:>10.1f}{p99:>10.1f}{statistics.mean(values):>10.1f}")
    ratio = percentile(resumed, 50) / percentile(direct, 50)
    print(f"\nresumed / direct at p50: {ratio:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.samples))


if __name__ == "__main__":
    main()
