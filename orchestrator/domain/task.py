"""The task model: a Slack thread's work, its agents, their turns' tool calls, and pure transitions.

This module owns the shape of live state (persisted as JSON by `store`) and the rules for moving
between statuses. It does no I/O. See DESIGN §3: a task is suspended exactly when none of its agents
can make progress; every event that resolves a tool call (a click, a sub-agent finishing, a message)
enqueues a job that runs the task again.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.domain.messages import (
    Message,
    ToolOutput,
    ToolResultBlock,
    as_blocks,
    text_block,
    text_of,
)
from orchestrator.domain.text import clip
from orchestrator.errors import InvalidTransition

TaskStatus = Literal[
    "queued", "running", "awaiting_approval", "awaiting_input", "completed", "failed", "cancelled"
]
AgentStatus = Literal["ready", "waiting", "done", "failed"]
ToolCallStatus = Literal[
    "pending",
    "running",
    "awaiting_approval",
    "awaiting_subagents",
    "awaiting_input",
    "awaiting_sign_in",
    "done",
    "failed",
]

ORCHESTRATOR = "main"

_TASK_MOVES: dict[TaskStatus, frozenset[TaskStatus]] = {
    "queued": frozenset({"running", "cancelled", "failed"}),
    "running": frozenset(
        {"running", "awaiting_approval", "awaiting_input", "completed", "failed", "cancelled"}
    ),
    "awaiting_approval": frozenset({"queued", "running", "cancelled", "failed"}),
    "awaiting_input": frozenset({"queued", "running", "cancelled", "failed"}),
    # A new message in a finished thread opens the next turn of the same conversation.
    "completed": frozenset({"queued", "running"}),
    "failed": frozenset({"queued", "running"}),
    "cancelled": frozenset({"queued", "running"}),
}

_AGENT_MOVES: dict[AgentStatus, frozenset[AgentStatus]] = {
    # `ready` stays `ready` when a new message joins a turn still in progress.
    "ready": frozenset({"ready", "waiting", "done", "failed"}),
    "waiting": frozenset({"ready", "done", "failed"}),
    # A new message opens the orchestrator's next turn; a sub-agent whose last step crashed
    # after it answered still fails.
    "done": frozenset({"ready", "failed"}),
    "failed": frozenset(),
}

_CALL_MOVES: dict[ToolCallStatus, frozenset[ToolCallStatus]] = {
    "pending": frozenset(
        {
            "running",
            "awaiting_approval",
            "awaiting_subagents",
            "awaiting_input",
            "awaiting_sign_in",
            "done",
            "failed",
        }
    ),
    "awaiting_input": frozenset({"done", "failed"}),
    # Once the person connected their account, the call runs as if it had just been asked.
    "awaiting_sign_in": frozenset({"pending", "done", "failed"}),
    "awaiting_approval": frozenset({"running", "done", "failed"}),
    "awaiting_subagents": frozenset({"done", "failed"}),
    "running": frozenset({"done", "failed"}),
    "done": frozenset(),
    "failed": frozenset(),
}


def move_task(current: TaskStatus, target: TaskStatus) -> TaskStatus:
    """Return `target` if a task may go there from `current`, else raise `InvalidTransition`."""
    if target not in _TASK_MOVES[current]:
        raise InvalidTransition("task", current, target)
    return target


def move_agent(current: AgentStatus, target: AgentStatus) -> AgentStatus:
    """Return `target` if an agent may go there from `current`, else raise `InvalidTransition`."""
    if target not in _AGENT_MOVES[current]:
        raise InvalidTransition("agent", current, target)
    return target


def move_call(current: ToolCallStatus, target: ToolCallStatus) -> ToolCallStatus:
    """Return `target` if a tool call may go there from `current`, else raise `InvalidTransition`."""
    if target not in _CALL_MOVES[current]:
        raise InvalidTransition("tool call", current, target)
    return target


def new_id(prefix: str) -> str:
    """A short random id, unguessable enough to be used as an opaque handle in Slack payloads."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ThreadRef(_Model):
    """Where a task lives in Slack."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    team_id: str
    channel_id: str
    thread_ts: str


class Usage(_Model):
    input_tokens: int = 0
    """Uncached input tokens (the API's `input_tokens`)."""
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    """Tokens written to the cache, both TTLs."""
    cache_write_1h_tokens: int = 0
    """The part of `cache_write_tokens` written with a 1 hour TTL."""
    model_calls: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    """Model calls of a model with no price (not in `cost_usd`)."""

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.cache_write_1h_tokens += other.cache_write_1h_tokens
        self.model_calls += other.model_calls
        self.cost_usd += other.cost_usd
        self.unpriced_calls += other.unpriced_calls

    @property
    def all_input_tokens(self) -> int:
        """Every input token: uncached, written to the cache and read from it."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def total(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


def first_line(result: ToolOutput | None, limit: int = 120) -> str:
    """The first line of a tool result's text (cut to `limit`), for one-line summaries."""
    text = text_of(result).strip()
    line = text.splitlines()[0] if text else ""
    return clip(line, limit)


class ToolCall(_Model):
    """One `tool_use` block of a model turn and what became of it."""

    id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)
    status: ToolCallStatus = "pending"
    result: ToolOutput | None = None
    is_error: bool = False
    checkpoint_id: str | None = None
    card_ts: str | None = None
    """The Slack message of an `ask_user` question."""
    expires_at: float | None = None
    """When an `ask_user` question expires unanswered (epoch s)."""
    sign_in: str | None = None
    """While `awaiting_sign_in`: the connector (`plugin/server`) whose account it waits for."""
    sign_in_until: float | None = None
    """When that sign-in request expires (epoch seconds)."""

    @property
    def resolved(self) -> bool:
        return self.status in ("done", "failed")

    def finish(self, result: ToolOutput, *, is_error: bool = False) -> None:
        self.status = move_call(self.status, "failed" if is_error else "done")
        self.result = result
        self.is_error = is_error

    def as_result_block(self) -> ToolResultBlock:
        block: ToolResultBlock = {
            "type": "tool_result",
            "tool_use_id": self.id,
            "content": self.result if self.result is not None else "",
        }
        if self.is_error:
            block["is_error"] = True
        return block


class Agent(_Model):
    """One model conversation: the orchestrator, or a sub-agent working on a brief."""

    id: str
    kind: Literal["orchestrator", "subagent"] = "orchestrator"
    parent_id: str | None = None
    model: str
    parent_call: str | None = None
    """The `spawn_subagents` call of the parent this sub-agent reports to."""
    definition: str | None = None
    system: str | None = None
    brief: str | None = None
    tools: list[str] | None = None
    """Allow-list of tools (plugin agent `tools`, or the subset the parent gave); None = all."""
    denied_tools: list[str] = Field(default_factory=list)
    max_steps: int | None = None
    active_tools: list[str] = Field(default_factory=list)
    """Connector tools found by `find_tools`: their schemas are sent from the next turn on."""
    messages: list[Message] = Field(default_factory=list)
    calls: list[ToolCall] = Field(default_factory=list)
    status: AgentStatus = "ready"
    steps: int = 0
    usage: Usage = Field(default_factory=Usage)
    summary: str | None = None
    error: str | None = None
    progress_ts: str | None = None

    def move(self, target: AgentStatus) -> None:
        self.status = move_agent(self.status, target)

    def awaits_model(self) -> bool:
        """True when the conversation ends with a user turn the model has not answered yet."""
        return bool(self.messages) and self.messages[-1]["role"] == "user" and not self.calls

    def turn_resolved(self) -> bool:
        return bool(self.calls) and all(call.resolved for call in self.calls)

    def close_turn(self) -> None:
        """Send every result of the turn back as one user message, in the order the model asked."""
        self.messages.append(
            {"role": "user", "content": [call.as_result_block() for call in self.calls]}
        )
        self.calls = []

    def add_user_text(self, text: str) -> None:
        """Append a user message; merges into a trailing user turn so roles keep alternating."""
        block = text_block(text)
        if self.messages and self.messages[-1]["role"] == "user" and not self.calls:
            self.messages[-1]["content"] = [*as_blocks(self.messages[-1]["content"]), block]
        else:
            self.messages.append({"role": "user", "content": [block]})


class CallLine(_Model):
    """Progress entry: one tool call of the turn and where it got to."""

    kind: Literal["call"] = "call"
    tool: str
    status: ToolCallStatus
    error: str = ""
    """The first line of a failed call's result."""


class ConnectorDown(_Model):
    """Progress entry: a connector of the channel could not be reached."""

    kind: Literal["connector_down"] = "connector_down"
    connector: str
    """`plugin/server`."""
    error: str


class Note(_Model):
    """Progress entry stored by an older version as a ready-made line; shown as it is."""

    kind: Literal["note"] = "note"
    text: str


ProgressEntry = Annotated[CallLine | ConnectorDown | Note, Field(discriminator="kind")]
PROGRESS_CAP = 12
"""The progress reply shows the last this many entries."""


def with_entry(
    entries: list[ProgressEntry], entry: ProgressEntry, *, once: bool = False
) -> list[ProgressEntry]:
    """`entries` with `entry` appended (unless `once` and it is there), keeping the last few."""
    if once and entry in entries:
        return entries
    return [*entries, entry][-PROGRESS_CAP:]


class Failure(_Model):
    code: str
    correlation_id: str
    detail: str = ""


class Task(_Model):
    """A Slack thread's work. Saved to Redis after every step; `version` guards concurrent saves."""

    id: str
    thread: ThreadRef
    requester: str
    status: TaskStatus = "queued"
    version: int = -1
    """Version of the stored copy this object was loaded from; -1 for a task never saved."""
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    agents: dict[str, Agent] = Field(default_factory=dict)
    applied_messages: list[str] = Field(default_factory=list)
    progress_ts: str | None = None
    progress: list[ProgressEntry] = Field(default_factory=list)
    """What the turn did so far, shown in the progress reply (the last `PROGRESS_CAP`)."""
    turn_first_step: int = 0
    """`steps` when the current turn of the thread began (progress counts this turn only)."""
    turn_first_tokens: int = 0
    turn_first_model_calls: int = 0
    """The orchestrator's model calls when the current turn began (the step budget counts these)."""
    usage: Usage = Field(default_factory=Usage)
    steps: int = 0
    failure: Failure | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_progress_lines(cls, data: Any) -> Any:
        """A task saved before progress was typed keeps its lines, shown as they were."""
        if isinstance(data, dict) and "progress_lines" in data:
            data = dict(data)
            lines = data.pop("progress_lines") or []
            data.setdefault("progress", [{"kind": "note", "text": str(line)} for line in lines])
        return data

    @property
    def orchestrator(self) -> Agent:
        return self.agents[ORCHESTRATOR]

    def move(self, target: TaskStatus) -> None:
        self.status = move_task(self.status, target)
        self.updated_at = time.time()

    def has_applied(self, message_ts: str) -> bool:
        return message_ts in self.applied_messages

    def mark_applied(self, message_ts: str, *, keep: int = 200) -> None:
        self.applied_messages = [*self.applied_messages, message_ts][-keep:]
