"""What the fake model answers: turn values and their Messages API JSON and SSE renderings.

The shapes are the ones the installed `anthropic` SDK accepts with strict response validation:
a `message` object for JSON replies, and for `stream: true` the sequence `message_start`,
`content_block_start/delta/stop` per block (`text_delta`, `input_json_delta`), `message_delta`
with the stop reason and output usage, `message_stop`. Usage numbers are estimates
(characters / 4, see `prompt_cache`) so tests can check token accounting against
`estimate_tokens`; the input side comes from the simulated prompt cache.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .prompt_cache import CacheUsage, count_input_tokens, estimate_tokens

Json = dict[str, Any]
Event = tuple[str, Json]

StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "pause_turn", "refusal"]


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class ToolUse:
    """A tool call; usable as a block of a `Turn` or, alone, as a whole turn."""

    name: str
    input: Json = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Turn:
    """One model answer. `stop_reason=None` means tool_use if any ToolUse block, else end_turn;
    `usage=None` means estimated `(input, output)`. With `hold`, the server answers only once
    the event is set (a test can then act while the call is in flight)."""

    blocks: Sequence[Text | ToolUse] = ()
    stop_reason: StopReason | None = None
    usage: tuple[int, int] | None = None
    delay_s: float = 0.0
    hold: threading.Event | None = field(default=None, compare=False)
    text_gap_s: float = 0.0
    """With a gap, text streams in pieces of about `PIECE_CHARS`, `text_gap_s` apart (a model
    writing at a human-visible pace)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))


@dataclass(frozen=True)
class Reply:
    """A plain text answer (end_turn)."""

    text: str
    delay_s: float = 0.0
    hold: threading.Event | None = field(default=None, compare=False)
    text_gap_s: float = 0.0


@dataclass(frozen=True)
class Error:
    """An HTTP error answer with the API's error body (529 overloaded by default)."""

    status: int = 529
    type: str = "overloaded_error"
    message: str = "Overloaded"
    retry_after_ms: int | None = 5
    hold: threading.Event | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StreamError:
    """A 200 SSE stream that emits `after_events` events of `partial`, then `event: error`.
    Asked without `stream: true`, it is answered as an HTTP 529/500 `Error` of the same type."""

    type: str = "overloaded_error"
    message: str = "Overloaded"
    after_events: int = 2
    partial: Turn = field(default_factory=lambda: Turn(blocks=(Text("Let me"),)))
    hold: threading.Event | None = field(default=None, compare=False)


TurnLike = Turn | Reply | ToolUse | Error | StreamError
Answer = Turn | Error | StreamError


def as_answer(turn: TurnLike) -> Answer:
    """Normalise the shorthand forms to `Turn`, `Error` or `StreamError`."""
    if isinstance(turn, Reply):
        return Turn(
            blocks=(Text(turn.text),),
            delay_s=turn.delay_s,
            hold=turn.hold,
            text_gap_s=turn.text_gap_s,
        )
    if isinstance(turn, ToolUse):
        return Turn(blocks=(turn,))
    if isinstance(turn, Turn | Error | StreamError):
        return turn
    raise TypeError(f"a fake model turn must be Turn/Reply/ToolUse/Error/StreamError, got {turn!r}")


def estimate_input_tokens(body: Json) -> int:
    """The fake's input-token count for a request (every block of tools, system and messages;
    uncached, cache-written and cache-read together), at least 1."""
    return count_input_tokens(body)


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def resolved_blocks(turn: Turn) -> tuple[Text | ToolUse, ...]:
    """The turn's blocks with every tool use given an id."""
    return tuple(
        ToolUse(b.name, b.input, _new_id("toolu_")) if isinstance(b, ToolUse) and not b.id else b
        for b in turn.blocks
    )


def stop_reason_of(turn: Turn) -> str:
    if turn.stop_reason:
        return turn.stop_reason
    return "tool_use" if any(isinstance(b, ToolUse) for b in turn.blocks) else "end_turn"


@dataclass(frozen=True)
class Usage:
    """A response's usage: the input side as the cache served it, and the output tokens."""

    input: CacheUsage
    output_tokens: int

    @property
    def pair(self) -> tuple[int, int]:
        """`(input_tokens, output_tokens)`: the uncached input and the output."""
        return self.input.input_tokens, self.output_tokens


def usage_of(turn: Turn, body: Json, cached: CacheUsage | None = None) -> Usage:
    """The turn's usage: its explicit `(input, output)` if set (nothing cached), else the
    estimated output and `cached` (or the whole prompt uncached)."""
    if turn.usage is not None:
        return Usage(CacheUsage(turn.usage[0]), turn.usage[1])
    output = sum(
        estimate_tokens(b.text) if isinstance(b, Text) else estimate_tokens(b.input)
        for b in turn.blocks
    )
    return Usage(cached or CacheUsage(estimate_input_tokens(body)), max(1, output))


def _block_json(block: Text | ToolUse) -> Json:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}


def _usage_json(usage: Usage) -> Json:
    return {**usage.input.json(), "output_tokens": usage.output_tokens}


def message_json(
    blocks: tuple[Text | ToolUse, ...], stop_reason: str, usage: Usage, model: str
) -> Json:
    return {
        "id": _new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [_block_json(b) for b in blocks],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": _usage_json(usage),
    }


def _halves(text: str) -> list[str]:
    """Split into two chunks so clients really assemble deltas (one chunk if too short)."""
    middle = len(text) // 2
    return [text[:middle], text[middle:]] if middle else [text]


PIECE_CHARS = 16


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [text]


def sse_events(
    blocks: tuple[Text | ToolUse, ...],
    stop_reason: str,
    usage: Usage,
    model: str,
    *,
    paced: bool = False,
) -> list[Event]:
    start = message_json((), stop_reason, Usage(usage.input, 1), model)
    start["stop_reason"] = None
    events: list[Event] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(blocks):
        events += _block_events(index, block, paced=paced)
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": usage.output_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _block_events(index: int, block: Text | ToolUse, *, paced: bool = False) -> list[Event]:
    if isinstance(block, Text):
        opening: Json = {"type": "text", "text": ""}
        parts = _pieces(block.text) if paced else _halves(block.text)
        deltas = [{"type": "text_delta", "text": part} for part in parts]
    else:
        opening = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": part}
            for part in _halves(json.dumps(block.input))
        ]
    events: list[Event] = [
        (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
    ]
    for delta in deltas:
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def error_json(error_type: str, message: str) -> Json:
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": _new_id("req_"),
    }


def sse_bytes(event: str, data: Json) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
