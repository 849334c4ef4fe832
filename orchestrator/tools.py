"""The toolbox port: which tools an agent sees, and how one of its tool calls gets resolved.

The runner knows nothing about particular tools. A `Toolbox` decides, per call, whether it is
resolved now (internal and read-only tools), suspended (a checkpoint, sub-agents), or refused.
"""

from __future__ import annotations

from typing import Any, Protocol

from orchestrator.task import Agent, Task, ToolCall


class Toolbox(Protocol):
    async def definitions(self, task: Task, agent: Agent) -> list[dict[str, Any]]:
        """Tool definitions (Messages API `tools`) the agent may use on its next turn."""
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


class NoTools:
    """The toolbox of a deployment without plugins: the model can only talk."""

    async def definitions(self, task: Task, agent: Agent) -> list[dict[str, Any]]:
        return []

    def catalogue(self, task: Task, agent: Agent) -> list[str]:
        return []

    def expand_command(self, task: Task, text: str) -> str | None:
        return None

    async def resolve(self, task: Task, agent: Agent, calls: list[ToolCall]) -> None:
        for call in calls:
            if call.status == "pending":
                call.finish(f"No tool named {call.name!r} is available here.", is_error=True)

    async def resume(self, task: Task) -> list[ToolCall]:
        return []  # nothing here ever waits

    async def withdraw(self, task: Task, reason: str) -> list[ToolCall]:
        return []
