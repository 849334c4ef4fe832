"""Activity events: what happened in a task, as typed values (a pydantic discriminated union).

Each event is one class with a `kind` tag. The envelope (task, agent, correlation id) becomes the
activity table's columns and the tag its `kind` column; the rest is the event's payload, stored
as-is in the JSON `data` column. Adding an event type is one class here: subclass
`ActivityEvent`, give it a `kind: Literal["…"] = "…"` and its fields. It registers itself, so
`parse` reads it back and `threadwork runs show` prints it (key=value unless the CLI has a
one-line summary for it).

`parse` never fails: a row written by an older schema (missing or differently typed fields) or
of a kind this version does not know comes back as `Unrecognised`, its data untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from orchestrator.domain.checkpoint import Approvers, CheckpointStatus, Risk, Verdict

ENVELOPE = frozenset({"task_id", "agent_id", "correlation_id", "kind"})
"""Fields stored as columns of the activity table rather than in its `data`."""


class ActivityEvent(BaseModel):
    """One entry of the append-only activity log. Subclasses are the event types."""

    model_config = ConfigDict(frozen=True, extra="allow")
    registry: ClassVar[dict[str, type[ActivityEvent]]] = {}

    task_id: str
    agent_id: str | None = None
    correlation_id: str | None = None
    kind: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        tag = cls.model_fields["kind"].default
        if isinstance(tag, str) and tag:
            if tag in ActivityEvent.registry:
                raise TypeError(f"two activity events share the kind {tag!r}")
            ActivityEvent.registry[tag] = cls

    def payload(self) -> dict[str, Any]:
        """What goes into the `data` column: every field but the envelope, JSON-ready."""
        return self.model_dump(mode="json", exclude=set(ENVELOPE))


# Tasks


class TaskCreated(ActivityEvent):
    kind: Literal["task.created"] = "task.created"
    user: str


class TaskMessage(ActivityEvent):
    kind: Literal["task.message"] = "task.message"
    user: str
    ts: str | None = None
    chars: int
    steering: bool = False
    """True when the message joined a turn that was already running."""


class TaskCompleted(ActivityEvent):
    kind: Literal["task.completed"] = "task.completed"
    steps: int


class TaskCancelled(ActivityEvent):
    """A person stopped the task."""

    kind: Literal["task.cancelled"] = "task.cancelled"
    by: str


class TaskFailed(ActivityEvent):
    kind: Literal["task.failed"] = "task.failed"
    code: str
    detail: str | None = None
    attempts: int | None = None


# Feedback on answers


FeedbackValue = Literal["positive", "negative"]


class FeedbackGiven(ActivityEvent):
    """A person pressed 👍 or 👎 under one of the task's answers."""

    kind: Literal["feedback"] = "feedback"
    user: str
    value: FeedbackValue
    message_ts: str | None = None
    """The answer the buttons were under."""


class FeedbackCommented(ActivityEvent):
    """What a person wrote after pressing 👎 (the optional comment dialog)."""

    kind: Literal["feedback.comment"] = "feedback.comment"
    user: str
    comment: str
    message_ts: str | None = None


# Questions to a person


class QuestionAsked(ActivityEvent):
    kind: Literal["question.asked"] = "question.asked"
    call: str
    question: str
    options: list[str] = []
    expires_at: float | None = None


class QuestionAnswered(ActivityEvent):
    kind: Literal["question.answered"] = "question.answered"
    call: str
    by: str
    answer: str


class QuestionExpired(ActivityEvent):
    kind: Literal["question.expired"] = "question.expired"
    call: str


class ElicitationRequested(ActivityEvent):
    """A connector's server asked the person for input during a tool call."""

    kind: Literal["elicitation.requested"] = "elicitation.requested"
    call: str
    server: str
    mode: Literal["form", "url"]
    fields: list[str] = []


class ElicitationAnswered(ActivityEvent):
    """How it ended: accepted (the names of the fields given, never their values), declined,
    or cancelled (it expired or the task stopped)."""

    kind: Literal["elicitation.answered"] = "elicitation.answered"
    call: str
    action: Literal["accept", "decline", "cancel"]
    by: str | None = None
    fields: list[str] = []


# Sign-ins (a person connects a connector account)


class SignInRequested(ActivityEvent):
    kind: Literal["signin.requested"] = "signin.requested"
    call: str
    connector: str
    user: str
    expires_at: float


class SignInFinished(ActivityEvent):
    """The request ended: connected, or why not (expired, withdrawn, declined, failed)."""

    kind: Literal["signin.finished"] = "signin.finished"
    call: str
    connector: str
    user: str
    outcome: str


# The model


class ModelCalled(ActivityEvent):
    kind: Literal["model.call"] = "model.call"
    model: str
    stop_reason: str | None = None
    attempts: int = 1
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    """The part of `cache_write_tokens` written with a 1 hour TTL."""
    cost_usd: float | None = None
    """USD of the call by the price table; None when the model has no price (or the event
    predates pricing)."""


class ModelFailed(ActivityEvent):
    kind: Literal["model.error"] = "model.error"
    code: str
    status: int | None = None
    attempts: int | None = None


# Tools


class ToolCalled(ActivityEvent):
    kind: Literal["tool.call"] = "tool.call"
    tool: str
    server: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    outcome: str
    duration_ms: int | None = None
    error: str | None = None


# Checkpoints (every one names its checkpoint and the status it had when recorded)


CheckpointDecision = Literal[
    "approved", "rejected", "retried", "marked_done", "aborted", "cancelled", "expired"
]


class CheckpointEvent(ActivityEvent):
    checkpoint: str
    status: CheckpointStatus | None = None


class CheckpointCreated(CheckpointEvent):
    kind: Literal["checkpoint.created"] = "checkpoint.created"
    tool: str
    server: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    approvers: Approvers | None = None
    risk: Risk | None = None
    expires_at: float | None = None


class CheckpointDecided(CheckpointEvent):
    kind: Literal["checkpoint.decided"] = "checkpoint.decided"
    decision: CheckpointDecision
    by: str | None = None
    reason: str | None = None


class CheckpointExecuted(CheckpointEvent):
    kind: Literal["checkpoint.executed"] = "checkpoint.executed"
    outcome: Literal["ok", "error", "retrying"]
    duration_ms: int | None = None
    attempt: int | None = None


class CheckpointRefused(CheckpointEvent):
    kind: Literal["checkpoint.refused"] = "checkpoint.refused"
    user: str
    verdict: Verdict | None = None
    why: str | None = None


class CheckpointReminded(CheckpointEvent):
    kind: Literal["checkpoint.reminded"] = "checkpoint.reminded"


class CheckpointOutcomeUnknown(CheckpointEvent):
    kind: Literal["checkpoint.unknown"] = "checkpoint.unknown"
    started_at: float | None = None
    executed_by: str | None = None
    attempt: int | None = None


# Sub-agents


class SubagentStarted(ActivityEvent):
    kind: Literal["subagent.started"] = "subagent.started"
    type: str | None
    brief: str
    model: str
    tools: list[str] | None = None


class SubagentFinished(ActivityEvent):
    kind: Literal["subagent.finished"] = "subagent.finished"
    status: str
    error: str | None = None
    steps: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    summary_chars: int = 0


# The workspace (run_code and files in and out of the thread)


class CodeRan(ActivityEvent):
    kind: Literal["code.run"] = "code.run"
    language: str
    code_sha256: str
    code_chars: int
    duration_ms: int
    exit_code: int | None = None
    stopped: str | None = None
    files: list[str] = Field(default_factory=list)
    """Workspace files the run created or changed."""


class FileReceived(ActivityEvent):
    kind: Literal["file.received"] = "file.received"
    file: str
    path: str
    bytes: int


class FileShared(ActivityEvent):
    kind: Literal["file.shared"] = "file.shared"
    path: str
    bytes: int


# Reading back


class Unrecognised(ActivityEvent):
    """A row this version cannot read as its kind: an older or newer shape, or an unknown kind."""

    data: Any = None

    def payload(self) -> dict[str, Any]:
        return self.data if isinstance(self.data, dict) else {"data": self.data}


def parse(
    kind: str,
    data: Any,
    *,
    task_id: str,
    agent_id: str | None = None,
    correlation_id: str | None = None,
) -> ActivityEvent:
    """The typed event of one stored row (`kind` column, `data` column, envelope columns)."""
    if kind in ActivityEvent.registry and isinstance(data, Mapping):
        fields = {k: v for k, v in data.items() if k not in ENVELOPE}
        envelope = {"task_id": task_id, "agent_id": agent_id, "correlation_id": correlation_id}
        try:
            return _union(tuple(ActivityEvent.registry.values())).validate_python(
                {**fields, **envelope, "kind": kind}
            )
        except ValidationError:
            pass
    return Unrecognised(
        task_id=task_id, agent_id=agent_id, correlation_id=correlation_id, kind=kind, data=data
    )


class _Cache:
    adapter: TypeAdapter[ActivityEvent] | None = None
    members: tuple[type[ActivityEvent], ...] = ()


def _union(members: tuple[type[ActivityEvent], ...]) -> TypeAdapter[ActivityEvent]:
    """The discriminated union of every registered event type (rebuilt when one is added)."""
    if _Cache.adapter is None or _Cache.members != members:
        union = Union[members] if len(members) > 1 else members[0]  # noqa: UP007
        tagged = Annotated[union, Field(discriminator="kind")]  # type: ignore[valid-type]
        _Cache.adapter = TypeAdapter(cast("type[ActivityEvent]", tagged))
        _Cache.members = members
    return _Cache.adapter
