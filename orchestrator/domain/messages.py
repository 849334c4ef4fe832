"""Model messages and tool definitions as typed values: the shapes of the Messages API we use.

These are TypedDicts that mirror the Anthropic SDK's own param types (`MessageParam`,
`TextBlockParam`, `ToolUseBlockParam`, `ToolResultBlockParam`, `ToolParam`): plain JSON-ready
dicts, so they are stored in the task as they are and handed to the SDK by the model adapter
(the only module that imports `anthropic`, so the domain stays free of it). Every shape accepts
keys we do not model (`cache_control`, `citations`, …) and blocks of other types (`thinking`, …)
come back as `OtherBlock`, kept exactly as the API returned them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, NotRequired, TypeGuard, cast

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

_OPEN = ConfigDict(extra="allow")


@with_config(_OPEN)
class CacheControl(TypedDict):
    """A prompt-cache breakpoint; `ttl` absent means the API's default, 5 minutes."""

    type: Literal["ephemeral"]
    ttl: NotRequired[Literal["5m", "1h"]]


@with_config(_OPEN)
class TextBlock(TypedDict):
    type: Literal["text"]
    text: str
    cache_control: NotRequired[CacheControl]


@with_config(_OPEN)
class ToolUseBlock(TypedDict):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]


@with_config(_OPEN)
class ToolReferenceBlock(TypedDict):
    """Loads a tool announced with `defer_loading` (inside a tool result)."""

    type: Literal["tool_reference"]
    tool_name: str


@with_config(_OPEN)
class ImageSource(TypedDict):
    type: Literal["base64"]
    media_type: str
    data: str


@with_config(_OPEN)
class ImageBlock(TypedDict):
    """An image for the model (a workspace file `read_file` shows)."""

    type: Literal["image"]
    source: ImageSource


@with_config(_OPEN)
class ToolResultBlock(TypedDict):
    type: Literal["tool_result"]
    tool_use_id: str
    content: str | list[OutputBlock]
    is_error: NotRequired[bool]


@with_config(_OPEN)
class OtherBlock(TypedDict):
    """A block of a type we pass through untouched (`thinking`, server tool blocks, …)."""

    type: str


ContentBlock = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | OtherBlock
OutputBlock = TextBlock | ToolReferenceBlock | ImageBlock
ToolOutput = str | list[OutputBlock]
"""A tool's result for the model: plain text, or text blocks (and, from `find_tools`, the
`tool_reference` blocks that load the tools it found; from `read_file`, image blocks)."""


@with_config(_OPEN)
class Message(TypedDict):
    role: Literal["user", "assistant"]
    content: str | list[ContentBlock]


@with_config(_OPEN)
class ToolSpec(TypedDict):
    """One tool definition as the model sees it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    defer_loading: NotRequired[bool]
    """Announced only: the model sees it once a `tool_reference` loads it."""


def text_block(text: str) -> TextBlock:
    return {"type": "text", "text": text}


def is_text(block: ContentBlock | ToolReferenceBlock) -> TypeGuard[TextBlock]:
    return block.get("type") == "text"


def is_tool_use(block: ContentBlock) -> TypeGuard[ToolUseBlock]:
    return block.get("type") == "tool_use"


def text_of(
    content: str | Iterable[ContentBlock | ToolReferenceBlock] | None, sep: str = " "
) -> str:
    """The text of a message's content or of a tool's output: its non-empty text blocks, joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return sep.join(block["text"] for block in content if is_text(block) and block["text"])


def tool_uses(content: Iterable[ContentBlock]) -> list[ToolUseBlock]:
    return [block for block in content if is_tool_use(block)]


def as_blocks(content: str | list[ContentBlock]) -> list[ContentBlock]:
    return [text_block(content)] if isinstance(content, str) else content


def output_blocks(blocks: Iterable[dict[str, Any]]) -> list[OutputBlock]:
    """Text blocks from another layer's plain dicts (a connector's result), typed for the model."""
    return [cast(OutputBlock, dict(block)) for block in blocks]
