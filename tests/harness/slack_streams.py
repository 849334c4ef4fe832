"""The fake workspace's streaming methods: `chat.startStream`, `chat.appendStream`, `chat.stopStream`.

Argument checks are Slack's: a stream is a thread reply; in a channel (not a DM) it needs
`recipient_user_id` and `recipient_team_id`; `markdown_text` is at most 12,000 characters per call;
chunks are `markdown_text`, `plan_update`, `task_update` or `blocks`; `stopStream` blocks obey the
message limits; a stream Slack closed (stopped, or older than `ttl_s`, five minutes by default)
answers `message_not_in_streaming_state`. The streamed message is an ordinary bot message in the
workspace (its text grows as chunks arrive), so thread waits see it like any reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .block_kit import MESSAGE_MAX_BLOCKS, block_errors
from .slack_ts import next_ts

if TYPE_CHECKING:
    from .slack_workspace import Workspace

Json = dict[str, Any]

MARKDOWN_TEXT_MAX = 12_000
CHUNK_TYPES = frozenset({"markdown_text", "plan_update", "task_update", "blocks"})
DISPLAY_MODES = frozenset({"timeline", "plan"})
TASK_STATUSES = frozenset({"pending", "in_progress", "complete", "error"})


@dataclass
class Stream:
    channel: str
    ts: str
    started: float
    recipient_user_id: str | None
    open: bool = True
    chunks: list[Json] = field(default_factory=list)
    """Every chunk received, in order (`markdown_text` parameters as markdown_text chunks)."""


def _error(code: str, **extra: Any) -> Json:
    return {"ok": False, "error": code, **extra}


class StreamMethods:
    def __init__(self, workspace: Workspace, *, ttl_s: float = 300.0) -> None:
        self._ws = workspace
        self.ttl_s = ttl_s
        self.streams: dict[tuple[str, str], Stream] = {}

    def handlers(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "chat.startStream": self.start,
            "chat.appendStream": self.append,
            "chat.stopStream": self.stop,
        }

    def start(self, args: Json) -> Json:
        channel, thread_ts = args.get("channel"), args.get("thread_ts")
        if not channel:
            return _error("channel_not_found")
        if not thread_ts:
            return _error("invalid_arguments", detail="thread_ts is required")
        if not str(channel).startswith("D"):
            for name in ("recipient_user_id", "recipient_team_id"):
                if not args.get(name):
                    return _error(f"missing_{name}")
        mode = args.get("task_display_mode")
        if mode is not None and mode not in DISPLAY_MODES:
            return _error("invalid_arguments", detail="task_display_mode")
        chunks, problem = _chunks(args)
        if problem:
            return problem
        from .slack_workspace import BOT_USER, SlackMessage

        ts = next_ts()
        self._ws.add_message(
            SlackMessage(str(channel), ts, str(thread_ts), "", (), BOT_USER, 0, streaming=True)
        )
        stream = Stream(str(channel), ts, time.monotonic(), args.get("recipient_user_id"))
        self.streams[(stream.channel, ts)] = stream
        self._apply(stream, chunks)
        return {"ok": True, "channel": channel, "ts": ts}

    def append(self, args: Json) -> Json:
        stream, problem = self._open_stream(args)
        if problem:
            return problem
        assert stream is not None
        chunks, problem = _chunks(args)
        if problem:
            return problem
        if not chunks:
            return _error("no_text")
        self._apply(stream, chunks)
        return {"ok": True, "channel": stream.channel, "ts": stream.ts}

    def stop(self, args: Json) -> Json:
        stream, problem = self._open_stream(args)
        if problem:
            return problem
        assert stream is not None
        chunks, problem = _chunks(args)
        if problem:
            return problem
        blocks = args.get("blocks")
        if blocks is not None:
            errors = block_errors(blocks, max_blocks=MESSAGE_MAX_BLOCKS)
            if errors:
                return _error("invalid_blocks", errors=errors)
        self._apply(stream, chunks)
        stream.open = False
        key = (stream.channel, stream.ts)
        message = self._ws.messages[key]
        extra = tuple(blocks or ())
        self._ws.messages[key] = replace(message, blocks=message.blocks + extra, streaming=False)
        return {"ok": True, "channel": stream.channel, "ts": stream.ts, "message": {}}

    def _open_stream(self, args: Json) -> tuple[Stream | None, Json | None]:
        key = (str(args.get("channel") or ""), str(args.get("ts") or ""))
        if key not in self._ws.messages:
            return None, _error("message_not_found")
        stream = self.streams.get(key)
        if stream is None or not stream.open or time.monotonic() - stream.started > self.ttl_s:
            return None, _error("message_not_in_streaming_state")
        return stream, None

    def _apply(self, stream: Stream, chunks: list[Json]) -> None:
        stream.chunks += chunks
        key = (stream.channel, stream.ts)
        message = self._ws.messages.get(key)
        if message is None:
            return
        text = message.text + "".join(
            str(c.get("text", "")) for c in chunks if c["type"] == "markdown_text"
        )
        self._ws.messages[key] = replace(message, text=text)


def _chunks(args: Json) -> tuple[list[Json], Json | None]:
    """The call's chunks, the `markdown_text` parameter first, or Slack's error."""
    out: list[Json] = []
    text = args.get("markdown_text")
    if text is not None:
        if not isinstance(text, str) or len(text) > MARKDOWN_TEXT_MAX:
            return [], _error("msg_too_long")
        out.append({"type": "markdown_text", "text": text})
    chunks = args.get("chunks")
    if chunks is None:
        return out, None
    if not isinstance(chunks, list):
        return [], _error("invalid_chunks")
    for chunk in chunks:
        problem = _chunk_problem(chunk)
        if problem:
            return [], _error("invalid_chunks", detail=problem)
        out.append(chunk)
    return out, None


def _chunk_problem(chunk: Any) -> str | None:
    if not isinstance(chunk, dict) or chunk.get("type") not in CHUNK_TYPES:
        return "unknown chunk type"
    kind = chunk["type"]
    if kind == "markdown_text":
        text = chunk.get("text")
        if not isinstance(text, str) or len(text) > MARKDOWN_TEXT_MAX:
            return "markdown_text.text"
    elif kind == "plan_update" and not chunk.get("title"):
        return "plan_update.title"
    elif kind == "task_update":
        if not chunk.get("id") or not chunk.get("title"):
            return "task_update.id and title"
        if chunk.get("status", "pending") not in TASK_STATUSES:
            return "task_update.status"
    elif kind == "blocks" and block_errors(chunk.get("blocks"), max_blocks=MESSAGE_MAX_BLOCKS):
        return "blocks"
    return None
