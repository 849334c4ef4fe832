"""The Redis key scheme. Every key Threadwork writes is named here, under one prefix.

    {p}:task:{<task_id>}                  hash  task JSON (`data`) + `version`; TTL = task TTL
    {p}:lease:{<task_id>}                 str   token of the worker running the task; PX = lease
    {p}:thread:<team>:<channel>:<ts>      str   thread -> task id; TTL = task TTL (on a cluster:
                                                `{p}:thread:{<its job stream>}:<team>:...`)
    {p}:evt:<event_id>                    str   Slack event already accepted; TTL 1 h (a message
                                                event on a cluster: `{p}:evt:{<job stream>}:<id>`)
    {p}:checkpoint:{<task_id>}:cp_<hash>  hash  checkpoint JSON (`data`) + `version`; TTL = task TTL
                                                (id `cp_<hash>_<task_id>`; an id without the task,
                                                made by earlier versions: `{p}:checkpoint:{<id>}`)
    {p}:checkpoints:due                   zset  checkpoint id -> next reminder/expiry (epoch s)
    {p}:checkpoints:pending               zset  checkpoint id -> created (epoch s), while pending
    {p}:jobs                              stream of jobs (shard 0), consumer group `{p}-workers`
    {p}:jobs:<n>                          stream of jobs, shard n = 1 .. job_shards - 1; same group
    {p}:outbox                            list  activity rows waiting for the database (JSON)
    {p}:outbox:lock                       str   token of the process draining the outbox; PX 30 s
    {p}:outbox:failed:{{p}:outbox}        list  activity rows the database refused for good
    {p}:stop:{<task_id>}                  str   who pressed Stop, until the worker stopped it; TTL 1 d
    {p}:stops                             hash  task id -> when Stop was pressed (epoch s), while its
                                                stop key is there (an entry outliving it is dropped)
    {p}:inbox:{<task_id>}                 list  messages offered to the running turn; TTL 1 d
    {p}:spend:<team>:<channel>:<YYYY-MM>  str   USD spent on the model in the month; TTL 40 days
    {p}:answer:{<task_id>}:<call_id>      str   what closed a question first: an answer pressed,
                                                or its expiry (JSON); TTL 1 d
    {p}:elicitation:{<task_id>}:<id>      str   a connector's request waiting in a live call (JSON);
                                                TTL = its wait bound + 1 min
    {p}:elicited:{<task_id>}:<id>         str   first reply to it: accept/decline/cancel (JSON); same TTL
    {p}:questions:due                     zset  "<task_id> <call_id>" -> question deadline (epoch s)
    {p}:rate:<team>:<method>[:<channel>]  str   a Slack method's budget, shared by every process:
                                                its GCRA time of the next call (epoch ms); PX
                                                just past it (`adapters.redis.rates`)
    {p}:signin:<state>                    hash  a sign-in request (`data`: JSON with the PKCE
                                                values sealed, never a token) + `claimed` (set by
                                                the first callback); TTL = expiry + 1 h
    {p}:signin-ended:{<task_id>}:<call_id> str  why that call's sign-in came back unconnected
                                                (the OAuth `error`, or `exchange_failed`); TTL 1 d
    {p}:signins:due                       zset  '<task id> <call id>' -> expiry of its sign-in request
    {p}:home-visitors:<team>              set   user ids who have opened their App Home (kept current
                                                only for them); no TTL
    {p}:refresh:<team>:<user>:<connector> str   token of the process refreshing that account's OAuth
                                                tokens (redis-py `Lock`; user '' = shared); PX 30 s

Redis Cluster: the keys of one Lua script or one MULTI must hash to one slot.
- A task's keys (task, checkpoints, lease, stop, inbox, answers, connector requests, ended
  sign-ins) carry the hash tag `{<task_id>}`: they live on one shard, and each task's scripts run there. A click names
  only the checkpoint; its id carries the task id, so the key is found from the id alone.
- A Slack message is taken in by one script (event dedupe, thread index, and for a new task its
  first job): on a cluster the thread's index key and the event's dedupe key carry the hash tag of
  the thread's job stream (`{<stream name>}`: the slot of the untagged stream name itself), a new
  task's id is picked on that stream's shard, and thread keys spread as the job streams do. Other
  events' dedupe keys stay untagged.
- Every other script and transaction touches one key (rate budgets, spend, sign-in requests,
  Home visitors, the stop index and the deadline sets), so those keys need no tag and spread over the shards by their whole name:
  one busy channel's rate budget does not pin a shard.
- The failed-rows list is tagged with the outbox's own name (`{{p}:outbox}`, the whole name of
  the untagged outbox key), so moving a row from one to the other is one transaction.
- The job stream is `job_shards` streams (a setting; 4 by default on a cluster, 1 on one Redis):
  a job goes to the shard of its task (a stable hash of the task id, one task per thread), every
  worker reads every shard, so the stream load spreads over the cluster's masters.
With one shard, every name is what it was before shards existed, so existing data still loads.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from orchestrator.domain.checkpoint import task_of_checkpoint
from orchestrator.domain.task import ThreadRef


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "tw"
    job_shards: int = 1
    """How many job streams (see the module docstring)."""
    cluster: bool = False
    """Redis Cluster: thread and message-event keys carry their job stream's hash tag."""

    def task(self, task_id: str) -> str:
        return f"{self.prefix}:task:{{{task_id}}}"

    def lease(self, task_id: str) -> str:
        return f"{self.prefix}:lease:{{{task_id}}}"

    def thread(self, thread: ThreadRef) -> str:
        return f"{self.prefix}:thread:{self._tag(thread)}{_where(thread)}"

    def event(self, event_id: str, thread: ThreadRef | None = None) -> str:
        """The dedupe key of an event; a message's (`thread` given) lives beside its thread's."""
        tag = self._tag(thread) if thread is not None else ""
        return f"{self.prefix}:evt:{tag}{event_id}"

    def thread_shard(self, thread: ThreadRef) -> int:
        """The job stream a thread's new task is opened on (CRC-32, the same in every process)."""
        return zlib.crc32(_where(thread).encode()) % self.job_shards

    def _tag(self, thread: ThreadRef) -> str:
        return f"{{{self.job_stream(self.thread_shard(thread))}}}:" if self.cluster else ""

    def stop(self, task_id: str) -> str:
        return f"{self.prefix}:stop:{{{task_id}}}"

    def inbox(self, task_id: str) -> str:
        return f"{self.prefix}:inbox:{{{task_id}}}"

    def answer(self, task_id: str, call_id: str) -> str:
        return f"{self.prefix}:answer:{{{task_id}}}:{call_id}"

    def elicitation(self, task_id: str, elicitation_id: str) -> str:
        return f"{self.prefix}:elicitation:{{{task_id}}}:{elicitation_id}"

    def elicited(self, task_id: str, elicitation_id: str) -> str:
        return f"{self.prefix}:elicited:{{{task_id}}}:{elicitation_id}"

    def checkpoint(self, checkpoint_id: str) -> str:
        task_id = task_of_checkpoint(checkpoint_id)
        if task_id is None:  # made before checkpoint ids carried their task
            return f"{self.prefix}:checkpoint:{{{checkpoint_id}}}"
        digest = checkpoint_id.removesuffix(f"_{task_id}")
        return f"{self.prefix}:checkpoint:{{{task_id}}}:{digest}"

    def rate(self, team_id: str, method: str, channel_id: str = "") -> str:
        base = f"{self.prefix}:rate:{team_id}:{method}"
        return f"{base}:{channel_id}" if channel_id else base

    def spend(self, thread: ThreadRef, month: str) -> str:
        return f"{self.prefix}:spend:{thread.team_id}:{thread.channel_id}:{month}"

    def sign_in(self, state: str) -> str:
        return f"{self.prefix}:signin:{state}"

    def home_visitors(self, team_id: str) -> str:
        return f"{self.prefix}:home-visitors:{team_id}"

    def refresh_lock(self, team_id: str, user_id: str, connector: str) -> str:
        return f"{self.prefix}:refresh:{team_id}:{user_id}:{connector}"

    def sign_in_ended(self, task_id: str, call_id: str) -> str:
        return f"{self.prefix}:signin-ended:{{{task_id}}}:{call_id}"

    @property
    def sign_ins_due(self) -> str:
        return f"{self.prefix}:signins:due"

    @property
    def stops(self) -> str:
        return f"{self.prefix}:stops"

    @property
    def checkpoints_due(self) -> str:
        return f"{self.prefix}:checkpoints:due"

    @property
    def questions_due(self) -> str:
        return f"{self.prefix}:questions:due"

    @property
    def checkpoints_pending(self) -> str:
        return f"{self.prefix}:checkpoints:pending"

    @property
    def jobs(self) -> str:
        return f"{self.prefix}:jobs"

    @property
    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    @property
    def outbox_lock(self) -> str:
        return f"{self.prefix}:outbox:lock"

    @property
    def outbox_failed(self) -> str:
        return f"{self.prefix}:outbox:failed:{{{self.outbox}}}"

    def job_stream(self, shard: int) -> str:
        return self.jobs if shard == 0 else f"{self.prefix}:jobs:{shard}"

    @property
    def job_streams(self) -> list[str]:
        return [self.job_stream(n) for n in range(self.job_shards)]

    def job_shard(self, task_id: str) -> int:
        """The stream shard of a task's jobs: the same in every process (CRC-32 of the id)."""
        return zlib.crc32(task_id.encode()) % self.job_shards

    @property
    def group(self) -> str:
        return f"{self.prefix}-workers"


def _where(thread: ThreadRef) -> str:
    return f"{thread.team_id}:{thread.channel_id}:{thread.thread_ts}"
