"""A Slack message event taken in with one Redis script: dedupe, thread claim and first job.

The HTTP listener acks an event once it is queued, so each round trip it waits for is latency a
burst of events queues behind. One script marks the event seen, looks up (or, for a mention,
claims) the thread's task and, when it opened the task, adds its first job to the task's stream.
On a Redis Cluster its three keys share a slot: the key scheme (`keys`) tags the thread's and the
event's keys with the thread's job stream, and the new task's id is picked on that stream's shard.
A message to a task that already exists is steered and queued by the caller (other slots).
The scripts of a burst of events go out together (`batch`).
"""

from __future__ import annotations

from redis.asyncio import Redis

from orchestrator.adapters.redis.batch import BatchedScript
from orchestrator.adapters.redis.keys import Keys
from orchestrator.adapters.redis.tasks import thread_margin_s
from orchestrator.domain.commands import Job, UserMessage
from orchestrator.domain.task import ThreadRef, new_id
from orchestrator.ports import Admission

DEDUPE_TTL_S = 3600
"""How long an event id is remembered (Slack retries for about an hour at most)."""

# KEYS: event dedupe, thread index, job stream. ARGV: new task id, its first job, thread TTL (s),
# stream max length, '1' for a mention, dedupe TTL (s).
# Returns {0} a repeat, {1} task opened and job queued, {2, id} the thread's task, {3} unowned.
_ADMIT = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[6]) then return {0} end
local owner = redis.call('GET', KEYS[2])
if owner then return {2, owner} end
if ARGV[5] ~= '1' then return {3} end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'job', ARGV[2])
return {1}
"""


class RedisIntake:
    def __init__(self, redis: Redis, *, keys: Keys, ttl_s: int, max_len: int = 100_000) -> None:
        self._redis = redis
        self._keys = keys
        self._thread_ttl_s = ttl_s + thread_margin_s(ttl_s)  # as `RedisTaskStore` claims one
        self._max_len = max_len
        self._admit = BatchedScript(redis, _ADMIT)

    async def admit(self, event_id: str, message: UserMessage) -> Admission:
        thread = message.thread
        shard = self._keys.thread_shard(thread)
        task_id = self._task_id_on(shard)
        job = Job(kind="message", task_id=task_id, message=message)
        keys = [
            self._keys.event(event_id, thread),
            self._keys.thread(thread),
            self._keys.job_stream(shard),
        ]
        args: list[str | int] = [
            task_id,
            job.model_dump_json(),
            self._thread_ttl_s,
            self._max_len,
            "1" if message.mention else "0",
            DEDUPE_TTL_S,
        ]
        reply = await self._admit(keys=keys, args=args)
        code = int(reply[0])
        if code == 0:
            return Admission(repeat=True)
        if code == 1:
            return Admission(task_id=task_id, queued=True)
        if code == 2:
            owner = reply[1]
            return Admission(task_id=owner.decode() if isinstance(owner, bytes) else str(owner))
        return Admission()

    async def forget(self, event_id: str, thread: ThreadRef) -> None:
        await self._redis.delete(self._keys.event(event_id, thread))

    def _task_id_on(self, shard: int) -> str:
        """A new task id whose jobs go to `shard` (every job of a task goes to its id's shard)."""
        while True:
            task_id = new_id("task")
            if self._keys.job_shard(task_id) == shard:
                return task_id
