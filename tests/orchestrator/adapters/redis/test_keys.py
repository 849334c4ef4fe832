"""The key scheme on Redis Cluster: what must share a slot does, and the job streams spread."""

from __future__ import annotations

from redis.crc import key_slot

from orchestrator.adapters.redis.keys import Keys
from orchestrator.domain.checkpoint import checkpoint_id
from orchestrator.domain.task import ThreadRef

TASK = "t-5f2c9a"
SLOTS_PER_MASTER = 16384 // 3 + 1
"""`redis-cli --cluster create` with three masters gives each a third of the slots, in order."""


def slot(key: str) -> int:
    return int(key_slot(key.encode()))


def test_every_key_of_one_task_is_in_one_slot() -> None:
    keys = Keys("tw")
    of_task = [
        keys.task(TASK),
        keys.checkpoint(checkpoint_id(TASK, "call-1")),
        keys.checkpoint(checkpoint_id(TASK, "call-2")),
        keys.lease(TASK),
        keys.stop(TASK),
        keys.inbox(TASK),
        keys.answer(TASK, "call-1"),
        keys.elicitation(TASK, "e-1"),
        keys.elicited(TASK, "e-1"),
    ]
    assert {slot(k) for k in of_task} == {slot(keys.task(TASK))}
    assert slot(keys.task("t-other")) != slot(keys.task(TASK)), "tasks spread over slots"


def test_a_checkpoint_made_before_ids_carried_their_task_keeps_its_key() -> None:
    assert Keys("tw").checkpoint("cp_0123456789abcdef01234567") == (
        "tw:checkpoint:{cp_0123456789abcdef01234567}"
    )


def test_the_outbox_and_its_failed_rows_share_a_slot_so_moving_a_row_is_atomic() -> None:
    for prefix in ("tw", "acme-prod"):
        keys = Keys(prefix)
        assert slot(keys.outbox_failed) == slot(keys.outbox)
        assert keys.outbox_failed.startswith(f"{prefix}:"), "still under the prefix"


def test_one_stream_keeps_the_name_existing_queues_use() -> None:
    assert Keys("tw").job_streams == ["tw:jobs"]
    assert Keys("tw").job_shard("any task") == 0


def test_four_job_streams_land_on_all_three_masters_of_a_default_cluster() -> None:
    keys = Keys("tw", job_shards=4)
    assert keys.job_streams[0] == "tw:jobs"
    masters = {slot(stream) // SLOTS_PER_MASTER for stream in keys.job_streams}
    assert masters == {0, 1, 2}


def test_a_task_always_goes_to_the_same_stream_and_tasks_spread_over_all() -> None:
    keys = Keys("tw", job_shards=4)
    assert keys.job_shard(TASK) == keys.job_shard(TASK)
    assert {keys.job_shard(f"t-{n}") for n in range(200)} == {0, 1, 2, 3}


def test_on_a_cluster_a_message_event_its_thread_and_its_job_stream_share_a_slot() -> None:
    keys = Keys("tw", job_shards=4, cluster=True)
    threads = [
        ThreadRef(team_id="T1", channel_id="C1", thread_ts=f"17000.{n:06d}") for n in range(40)
    ]
    for thread in threads:
        stream = keys.job_stream(keys.thread_shard(thread))
        assert slot(keys.event("Ev1", thread)) == slot(keys.thread(thread)) == slot(stream)
    assert {keys.thread_shard(t) for t in threads} == {0, 1, 2, 3}, "threads spread as streams do"


def test_on_one_redis_thread_and_event_keys_keep_their_names() -> None:
    thread = ThreadRef(team_id="T1", channel_id="C1", thread_ts="17000.000001")
    for keys in (Keys("tw"), Keys("tw", job_shards=4)):
        assert keys.thread(thread) == "tw:thread:T1:C1:17000.000001"
        assert keys.event("Ev1", thread) == keys.event("Ev1") == "tw:evt:Ev1"
