"""What goes out to people: view models the orchestrator asks the `Notifier` to show.

They carry facts and codes only; wording and Block Kit live in the Slack edge (`bot.messages`,
`bot.slack.blocks`), so the orchestrator never composes user-facing text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.domain.budget import BudgetKind
from orchestrator.domain.checkpoint import Checkpoint
from orchestrator.domain.elicitation import FormField

# The entries of `Progress` are task state (saved with the task), so they live in `task`.
from orchestrator.domain.task import CallLine as CallLine
from orchestrator.domain.task import ConnectorDown as ConnectorDown
from orchestrator.domain.task import Note as Note
from orchestrator.domain.task import ProgressEntry, ThreadRef

ProgressState = Literal["working", "waiting", "asking", "connecting", "done", "failed", "stopped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """The task's single progress reply, edited in place as the task moves."""

    state: ProgressState
    entries: tuple[ProgressEntry, ...] = ()
    steps: int = 0
    tokens: int = 0
    task_id: str | None = None
    """Set while the task can be stopped: the Stop button carries it."""
    stopped_by: str | None = None
    subagents: tuple[SubagentCard, ...] = ()
    """The turn's sub-agents, for the plan (each also has its own reply)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The model's answer for this turn of the thread."""

    text: str
    task_id: str | None = None
    """Set for a task's answer: its feedback buttons and reference footer carry it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """The task could not go on; `code` is an `OrchestratorError.code` or `internal_error`."""

    code: str
    correlation_id: str
    attempts: int = 0
    detail: str = ""
    budget: BudgetKind | None = None
    """For `budget_exceeded`: which budget ran out (the thread says what to do about it)."""
    limit: int = 0
    """For `budget_exceeded`: that budget's limit."""
    cost_limit: CostLimit | None = None
    """For `cost_limit`: which ceiling, what was spent and the limit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLimit:
    scope: Literal["task", "channel"]
    spent_usd: float
    limit_usd: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SubagentCard:
    """One sub-agent's reply in the thread: what it works on and how far it got."""

    type: str
    brief: str
    state: ProgressState
    steps: int = 0
    tokens: int = 0
    result: str = ""
    """Its summary when done, or the reason when it failed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointCard:
    """The approval card of one checkpoint, re-rendered in place at every status change."""

    checkpoint: Checkpoint


NoticeCode = Literal[
    "not_an_approver",
    "own_destructive_action",
    "wrong_place",
    "unknown_checkpoint",
    "already_decided",
    "reminder",
    "outcome_unknown",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A short message about a checkpoint: private to a clicker, or a thread reply."""

    code: NoticeCode
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Stopped:
    """The thread's note that a person stopped the task."""

    by: str


ControlCode = Literal[
    "not_allowed_to_stop",
    "nothing_to_stop",
    "unknown_task",
    "not_the_requester",
    "question_closed",
    "feedback_noted",
    "request_closed",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionCard:
    """An `ask_user` question: one button per option while open, then who answered what."""

    call_id: str
    question: str
    options: tuple[str, ...]
    requester: str
    state: Literal["open", "answered", "withdrawn", "expired"] = "open"
    answer: str | None = None
    answered_by: str | None = None
    expires_at: float | None = None
    asked_by: str | None = None
    """The sub-agent (its type) that asked, when it was not the orchestrator."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageTrouble:
    """The thread's note that task storage (Redis) failed mid-task and the work will be retried."""

    correlation_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInPrompt:
    """Told to the requester alone: connect your account of `connector` to go on."""

    connector: str
    """`plugin/server`."""
    url: str
    """The authorization server's sign-in page (carries only the opaque `state`)."""
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlNotice:
    """A private reply to a person's control (why their stop or answer did nothing; thanks for
    their feedback), told to them alone."""

    code: ControlCode
    requester: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ElicitationCard:
    """A connector's request for input mid-call: a form or a link while open, then the outcome."""

    elicitation_id: str
    server: str
    message: str
    mode: Literal["form", "url"]
    requester: str
    url: str | None = None
    expires_at: float | None = None
    state: Literal["open", "accept", "decline", "cancel"] = "open"
    by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ElicitationForm:
    """The modal of a connector's form request, opened for the requester."""

    elicitation_id: str
    server: str
    message: str
    fields: tuple[FormField, ...]
    thread: ThreadRef


View = (
    Progress
    | Answer
    | Failure
    | SubagentCard
    | CheckpointCard
    | Notice
    | Stopped
    | ControlNotice
    | QuestionCard
    | StorageTrouble
    | ElicitationCard
    | SignInPrompt
)


# A person's App Home: not a thread view, published to them alone (`ports.HomeTab`).


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeTask:
    """One of the person's recent tasks, as recorded."""

    task_id: str
    thread: ThreadRef
    status: str
    title: str
    tokens: int
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeAccount:
    """A connector account the person connected (never a token)."""

    connector: str
    connected: bool
    since: float
    """When it was first connected (epoch seconds)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Home:
    """What one person's Home tab shows: only their own tasks, approvals and accounts."""

    user_id: str
    tasks: tuple[HomeTask, ...] = ()
    approvals: tuple[Checkpoint, ...] = ()
    """Checkpoints still pending that this person may decide."""
    accounts: tuple[HomeAccount, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    """Something the enabled plugins offer, suggested to a person who opens the assistant:
    a command (`/plugin:name`) or a skill."""

    kind: Literal["command", "skill"]
    name: str
    """`plugin:name`."""
    description: str
    argument_hint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Spend:
    """Sums over some recorded tasks."""

    tasks: int = 0
    input_tokens: int = 0
    """Uncached + cache written + cache read."""
    cache_read_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandReply:
    """The answer to `/threadwork`, shown to the person who typed it only."""

    verb: Literal["help", "status", "usage", "unknown"]
    text: str = ""
    running: tuple[HomeTask, ...] = ()
    """`status`: the person's tasks that are not finished, newest first."""
    mine: Spend | None = None
    """`usage`: the person's tasks this month (UTC), in every channel."""
    channel: Spend | None = None
    """`usage`: everyone's tasks in the channel this month."""
    channel_id: str = ""
    since: float = 0.0
    """`usage`: start of the month counted (epoch seconds)."""
