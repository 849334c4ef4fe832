"""Our own tool and result types, so that no mcp type leaks to the layers above."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict


class TextBlock(TypedDict):
    """An Anthropic-style text content block."""

    type: Literal["text"]
    text: str


@dataclass(frozen=True)
class ToolInfo:
    """One tool offered by one server, as the planner and the approval policy see it.

    Annotation hints follow the MCP defaults: a tool is read-only only when it says so
    (`readOnlyHint: true`); `destructive` defaults to True when not read-only.
    """

    model_name: str
    server: str
    namespace: str
    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False
    open_world: bool = True
    connection: Literal["per_user", "shared", "none"] = "none"
    """Whose account its calls use: the caller's own (`per_user`), the workspace's (`shared`),
    or none (the server needs no sign-in, or runs as a service account)."""

    @property
    def summary(self) -> str:
        """First non-empty line of the description (for one-line tool catalogues)."""
        for line in self.description.splitlines():
            if line.strip():
                return line.strip()
        return self.title or ""

    def schema_for_model(self) -> dict[str, Any]:
        """The tool definition the model API expects (name, description, input_schema)."""
        return {
            "name": self.model_name,
            "description": self.description or self.title or self.name,
            "input_schema": dict(self.input_schema) or {"type": "object", "properties": {}},
        }


@dataclass(frozen=True)
class ToolCallResult:
    """What a call produced, ready for the model: text blocks, already truncated and redacted."""

    content: tuple[TextBlock, ...]
    is_error: bool = False
    duration_s: float = 0.0
    truncated_chars: int = 0

    @property
    def text(self) -> str:
        return "\n".join(block["text"] for block in self.content)

    def blocks(self) -> list[dict[str, Any]]:
        """Content as plain dicts, e.g. for a `tool_result` block."""
        return [dict(block) for block in self.content]

    @classmethod
    def error(cls, message: str, *, duration_s: float = 0.0) -> ToolCallResult:
        return cls(content=(text_block(message),), is_error=True, duration_s=duration_s)


def text_block(text: str) -> TextBlock:
    return {"type": "text", "text": text}
