"""The planning model's port: one request, its reply, and where streamed text goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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
from orchestrator.domain.task import Usage


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
