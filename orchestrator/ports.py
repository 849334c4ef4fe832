"""Ports: every Protocol behind which an I/O dependency of the orchestrator sits, and nothing else.

Implementations: `adapters.redis` (`RedisTaskStore`, `RedisIntake`, `RedisCheckpointStore`, `RedisJobQueue`,
`RedisLeases`), `adapters.anthropic.AnthropicModel`, `adapters.sql.activity.SqlActivityLog`,
`tools.toolbox.PluginToolbox` (over a `connectors.ConnectorPool` as its `ToolProvider`),
`connectors.sandbox` (`BubblewrapSandbox` as the `Sandbox`, `Workspaces`); the `Notifier`,
`Directory` and `ThreadFiles` are implemented by the Slack edge (`bot.slack`), `Telemetry` by
`bot.telemetry` (Prometheus and OpenTelemetry; `NoTelemetry` records nothing).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from connectors import Caller, Elicitor, ServerStatus, ToolCallResult, ToolInfo
from connectors.sandbox import Language, RunResult, SandboxLimits, Workspace
from orchestrator.domain.activity import Activity
from orchestrator.domain.checkpoint import Checkpoint
from orchestrator.domain.commands import Job, SharedFile, UserMessage
from orchestrator.domain.context import ThreadPost
from orchestrator.domain.elicitation import Elicitation, Reply
from orchestrator.domain.events import ActivityEvent
from orchestrator.domain.messages import (
    CacheControl,
    ContentBlock,
    Message,
    TextBlock,
    ToolSpec,
    ToolUseBlock,
    text_of,
    tool_uses,
)
from orchestrator.domain.question import Outcome
from orchestrator.domain.rates import Rate
from orchestrator.domain.signin import SignInRequest
from orchestrator.domain.task import Agent, Task, ThreadRef, ToolCall, Usage
from orchestrator.domain.views import (
    Answer,
    Home,
    HomeAccount,
    HomeTask,
    Spend,
    Suggestion,
    View,
)

Delivery = tuple[str, Job]
"""One job read off the queue, with the id that acknowledges it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRequest:
    model: str
    system: list[TextBlock]
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 8192
    cache_control: CacheControl | None = None
    """The request's top-level breakpoint (automatic caching: the last block of the newest
    message); None sends none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelReply:
    content: list[ContentBlock]
    stop_reason: str | None
    usage: Usage
    attempts: int = 1
    request_id: str | None = None

    @property
    def text(self) -> str:
        return text_of(self.content, "\n\n").strip()

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return tool_uses(self.content)


class TextSink(Protocol):
    """Receives a model reply's text as it is generated."""

    async def write(self, delta: str) -> None: ...

    async def restart(self) -> None:
        """The attempt that wrote so far failed and is retried: its text will come again."""
        ...


class ModelClient(Protocol):
    async def complete(self, request: ModelRequest, sink: TextSink | None = None) -> ModelReply:
        """One model turn, its text written to `sink` as it arrives. Retries transient failures
        itself; raises `ModelError` when it gives up."""
        ...


class AnswerStream(Protocol):
    """One answer message in the thread, written while the model writes it. Nothing is sent
    before the first `append`; `finish` or `close` ends it (either may be the only call)."""

    async def append(self, text: str) -> None:
        """More of the answer's text (raw model text: the edge escapes it). Never blocks on Slack."""
        ...

    async def finish(self, answer: Answer) -> None:
        """The turn's final answer: `answer.text` is everything this message should read."""
        ...

    async def close(self) -> None:
        """The turn paused, failed or was stopped: end the message with what it holds."""
        ...


class Notifier(Protocol):
    """Shows views in a Slack thread. Implementations handle rate limits and coalesce edits."""

    def open_answer(self, thread: ThreadRef, recipient: str) -> AnswerStream:
        """A stream for this turn's answer, shown live to `recipient` (the requester)."""
        ...

    async def post(self, thread: ThreadRef, view: View) -> str:
        """Post a new reply in the thread; returns its message id (Slack `ts`)."""
        ...

    async def update(self, thread: ThreadRef, message_id: str, view: View) -> None:
        """Replace a reply's content. May be coalesced with later updates of the same reply."""
        ...

    async def tell(self, thread: ThreadRef, user_id: str, view: View) -> None:
        """Show `view` to one person only (an ephemeral message in the thread)."""
        ...

    async def status(self, thread: ThreadRef, activity: Activity | None) -> None:
        """Show under the thread what the task is doing now; None clears it. Latest wins."""
        ...

    async def flush(self, thread: ThreadRef | None = None) -> None:
        """Wait until the coalesced updates of `thread` (default: of every thread) have been
        delivered."""
        ...


class RateBudget(Protocol):
    """Call budgets shared by every process (e.g. Slack's per-method, per-workspace limits)."""

    async def book(
        self,
        team_id: str,
        method: str,
        rate: Rate,
        *,
        within_s: float,
        channel_id: str = "",
        now_ms: float | None = None,
    ) -> float | None:
        """Book the next free call if it comes within `within_s` and return the seconds until it
        (0.0: at once; the caller then calls without asking again); None, and nothing booked, if
        it is further off (`within_s=0`: take a call only if one is free now)."""
        ...


class Directory(Protocol):
    """Who is in a user group (Slack `usergroups.users.list`); implementations cache."""

    async def members(self, group_id: str, *, team_id: str) -> frozenset[str]:
        """Members of the user group `group_id` of workspace `team_id`."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRecord:
    id: str
    thread: ThreadRef
    requester: str
    status: str
    title: str
    usage: Usage


class ActivityLog(Protocol):
    """Append-only records of what happened (SQL). Never read on the hot path."""

    async def upsert_task(self, record: TaskRecord) -> None: ...

    async def record(self, event: ActivityEvent) -> None:
        """Append one typed event (`orchestrator.domain.events`)."""
        ...


class SpendLedger(Protocol):
    """Money spent on the model per channel and calendar month (UTC): the monthly ceiling's
    running total, kept beside the live state so the hot path never reads the activity log."""

    async def add(self, thread: ThreadRef, month: str, usd: float) -> None: ...

    async def spent(self, thread: ThreadRef, month: str) -> float: ...


class ToolProvider(Protocol):
    async def list_tools(
        self, namespaces: Collection[str] | None = None, caller: Caller | None = None
    ) -> list[ToolInfo]:
        """Tools of the servers of `namespaces` (plugins), or of every server; servers that
        need an account are listed for `caller`, once connected."""
        ...

    def status(self) -> list[ServerStatus]: ...

    async def call(
        self,
        model_name: str,
        arguments: dict[str, Any] | None = None,
        *,
        elicitor: Elicitor | None = None,
        caller: Caller | None = None,
    ) -> ToolCallResult:
        """Run a tool as `caller`; the server's requests for input during the call go to
        `elicitor`. Raises `connectors.SignInRequired` when their account (or the workspace's
        shared one) is not connected."""
        ...


class SignInProvider(Protocol):
    """Connector accounts: who still has to sign in, and the two legs of a sign-in
    (`connectors.ConnectorPool`)."""

    async def unconnected(
        self, caller: Caller, namespaces: Collection[str] | None = None
    ) -> list[str]:
        """Connectors (`plugin/server`) of `namespaces` that `caller` has not connected."""
        ...

    async def begin_sign_in(self, label: str, caller: Caller, state: str) -> tuple[str, str]:
        """(authorize URL, pending values to keep sealed until the redirect)."""
        ...

    def mode(self, label: str) -> str:
        """'per_user', 'shared' (an admin connects it) or 'none'."""
        ...

    async def disconnect(self, label: str, caller: Caller) -> bool:
        """Revoke (RFC 7009, where offered; True then) and forget the account's tokens."""
        ...

    async def finish_sign_in(
        self, label: str, caller: Caller, pending: str, *, code: str, iss: str | None
    ) -> None:
        """Exchange the code and store the tokens sealed; raises `connectors.ConnectorError`."""
        ...


class SignInStore(Protocol):
    """Sign-in requests by their `state` (Redis), and when each expires."""

    async def create(self, state: str, request: SignInRequest) -> None:
        """Keep `request` (its pending values sealed) under `state` until a while past expiry,
        and schedule its expiry."""
        ...

    async def claim(self, state: str) -> tuple[SignInRequest, bool] | None:
        """The request of `state`, and whether this is the first claim (single use)."""
        ...

    async def due(self, now: float, *, count: int = 50) -> list[str]:
        """Task ids with a sign-in request past its expiry; each is handed out once."""
        ...

    async def end(self, task_id: str, call_id: str, reason: str) -> None:
        """The sign-in of that call came back without a connection (cancelled or failed)."""
        ...

    async def ended(self, task_id: str, call_id: str) -> str | None:
        """Why that call's sign-in ended without a connection, if it did."""
        ...


class Toolbox(Protocol):
    async def definitions(self, task: Task, agent: Agent) -> list[ToolSpec]:
        """Tool definitions (Messages API `tools`) for the agent's next turn. The same list on
        every turn of a task (the cache prefix starts with it): tools not found yet are
        announced with `defer_loading` and loaded by `tool_reference` blocks in results."""
        ...

    def catalogue(self, task: Task, agent: Agent) -> list[str]:
        """System prompt sections describing what exists (one line per skill/connector/agent)."""
        ...

    def expand_command(self, task: Task, text: str) -> str | None:
        """The prompt of a `/plugin:command args` message, or None if `text` is not one."""
        ...

    async def resolve(self, task: Task, agent: Agent, calls: list[ToolCall]) -> None:
        """Move every `pending` call of the turn on: run it, suspend it, or fail it.

        Must leave each call in `done`, `failed` or `awaiting_approval` (or a waiting status a
        later job resolves). Runs independent read-only calls concurrently.
        """
        ...

    async def resume(self, task: Task) -> list[ToolCall]:
        """Move on waiting calls whose outside event happened (a decision); returns them."""
        ...

    async def withdraw(self, task: Task, reason: str) -> list[ToolCall]:
        """Give every waiting call a result now (a new message arrived); returns them."""
        ...


class JobQueue(Protocol):
    async def enqueue(self, job: Job) -> None: ...

    async def receive(self, consumer: str, *, count: int, block_ms: int) -> list[Delivery]: ...

    async def reclaim(self, consumer: str, *, idle_ms: int, count: int) -> list[Delivery]: ...

    async def touch(self, consumer: str, delivery_id: str) -> None: ...

    async def touch_all(self, consumer: str, delivery_ids: Collection[str]) -> None:
        """`touch` each of `delivery_ids`: one round trip per stream shard they are on."""
        ...

    async def hand_back(
        self, consumer: str, delivery_ids: Collection[str], *, idle_ms: int
    ) -> None:
        """Mark `delivery_ids` idle for `idle_ms` (their worker is stopping without finishing
        them): the next `reclaim` by any worker takes them."""
        ...

    async def ack(self, delivery_id: str) -> None: ...


class CheckpointStore(Protocol):
    async def pending_ids(self, *, limit: int = 200) -> list[str]:
        """Ids of the checkpoints still pending, oldest first."""
        ...

    async def create(self, checkpoint: Checkpoint) -> Checkpoint:
        """Store `checkpoint` unless one with its id exists; returns the stored one."""
        ...

    async def load(self, checkpoint_id: str) -> Checkpoint | None: ...

    async def save(self, checkpoint: Checkpoint) -> None:
        """Persist if unchanged since loaded (bumps `version`), else raise `CheckpointConflict`."""
        ...

    async def claim_due(self, now: float, *, hold_s: float, count: int = 50) -> list[str]:
        """Ids whose deadline passed; each is held back for `hold_s` while the caller handles it."""
        ...

    async def schedule(self, checkpoint: Checkpoint) -> None:
        """Index `checkpoint` at its next deadline, or drop it from the index if it has none."""
        ...


class TaskStore(Protocol):
    async def load(self, task_id: str) -> Task | None: ...

    async def save(self, task: Task) -> None:
        """Persist `task` if nobody saved since it was loaded; bumps `task.version`.

        Raises `StaleTask` otherwise.
        """
        ...

    async def claim_thread(self, thread: ThreadRef, task_id: str) -> tuple[str, bool]:
        """Bind `thread` to `task_id` unless it already has a task: returns (task id, created)."""
        ...

    async def task_for_thread(self, thread: ThreadRef) -> str | None: ...

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen (within an hour), False for redeliveries."""
        ...

    async def forget_delivery(self, event_id: str) -> None:
        """Forget that an event id was seen, so its next delivery counts as the first."""
        ...


@dataclass(frozen=True, slots=True)
class Admission:
    """What taking in one Slack message event found."""

    repeat: bool = False
    """Slack delivered this event before: nothing else was done."""
    task_id: str | None = None
    """The thread's task; None for a reply in a thread no task owns (ignored)."""
    queued: bool = False
    """A mention opened this task and its first job is queued: nothing is left to do."""


class EventIntake(Protocol):
    """Takes in a message event in one step (one Redis round trip)."""

    async def admit(self, event_id: str, message: UserMessage) -> Admission:
        """Mark `event_id` seen (a repeat does nothing more); find the thread's task; a mention
        in a thread without one opens its task and queues the message's job, all at once."""
        ...

    async def forget(self, event_id: str, thread: ThreadRef) -> None:
        """Forget that the event was seen, so its next delivery counts as the first."""
        ...


class TaskSignals(Protocol):
    """Outside events for a task that may be running in another process: stop, steering input."""

    async def request_stop(self, task_id: str, by: str) -> None:
        """Raise the task's stop flag (the worker running it notices within a poll interval)."""
        ...

    async def stop_requested(self, task_id: str) -> str | None:
        """Who asked to stop the task, if its flag is up."""
        ...

    async def stops_requested(self, task_ids: Sequence[str]) -> dict[str, str]:
        """Who asked to stop each of `task_ids` whose flag is up: one small read of an index of
        stopped tasks (whatever the number of `task_ids`), and one more only when it names some."""
        ...

    async def stop_flags(self, task_ids: Sequence[str]) -> dict[str, str]:
        """The same, read from every task's own flag in one round trip (costs more the more
        tasks; finds a stop whose index entry was lost)."""
        ...

    async def clear_stop(self, task_id: str) -> None: ...

    async def steer(self, task_id: str, message: UserMessage) -> None:
        """Offer `message` to the task's running turn (its next model request picks it up)."""
        ...

    async def take_steering(self, task_id: str) -> list[UserMessage]:
        """The messages offered since the last call, oldest first; they are removed."""
        ...

    async def offer_answer(self, task_id: str, call_id: str, outcome: Outcome) -> bool:
        """Store what closed a question (an answer, or its expiry) unless something did already;
        True if this one won."""
        ...

    async def answer_for(self, task_id: str, call_id: str) -> Outcome | None:
        """What closed a question, if a button press or its deadline stored something."""
        ...

    async def schedule_question(self, task_id: str, call_id: str, expires_at: float) -> None:
        """Remember a waiting question's deadline (every process's sweep sees it)."""
        ...

    async def claim_due_questions(self, now: float, *, hold_s: float) -> list[tuple[str, str]]:
        """(task id, call id) of questions past their deadline, held from other sweepers."""
        ...

    async def drop_question(self, task_id: str, call_id: str) -> None:
        """Forget a question's deadline: it was answered, withdrawn or expired."""
        ...


class TaskHistory(Protocol):
    """The recorded tasks (SQL), read for a person's Home; never on the hot path."""

    async def recent_tasks(self, team_id: str, requester: str, *, limit: int) -> list[HomeTask]:
        """The tasks `requester` started in `team_id`, newest first."""
        ...

    async def spend_since(
        self,
        since: float,
        *,
        team_id: str,
        channel_id: str | None = None,
        requester: str | None = None,
    ) -> Spend:
        """What the tasks started since `since` cost (in a channel, by a person)."""
        ...


class AccountList(Protocol):
    """Connector accounts people connected (the sealed connections, read without unsealing)."""

    async def accounts_of(self, team_id: str, user_id: str) -> list[HomeAccount]: ...


class HomeVisits(Protocol):
    """Who has ever opened their App Home (any process): task changes refresh only their Homes."""

    async def mark(self, team_id: str, user_id: str) -> None: ...

    async def seen(self, team_id: str, user_id: str) -> bool: ...


class HomeTab(Protocol):
    """A person's App Home (Slack `views.publish`). Raises `DeliveryFailed` when refused."""

    async def publish(self, team_id: str, home: Home) -> None: ...


class ElicitationStore(Protocol):
    """Connectors' requests for input waiting in a live tool call, and the replies (any process)."""

    async def save(self, elicitation: Elicitation) -> None: ...

    async def load(self, task_id: str, elicitation_id: str) -> Elicitation | None: ...

    async def offer_reply(self, task_id: str, elicitation_id: str, reply: Reply) -> bool:
        """Store the reply unless one is stored already; True if this one won."""
        ...

    async def reply_for(self, task_id: str, elicitation_id: str) -> Reply | None: ...


class AssistantPane(Protocol):
    """Slack's assistant container: what it suggests to a person opening a conversation.
    Raises `DeliveryFailed` when refused."""

    async def suggest(self, thread: ThreadRef, suggestions: Sequence[Suggestion]) -> None: ...


class ThreadHistory(Protocol):
    """A Slack thread's earlier messages (`conversations.replies`)."""

    async def earlier(self, thread: ThreadRef, before_ts: str) -> list[ThreadPost]:
        """Messages of `thread` older than `before_ts`, oldest first; [] when unreadable."""
        ...


class Leases(Protocol):
    """One worker runs a thread at a time: a lease per task, renewed while its holder works."""

    async def acquire(self, task_id: str, *, wait_s: float) -> str | None:
        """Wait up to `wait_s` for the task's lease; its token, or None if it is still held."""
        ...

    def held(self, task_id: str, token: str) -> AbstractAsyncContextManager[None]:
        """Keep the lease renewed while the body runs; cancel the body if the lease is lost."""
        ...


SpanValue = str | int | float | bool


class Telemetry(Protocol):
    """Metrics and traces of the work, named by what happened; no metrics library leaks inward."""

    def span(self, name: str, **attributes: SpanValue) -> AbstractContextManager[None]:
        """A trace span around the body (nested spans become its children)."""
        ...

    def span_between(
        self, name: str, start_s: float, end_s: float, **attributes: SpanValue
    ) -> None:
        """A span that already happened (epoch seconds), e.g. a checkpoint's wait for a person."""
        ...

    def model_called(self, *, model: str, usage: Usage, seconds: float, outcome: str) -> None: ...

    def tool_called(self, *, connector: str, seconds: float, outcome: str) -> None: ...


class NoTelemetry:
    """The neutral `Telemetry`: records nothing (unit tests, CLI commands)."""

    def span(self, name: str, **attributes: SpanValue) -> AbstractContextManager[None]:
        return nullcontext()

    def span_between(
        self, name: str, start_s: float, end_s: float, **attributes: SpanValue
    ) -> None:
        return None

    def model_called(self, *, model: str, usage: Usage, seconds: float, outcome: str) -> None:
        return None

    def tool_called(self, *, connector: str, seconds: float, outcome: str) -> None:
        return None


class Sandbox(Protocol):
    """Runs code isolated from the host, with only the task's workspace (`connectors.sandbox`)."""

    async def run(
        self, workspace: Workspace, language: Language, code: str, limits: SandboxLimits
    ) -> RunResult:
        """Run `code` to its end or a limit; raises `connectors.errors.SandboxError` only when
        the sandbox itself cannot run (never for what the code does)."""
        ...


class WorkspaceStore(Protocol):
    """Every task's workspace directory (`connectors.sandbox.Workspaces`)."""

    def for_task(self, task_id: str) -> Workspace:
        """The task's workspace, created on first use."""
        ...

    def existing(self, task_id: str) -> Workspace | None: ...

    def remove(self, task_id: str) -> bool: ...

    def sweep(self, *, idle_s: float, now: float | None = None) -> list[str]:
        """Remove workspaces unused for `idle_s`; returns their task ids."""
        ...


class ThreadFiles(Protocol):
    """Files in and out of a Slack thread. Raises `FileTransferFailed` with a reason to show."""

    async def download(self, file: SharedFile, dest: Path, *, max_bytes: int, team_id: str) -> int:
        """Save a shared file's content at `dest` (with the bot token of workspace `team_id`);
        returns its size in bytes."""
        ...

    async def upload(self, thread: ThreadRef, path: Path, *, name: str) -> None:
        """Share the file at `path` in the thread, as `name`."""
        ...
