"""A listener process (`serve --http --no-workers`) and two `threadwork worker` processes.

A burst of mentions is queued by the listener alone (it never calls the model), shared by both
workers, and one worker is killed with SIGKILL while its tasks wait on the model: every task is
answered exactly once and no side effect runs twice (the ledger server logs every execution). A
worker stopped with SIGTERM hands back what it cannot finish within its grace period.
Also on a Redis Cluster, where the jobs spread over several streams that both workers read.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.runtime import options
from bot.settings import Settings
from orchestrator.adapters.redis.client import connect
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.queue import RedisJobQueue
from orchestrator.assemble import job_shards
from tests.approval_stack import (
    CREATE,
    executions,
    ticket_script,
    until_executions,
    write_config,
)
from tests.harness.fake_anthropic import FakeAnthropic, Reply, Text, Turn
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SINGLE_AND_CLUSTER
from tests.harness.services import free_port
from tests.harness.slack_sender import app_mention
from tests.stack import CHANNEL, KILL_RECLAIM_S, SubprocessStack, WorkerProcess, killable, running

TASKS = 8
"""Two workers of four slots each: every task is in flight at once, half on each worker."""
NO_APPROVAL = f"""
approvals:
  tools:
    "{CREATE}": never
"""


@pytest.fixture
async def listener(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> AsyncIterator[SubprocessStack]:
    write_config(settings, tmp_path / "ledger.jsonl", NO_APPROVAL)
    app = killable(settings, fake_slack, fake_anthropic, THREADWORK_WORKERS="4")
    app.workers = False
    async with running(app):
        yield app


async def queued_jobs(settings: Settings) -> int:
    """Jobs waiting on every stream of the queue (several on a Redis Cluster)."""
    client = connect(settings.redis_url, max_connections=4, wait_s=2)
    try:
        keys = Keys(settings.redis_prefix, job_shards=job_shards(options(settings), client))
        return (await RedisJobQueue(client, keys=keys).stats()).waiting
    finally:
        await client.aclose()


@SINGLE_AND_CLUSTER
async def test_two_workers_share_a_burst_and_a_killed_one_loses_nothing(
    listener: SubprocessStack, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    release = threading.Event()
    for i in range(TASKS):
        marker = f"ticket-{i}-"
        turns = ticket_script(marker, (CREATE, {"title": f"issue {i}"}), then="unused")[:2]
        held = Turn([Text(f"filed {marker}")], hold=release)
        listener.model.script(marker, [*turns, held, Reply(f"filed {marker}")])

    mentions = [app_mention(f"file ticket-{i}- please") for i in range(TASKS)]
    for mention in mentions:
        assert (await listener.sender.send_event(mention)).status == 200
    assert await queued_jobs(listener.settings) == TASKS
    assert listener.model.requests == [], "the listener never calls the model"

    first, second = WorkerProcess(listener.env()), WorkerProcess(listener.env())
    async with running(first), running(second):
        await listener.model.until_in_flight(TASKS, timeout=60)
        # Each ticket is logged by its worker's own ledger server, a third process.
        await until_executions(ledger, "create_ticket", TASKS)
        servers = {line["pid"] for line in executions(ledger, "create_ticket")}
        assert len(servers) == 2, "both workers took part of the burst"
        first.kill()
        release.set()

        for i, mention in enumerate(mentions):
            await listener.slack.until_thread(
                CHANNEL, mention["ts"], f"filed ticket-{i}-", timeout=KILL_RECLAIM_S * 15
            )
            await listener.slack.until_thread(CHANNEL, mention["ts"], "Done", timeout=20)

    for i, mention in enumerate(mentions):
        thread = listener.slack.thread(CHANNEL, mention["ts"])
        assert sum(f"filed ticket-{i}-" in m.all_text for m in thread) == 1, thread
    created = [line["arguments"]["title"] for line in executions(ledger, "create_ticket")]
    assert sorted(created) == sorted(f"issue {i}" for i in range(TASKS)), "each ticket once"


async def test_a_stopped_worker_hands_back_the_job_it_could_not_finish_in_its_grace(
    settings: Settings, fake_slack: FakeSlack, fake_anthropic: FakeAnthropic
) -> None:
    # The reclaim delay is far past the test's bounds: only a job handed back moves on this soon.
    patient = settings.model_copy(update={"reclaim_after_s": 120.0})
    listener = SubprocessStack(
        settings=patient, slack=fake_slack, model=fake_anthropic, port=free_port(), workers=False
    )
    never = threading.Event()
    fake_anthropic.script("slow-", [Turn([Text("never sent")], hold=never), Reply("done slow-")])
    async with running(listener):
        mention = app_mention("a slow- one please")
        assert (await listener.sender.send_event(mention)).status == 200
        # One slot, taken by the held job: the stop must not wait for a free slot either.
        env = {**listener.env(), "THREADWORK_STOP_GRACE": "1", "THREADWORK_WORKERS": "1"}
        first = WorkerProcess(env)
        await first.start()
        try:
            await fake_anthropic.until_held(1, timeout=30)
            assert first.process is not None
            stopped_at = time.monotonic()
            first.process.terminate()
            code = await asyncio.to_thread(first.process.wait, 15)
            assert code == 0, "a clean exit"
            assert time.monotonic() - stopped_at < 10, "its grace, not the model call, bounded it"
        finally:
            never.set()
            await first.stop()

        async with running(WorkerProcess(env)):
            await listener.slack.until_thread(CHANNEL, mention["ts"], "done slow-", timeout=30)
    thread = listener.slack.thread(CHANNEL, mention["ts"])
    assert sum("done slow-" in m.all_text for m in thread) == 1, thread
    assert not any("never sent" in m.all_text for m in thread)
