"""Turns MCP tool listings and call results into our own types (tools.py).

Text and structured content are capped at a size with a note saying how much was cut; binary
content (images, audio, blobs) and resource links become one summary line each, never inlined.
Everything is passed through the redactor.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Literal

from mcp import types

from connectors.redaction import Redactor, redact_value
from connectors.tools import TextBlock, ToolCallResult, ToolInfo, text_block


def tool_info(
    tool: types.Tool,
    *,
    model_name: str,
    server: str,
    namespace: str,
    connection: Literal["per_user", "shared", "none"] = "none",
) -> ToolInfo:
    hints = tool.annotations
    read_only = bool(hints and hints.read_only_hint is True)
    destructive = False if read_only else not (hints and hints.destructive_hint is False)
    return ToolInfo(
        model_name=model_name,
        server=server,
        namespace=namespace,
        name=tool.name,
        description=tool.description or "",
        input_schema=dict(tool.input_schema or {}),
        title=tool.title or (hints.title if hints else None),
        read_only=read_only,
        destructive=destructive,
        idempotent=bool(hints and hints.idempotent_hint is True),
        open_world=not (hints and hints.open_world_hint is False),
        connection=connection,
    )


def _decoded_size(data: str) -> str:
    try:
        return f"{len(base64.b64decode(data, validate=False))} bytes"
    except (binascii.Error, ValueError):
        return f"{len(data)} base64 characters"


def _resource_line(
    kind: str, uri: str, mime: str | None, size: str | None, name: str | None = None
) -> str:
    details = [f"uri {uri}", f"type {mime or 'unknown'}"]
    if size:
        details.append(size)
    label = f" {name!r}" if name else ""
    return f"[{kind}{label}: " + ", ".join(details) + "]"


def _block_text(block: Any) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        kind = "image" if isinstance(block, types.ImageContent) else "audio"
        return f"[{kind}: {block.mime_type}, {_decoded_size(block.data)}; not shown]"
    if isinstance(block, types.ResourceLink):
        size = f"{block.size} bytes" if block.size is not None else None
        return _resource_line("resource link", block.uri, block.mime_type, size, block.name)
    if isinstance(block, types.EmbeddedResource):
        res = block.resource
        if isinstance(res, types.TextResourceContents):
            head = _resource_line(
                "embedded resource", res.uri, res.mime_type, f"{len(res.text)} characters"
            )
            return f"{head}\n{res.text}"
        return (
            _resource_line("embedded resource", res.uri, res.mime_type, _decoded_size(res.blob))
            + " (binary; not shown)"
        )
    kind = getattr(block, "type", type(block).__name__)
    return f"[{kind} content; not shown]"


def _truncate(texts: list[str], limit: int) -> tuple[list[str], int]:
    total = sum(len(t) for t in texts)
    if total <= limit:
        return texts, 0
    kept: list[str] = []
    budget = limit
    for text in texts:
        if budget <= 0:
            break
        kept.append(text[:budget])
        budget -= len(kept[-1])
    cut = total - limit
    kept.append(f"[output truncated: {cut} of {total} characters cut]")
    return kept, cut


def call_result(
    result: types.CallToolResult, *, redactor: Redactor, limit: int, duration_s: float
) -> ToolCallResult:
    texts = [_block_text(block) for block in result.content]
    has_text = any(isinstance(b, types.TextContent) for b in result.content)
    if result.structured_content is not None and not has_text:
        # The spec asks servers to mirror structured output in text; when one does not, the
        # model still needs to see it.
        structured = redact_value(result.structured_content, redactor)
        texts.append(json.dumps(structured, ensure_ascii=False, indent=1))
    texts = [redactor(t) for t in texts] or ["(no output)"]
    kept, cut = _truncate(texts, limit)
    blocks: tuple[TextBlock, ...] = tuple(text_block(t) for t in kept)
    return ToolCallResult(
        content=blocks, is_error=bool(result.is_error), duration_s=duration_s, truncated_chars=cut
    )
