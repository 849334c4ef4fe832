"""Sign-ins: ask the requester to connect a connector account, take the OAuth callback, resume.

A call that needs an account the requester has not connected (`SignInRequired`, or a
`find_tools` search for such a connector) waits in `awaiting_sign_in`: the requester alone is
sent a private Connect button, and no process waits. The browser's redirect lands on the bot's
HTTP server, which checks the `state` (known, first use, not expired, the call still waits for
exactly that sign-in), exchanges the code (tokens are stored sealed, never in Redis) and queues a
resume job; the call then goes back to `pending` and runs as if it had just been asked. A
sign-in cancelled at the page (or whose code the server refused) is remembered for the call and
resumes the task too, which tells the model. An expired request is given its result by the
sweep's resume; a new message withdraws it.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from connectors import Caller, ConnectorError
from orchestrator.domain.commands import DisconnectRequest, Job
from orchestrator.domain.events import SignInFinished, SignInRequested
from orchestrator.domain.signin import (
    EXCHANGE_FAILED,
    CallbackOutcome,
    SignInRequest,
    callback_outcome,
    ended_reason,
    ended_result,
    expired,
    expired_result,
    shared_result,
    waiting_call,
    withdrawn_result,
)
from orchestrator.domain.task import Agent, Task, ToolCall, move_call
from orchestrator.domain.views import SignInPrompt
from orchestrator.errors import DeliveryFailed
from orchestrator.ports import (
    ActivityLog,
    JobQueue,
    Notifier,
    SignInProvider,
    SignInStore,
    TaskStore,
)

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 15 * 60.0


def caller_of(task: Task) -> Caller:
    """Whose accounts a task's connector calls use: its requester's, in its workspace."""
    return Caller(team_id=task.thread.team_id, user_id=task.requester)


@dataclass(frozen=True, slots=True)
class CallbackResult:
    outcome: CallbackOutcome
    connector: str = ""


class SignIns:
    def __init__(
        self,
        *,
        provider: SignInProvider,
        store: SignInStore,
        tasks: TaskStore,
        queue: JobQueue,
        notifier: Notifier,
        activity: ActivityLog,
        ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        self._provider = provider
        self._store = store
        self._tasks = tasks
        self._queue = queue
        self._notifier = notifier
        self._activity = activity
        self._ttl_s = ttl_s

    # -- in the worker -------------------------------------------------------------------------

    async def unconnected(self, task: Task, namespaces: set[str]) -> list[str]:
        """The channel's connectors that need the requester's sign-in and do not have it."""
        return await self._provider.unconnected(caller_of(task), namespaces)

    async def request(self, task: Task, agent: Agent, call: ToolCall, connector: str) -> None:
        """Suspend `call` until the requester connects `connector`, and tell them (only them)."""
        if self._provider.mode(connector) == "shared":
            call.finish(shared_result(connector), is_error=True)
            return
        state = secrets.token_urlsafe(32)
        try:
            url, pending = await self._provider.begin_sign_in(connector, caller_of(task), state)
        except ConnectorError as exc:
            call.finish(f"Not run: the sign-in to {connector} cannot start: {exc}", is_error=True)
            return
        now = time.time()
        expires_at = now + self._ttl_s
        request = SignInRequest(
            team_id=task.thread.team_id,
            user_id=task.requester,
            connector=connector,
            task_id=task.id,
            agent_id=agent.id,
            call_id=call.id,
            created_at=now,
            expires_at=expires_at,
            pending=pending,
        )
        await self._store.create(state, request)
        call.status = move_call(call.status, "awaiting_sign_in")
        call.sign_in = connector
        call.sign_in_until = expires_at
        prompt = SignInPrompt(connector=connector, url=url, expires_at=expires_at)
        try:
            await self._notifier.tell(task.thread, task.requester, prompt)
        except DeliveryFailed:
            log.warning("could not ask %s to connect %s", task.requester, connector)
        await self._activity.record(
            SignInRequested(
                task_id=task.id,
                agent_id=agent.id,
                call=call.id,
                connector=connector,
                user=task.requester,
                expires_at=expires_at,
            )
        )

    async def settle(self, task: Task, agent: Agent, call: ToolCall) -> bool:
        """Move a waiting call on: back to `pending` once connected, a result once expired."""
        connector = call.sign_in or ""
        if connector not in await self._provider.unconnected(caller_of(task)):
            call.status = move_call(call.status, "pending")
            call.sign_in = call.sign_in_until = None
            return True
        reason = await self._store.ended(task.id, call.id)
        if reason is not None:
            call.finish(ended_result(connector, task.requester, reason), is_error=True)
            return True
        if not expired(call, time.time()):
            return False
        call.finish(expired_result(connector, task.requester), is_error=True)
        await self._finished(task, agent, call, connector, "expired")
        return True

    async def withdraw(self, task: Task, agent: Agent, call: ToolCall, reason: str) -> None:
        connector = call.sign_in or ""
        call.finish(withdrawn_result(reason), is_error=True)
        await self._finished(task, agent, call, connector, "withdrawn")

    async def sweep(self, now: float | None = None) -> int:
        """Resume tasks whose sign-in requests expired (they tell the model); returns how many."""
        due = await self._store.due(time.time() if now is None else now)
        for task_id in due:
            await self._queue.enqueue(Job(kind="resume", task_id=task_id))
        return len(due)

    async def connect_shared(self, connector: str, team_id: str) -> tuple[str, float]:
        """An admin connects the workspace's shared account: (sign-in URL, when it expires)."""
        state = secrets.token_urlsafe(32)
        shared = Caller(team_id=team_id, user_id="")
        url, pending = await self._provider.begin_sign_in(connector, shared, state)
        now = time.time()
        request = SignInRequest(
            team_id=team_id,
            user_id="",
            connector=connector,
            task_id="",
            agent_id="",
            call_id="",
            created_at=now,
            expires_at=now + self._ttl_s,
            pending=pending,
        )
        await self._store.create(state, request)
        return url, request.expires_at

    async def _shared_callback(
        self, request: SignInRequest, first: bool, code: str | None, iss: str | None
    ) -> CallbackResult:
        refusal = callback_outcome(request, first_use=first, waiting=True, now=time.time())
        if refusal is not None:
            return CallbackResult(refusal, request.connector)
        if not code:
            return CallbackResult("declined", request.connector)
        caller = Caller(team_id=request.team_id, user_id="")
        try:
            await self._provider.finish_sign_in(
                request.connector, caller, request.pending, code=code, iss=iss
            )
        except ConnectorError as exc:
            log.warning("shared sign-in to %s failed: %s", request.connector, exc)
            return CallbackResult("failed", request.connector)
        log.info("the shared account of %s is connected", request.connector)
        return CallbackResult("connected", request.connector)

    async def disconnect(self, request: DisconnectRequest) -> bool:
        """A person disconnects their own account of a per-user connector; True if it was one."""
        if self._provider.mode(request.connector) != "per_user":
            return False
        caller = Caller(team_id=request.team_id, user_id=request.user_id)
        try:
            revoked = await self._provider.disconnect(request.connector, caller)
        except ConnectorError as exc:
            log.warning("could not disconnect %s: %s", request.connector, exc)
            return False
        log.info(
            "%s disconnected %s (revoked at the server: %s)",
            request.user_id,
            request.connector,
            revoked,
        )
        return True

    # -- the OAuth callback (in the listener) --------------------------------------------------

    async def callback(
        self, state: str, *, code: str | None, iss: str | None, error: str | None
    ) -> CallbackResult:
        """Finish the sign-in `state` names, or say why nothing changed."""
        claimed = await self._store.claim(state) if state else None
        request, first = claimed if claimed is not None else (None, False)
        if request is not None and not request.task_id:
            return await self._shared_callback(request, first, code, iss)
        task = await self._tasks.load(request.task_id) if request is not None else None
        found = waiting_call(task, request) if task is not None and request is not None else None
        refusal = callback_outcome(
            request, first_use=first, waiting=found is not None, now=time.time()
        )
        if refusal is not None or request is None or task is None or found is None:
            log.info("sign-in callback changed nothing: %s", refusal)
            return CallbackResult(refusal or "unknown", request.connector if request else "")
        agent, call = found
        if error or not code:
            log.info("sign-in to %s not completed: %s", request.connector, error or "no code")
            return await self._ended(task, agent, call, request.connector, ended_reason(error))
        caller = Caller(team_id=request.team_id, user_id=request.user_id)
        try:
            await self._provider.finish_sign_in(
                request.connector, caller, request.pending, code=code, iss=iss
            )
        except ConnectorError as exc:
            log.warning("sign-in to %s failed: %s", request.connector, exc)
            return await self._ended(task, agent, call, request.connector, EXCHANGE_FAILED)
        await self._finished(task, agent, call, request.connector, "connected")
        await self._queue.enqueue(Job(kind="resume", task_id=task.id))
        return CallbackResult("connected", request.connector)

    async def _ended(
        self, task: Task, agent: Agent, call: ToolCall, connector: str, reason: str
    ) -> CallbackResult:
        """The sign-in came back unconnected: the task resumes and the model is told why."""
        await self._store.end(task.id, call.id, reason)
        outcome: CallbackOutcome = "failed" if reason == EXCHANGE_FAILED else "declined"
        await self._finished(task, agent, call, connector, outcome)
        await self._queue.enqueue(Job(kind="resume", task_id=task.id))
        return CallbackResult(outcome, connector)

    async def _finished(
        self, task: Task, agent: Agent, call: ToolCall, connector: str, outcome: str
    ) -> None:
        await self._activity.record(
            SignInFinished(
                task_id=task.id,
                agent_id=agent.id,
                call=call.id,
                connector=connector,
                user=task.requester,
                outcome=outcome,
            )
        )
