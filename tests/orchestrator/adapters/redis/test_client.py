"""The Redis client follows the server: `RedisCluster` on a cluster node, `Redis` otherwise; and
a task run on a cluster keeps the keys of each of its scripts in one slot."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from bot.settings import Settings
from orchestrator.adapters.redis.client import GuardedRedis, connect
from tests.approval_stack import CREATE, cards, click, executions, start_stack, ticket_script
from tests.harness.fake_anthropic import FakeAnthropic
from tests.harness.fake_slack import FakeSlack
from tests.stack import CHANNEL

ON_CLUSTER = pytest.mark.parametrize("redis_url", ["cluster"], indirect=True)


async def test_a_single_redis_gets_the_plain_client(redis_url: str) -> None:
    client = connect(redis_url, max_connections=4, wait_s=1)
    try:
        assert isinstance(client, GuardedRedis)
        assert await client.ping()
    finally:
        await client.aclose()


@ON_CLUSTER
async def test_a_url_naming_one_cluster_node_gets_the_cluster_client(redis_url: str) -> None:
    client = connect(redis_url, max_connections=4, wait_s=1)
    try:
        assert isinstance(client, RedisCluster)
        for n in range(20):  # keys on every shard, reached through one node's URL
            await client.set(f"tw_test_client:{n}", n, ex=60)
        assert [int(await client.get(f"tw_test_client:{n}")) for n in range(20)] == list(range(20))
    finally:
        await client.aclose()


def cluster_keys(url: str, prefix: str) -> list[str]:
    """Every key under `prefix` on every master of the cluster."""
    with contextlib.closing(redis.RedisCluster.from_url(url)) as client:
        return sorted(k.decode() for k in client.scan_iter(match=f"{prefix}*", count=500))


@ON_CLUSTER
async def test_an_approved_task_on_a_cluster_keeps_each_scripts_keys_in_one_slot(
    settings: Settings,
    fake_slack: FakeSlack,
    fake_anthropic: FakeAnthropic,
    tmp_path: Path,
    redis_url: str,
    redis_prefix: str,
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    stack = await start_stack(settings, fake_slack, fake_anthropic, ledger)
    try:
        assert isinstance(stack.runtime.core.redis, RedisCluster)
        marker = "cluster slots"
        stack.model.script(
            marker, ticket_script(marker, (CREATE, {"title": marker}), then="Ticket filed.")
        )
        mention = await stack.mention(f"{marker}: please file a ticket")
        (card,) = await cards(stack.slack, mention["ts"])
        waiting = cluster_keys(redis_url, redis_prefix)
        await click(stack, "approve", card, mention["ts"])
        await stack.slack.until_thread(CHANNEL, mention["ts"], "Ticket filed.")
        (task_id,) = await stack.task_ids_for(mention["ts"])
    finally:
        await stack.stop()
    assert len(executions(ledger, "create_ticket")) == 1
    seen = set(waiting) | set(cluster_keys(redis_url, redis_prefix))

    of_task = [k for k in seen if task_id in k]
    assert f"{redis_prefix}:task:{{{task_id}}}" in of_task
    assert len({key_slot(k.encode()) for k in of_task}) == 1, of_task
    assert card.checkpoint_id.endswith(f"_{task_id}")
    digest = card.checkpoint_id.removesuffix(f"_{task_id}")
    assert f"{redis_prefix}:checkpoint:{{{task_id}}}:{digest}" in of_task
    streams = [k for k in seen if k.startswith(f"{redis_prefix}:jobs")]
    assert sorted(streams) == sorted(
        [f"{redis_prefix}:jobs"] + [f"{redis_prefix}:jobs:{n}" for n in (1, 2, 3)]
    )
