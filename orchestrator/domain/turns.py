"""Turns: what a person's message in the thread does to its task.

A message opens a turn of the thread's conversation: it becomes the orchestrator's next user
message (attributed to its author), and the per-turn counters (progress, step and token budgets)
start again from here. A finished task takes the message as a new turn of the same conversation.
Applying a message twice is a no-op: messages are keyed by their Slack ts. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.domain.commands import UserMessage
from orchestrator.domain.messages import ContentBlock, tool_uses
from orchestrator.domain.task import ORCHESTRATOR, Agent, Task, TaskStatus

FINISHED: frozenset[TaskStatus] = frozenset({"completed", "failed", "cancelled"})


def new_task(task_id: str, message: UserMessage, *, model: str) -> Task:
    """The task a thread's first message opens: the requester's, with one orchestrator agent."""
    return Task(
        id=task_id,
        thread=message.thread,
        requester=message.user_id,
        agents={ORCHESTRATOR: Agent(id=ORCHESTRATOR, model=model)},
    )


def attributed(message: UserMessage, command: str | None) -> str:
    """The message as the model reads it: who wrote it, and a command's prompt when it ran one."""
    if command is not None:
        return f"<@{message.user_id}> ran {message.text.split()[0]}:\n\n{command}"
    return f"<@{message.user_id}>: {message.text}"


def open_turn(task: Task, message: UserMessage, text: str) -> None:
    """Start the turn of `message` (given to the model as `text`).

    The caller has checked `task.has_applied` and resolved the previous turn's waiting calls.
    """
    main = task.orchestrator
    main.add_user_text(text)
    main.move("ready")
    task.mark_applied(message.message_ts)
    task.progress_ts = None
    task.progress = []
    task.turn_first_step = task.steps
    task.turn_first_tokens = task.usage.total
    task.turn_first_model_calls = main.steps
    task.failure = None
    if task.status in FINISHED:
        task.move("queued")


def tools_read_this_turn(agent: Agent, is_connector: Callable[[str], bool]) -> tuple[str, ...]:
    """Connector tools whose output `agent` read in its current turn before its last reply.

    The turn starts at the last message a person (or, for a sub-agent, its brief) wrote; calls of
    the last assistant message itself are not counted, since their output was not read yet. Tool
    output may carry instructions nobody gave (prompt injection), so an approval card names these.
    """
    history = agent.messages
    if history and history[-1]["role"] == "assistant":
        history = history[:-1]
    start = 0
    for index in range(len(history) - 1, -1, -1):
        message = history[index]
        if message["role"] == "user" and _written(message["content"]):
            start = index
            break
    names: list[str] = []
    for message in history[start:]:
        if message["role"] != "assistant" or isinstance(message["content"], str):
            continue
        for block in tool_uses(message["content"]):
            if is_connector(block["name"]) and block["name"] not in names:
                names.append(block["name"])
    return tuple(names)


def _written(content: str | list[ContentBlock]) -> bool:
    """A user message someone wrote, not one that only carries tool results back."""
    return isinstance(content, str) or not any(b.get("type") == "tool_result" for b in content)
