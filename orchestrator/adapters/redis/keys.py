"""The Redis key scheme. Every key Threadwork writes is named here, under one prefix.

    {p}:task:{<task_id>}                  hash  task JSON (`data`) + `version`; TTL = task TTL
    {p}:lease:{<task_id>}                 str   token of the worker running the task; PX = lease
    {p}:thread:<team>:<channel>:<ts>      str   thread -> task id; TTL = task TTL
    {p}:evt:<event_id>                    str   Slack event already accepted; TTL 1 h
    {p}:checkpoint:{<checkpoint_id>}      hash  checkpoint JSON (`data`) + `version`; TTL = task TTL
    {p}:checkpoints:due                   zset  checkpoint id -> next reminder/expiry (epoch s)
    {p}:checkpoints:pending               zset  checkpoint id -> created (epoch s), while pending
    {p}:jobs                              stream of jobs, consumer group `{p}-workers`
    {p}:outbox                            list  activity rows waiting for the database (JSON)
    {p}:outbox:lock                       str   token of the process draining the outbox; PX 30 s
    {p}:outbox:failed                     list  activity rows the database refused for good
    {p}:stop:{<task_id>}                  str   who pressed Stop, until the worker stopped it; TTL 1 d
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
    {p}:signins:due                       zset  '<task id> <call id>' -> expiry of its sign-in request

The `{<task_id>}` hash tag keeps a task's keys in one Redis Cluster slot, so the Lua scripts that
touch them keep working on Cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.domain.task import ThreadRef


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "tw"

    def task(self, task_id: str) -> str:
        return f"{self.prefix}:task:{{{task_id}}}"

    def lease(self, task_id: str) -> str:
        return f"{self.prefix}:lease:{{{task_id}}}"

    def thread(self, thread: ThreadRef) -> str:
        return f"{self.prefix}:thread:{thread.team_id}:{thread.channel_id}:{thread.thread_ts}"

    def event(self, event_id: str) -> str:
        return f"{self.prefix}:evt:{event_id}"

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
        return f"{self.prefix}:checkpoint:{{{checkpoint_id}}}"

    def rate(self, team_id: str, method: str, channel_id: str = "") -> str:
        base = f"{self.prefix}:rate:{team_id}:{method}"
        return f"{base}:{channel_id}" if channel_id else base

    def spend(self, thread: ThreadRef, month: str) -> str:
        return f"{self.prefix}:spend:{thread.team_id}:{thread.channel_id}:{month}"

    def sign_in(self, state: str) -> str:
        return f"{self.prefix}:signin:{state}"

    @property
    def sign_ins_due(self) -> str:
        return f"{self.prefix}:signins:due"

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
        return f"{self.prefix}:outbox:failed"

    @property
    def group(self) -> str:
        return f"{self.prefix}-workers"
