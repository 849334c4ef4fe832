"""Turns: what a person's message in the thread does to its task.

A message opens a turn of the thread's conversation: it becomes the orchestrator's next user
message (attributed to its author), and the per-turn counters (progress, step and token budgets)
start again from here. A finished task takes the message as a new turn of the same conversation.
Applying a message twice is a no-op: messages are keyed by their Slack ts. No I/O.
"""

from __future__ import annotations

from orchestrator.domain.commands import UserMessage
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
