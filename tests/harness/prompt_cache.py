"""The fake Messages API's prompt cache, by the documented rules, and its token counting.

The rules simulated (platform.claude.com prompt-caching and tool-search pages):
- The prompt is one sequence of blocks in the order tools → system → messages: each tool
  definition, each system block, each content block of each message (string content is one
  text block). A cache entry is the prefix of that sequence up to and including a breakpoint;
  it is identified by the exact content (`cache_control` markers aside) and the model.
  `tool_choice` and `thinking` are part of every prefix that reaches past the tools.
- Breakpoints: `cache_control` on a block, plus the top-level `cache_control` of the request
  (automatic caching), which marks the last cacheable block (not thinking, not empty text). At
  most four breakpoints in all; TTL `5m` (default) or `1h`; a 1h breakpoint may not follow a 5m one.
- A read: at each breakpoint the cache looks back over at most 20 block positions (the
  breakpoint's own and the 19 before it) for a live entry; the longest prefix found is read.
  A hit refreshes the entry's TTL.
- A write: every breakpoint whose prefix reaches the model's minimum cacheable length writes
  (or refreshes) its entry. Tokens after the read prefix up to the last written breakpoint are
  `cache_creation_input_tokens` (split by the TTL of the breakpoint that covers them); the rest
  is `input_tokens`. A request whose breakpoints are all below the minimum caches nothing.
- Deferred tools (`defer_loading: true`) are part of the prefix (the tools array is) but cost no
  tokens until a `tool_reference` block loads one; that block then costs the tool's definition.
  A `tool_reference` to a tool that is not in `tools` is a 400 `tool_reference_unresolved`, and a
  request whose tools are all deferred is a 400.

Token counting is a deterministic approximation: a block costs ceil(len(compact JSON) / 4)
tokens, its `cache_control` marker left out (see `estimate_tokens`).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]
Ttl = Literal["5m", "1h"]

TTL_SECONDS: dict[Ttl, float] = {"5m": 300.0, "1h": 3600.0}
LOOKBACK_BLOCKS = 20
MAX_BREAKPOINTS = 4

# Minimum cacheable prompt length by model id prefix (documented values); others: 1024.
MIN_CACHEABLE: tuple[tuple[str, int], ...] = (
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-sonnet-4-6", 2048),
    ("claude-haiku-3", 2048),
)
DEFAULT_MIN_CACHEABLE = 1024

_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})


def estimate_tokens(value: Any) -> int:
    """Characters / 4 (rounded up) of `value` (strings as is, anything else as compact JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return math.ceil(len(text) / 4)


def min_cacheable_tokens(model: str) -> int:
    return next(
        (n for prefix, n in MIN_CACHEABLE if model.startswith(prefix)), DEFAULT_MIN_CACHEABLE
    )


class CacheRequestError(ValueError):
    """What the real API answers with a 400 for a request's cache or tool-search shape."""

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code


@dataclass(frozen=True, slots=True)
class CacheUsage:
    """The input side of a response's `usage`."""

    input_tokens: int
    cache_read_input_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def total_input_tokens(self) -> int:
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    def json(self) -> Json:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_write_5m_tokens,
                "ephemeral_1h_input_tokens": self.cache_write_1h_tokens,
            },
        }


@dataclass(frozen=True, slots=True)
class _Block:
    where: str
    """`tools.3`, `system.0`, `messages.4.content.1`: for error messages."""
    tokens: int
    key: str
    """Digest of the prefix ending with this block."""
    ttl: Ttl | None
    """The TTL of this block's explicit breakpoint, if it has one."""
    cacheable: bool


@dataclass(slots=True)
class _Entry:
    ttl: Ttl
    expires: float


@dataclass(frozen=True, slots=True)
class Prompt:
    """A request read as the cache reads it."""

    blocks: tuple[_Block, ...]
    breakpoints: tuple[tuple[int, Ttl], ...]
    """(block index, TTL) of every breakpoint, in order."""

    @property
    def total_tokens(self) -> int:
        return sum(b.tokens for b in self.blocks)


def read_prompt(body: Json) -> Prompt:
    """Flatten `body` into blocks and breakpoints; raise `CacheRequestError` like the API."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    definitions = {str(t.get("name")): t for t in tools}
    _check_tools(tools)
    digest = hashlib.sha256(str(body.get("model")).encode())
    blocks: list[_Block] = []
    for index, tool in enumerate(tools):
        cost = 0 if tool.get("defer_loading") else estimate_tokens(_unmarked(tool))
        blocks.append(_block(digest, f"tools.{index}", tool, cost))
    digest.update(json.dumps([body.get("tool_choice"), body.get("thinking")]).encode())
    for index, block in enumerate(_as_blocks(body.get("system"))):
        blocks.append(_block(digest, f"system.{index}", block, _cost(block, definitions)))
    for m, message in enumerate(body.get("messages") or []):
        role = message.get("role") if isinstance(message, dict) else None
        digest.update(f"|{role}|".encode())
        content = message.get("content") if isinstance(message, dict) else None
        for c, block in enumerate(_as_blocks(content)):
            where = f"messages.{m}.content.{c}"
            blocks.append(_block(digest, where, block, _cost(block, definitions)))
    return Prompt(tuple(blocks), _breakpoints(blocks, body.get("cache_control")))


def _as_blocks(content: Any) -> list[Json]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [b for b in content or [] if isinstance(b, dict)]


def _unmarked(value: Any) -> Any:
    """`value` without any `cache_control` marker, at any depth."""
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    return value


def _cost(block: Json, definitions: dict[str, Json]) -> int:
    """Tokens of a block; a tool reference costs the definition it loads."""
    cost = estimate_tokens(_unmarked(block))
    for reference in _references(block):
        name = str(reference.get("tool_name"))
        if name not in definitions:
            raise CacheRequestError(
                f"tool_reference to {name!r}, which is not defined in `tools`",
                "tool_reference_unresolved",
            )
        cost += estimate_tokens(_unmarked(definitions[name]))
    return cost


def _references(block: Json) -> list[Json]:
    if block.get("type") == "tool_reference":
        return [block]
    if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
        return [
            b for b in block["content"] if isinstance(b, dict) and b.get("type") == "tool_reference"
        ]
    return []


def _marker(block: Json, where: str) -> Ttl | None:
    """The TTL of the breakpoint on `block` (or inside a tool result's content), if any."""
    markers = [block.get("cache_control")]
    if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
        markers += [b.get("cache_control") for b in block["content"] if isinstance(b, dict)]
    found = [m for m in markers if m is not None]
    if not found:
        return None
    if block.get("type") in _UNCACHEABLE:
        raise CacheRequestError(f"{where}: cache_control cannot be set on {block['type']} blocks")
    if block.get("type") == "text" and not block.get("text"):
        raise CacheRequestError(f"{where}: cache_control cannot be set for empty text blocks")
    ttls = [_ttl(m, where) for m in found]
    return "1h" if "1h" in ttls else "5m"


def _ttl(marker: Any, where: str) -> Ttl:
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
        raise CacheRequestError(f"{where}.cache_control.type: Input should be 'ephemeral'")
    ttl = marker.get("ttl", "5m")
    if ttl not in TTL_SECONDS:
        raise CacheRequestError(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    return ttl  # type: ignore[no-any-return]


def _block(digest: Any, where: str, block: Json, tokens: int) -> _Block:
    digest.update(json.dumps(_unmarked(block), sort_keys=True).encode())
    cacheable = block.get("type") not in _UNCACHEABLE and not (
        block.get("type") == "text" and not block.get("text")
    )
    return _Block(where, tokens, digest.copy().hexdigest(), _marker(block, where), cacheable)


def _breakpoints(blocks: list[_Block], automatic: Any) -> tuple[tuple[int, Ttl], ...]:
    points = {i: b.ttl for i, b in enumerate(blocks) if b.ttl is not None}
    if automatic is not None:
        last = next((i for i in range(len(blocks) - 1, -1, -1) if blocks[i].cacheable), None)
        if last is not None:
            ttl = _ttl(automatic, "cache_control")
            points[last] = "1h" if "1h" in (ttl, points.get(last)) else ttl
    if len(points) > MAX_BREAKPOINTS:
        raise CacheRequestError(
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {len(points)}."
        )
    ordered = tuple((i, ttl) for i, ttl in sorted(points.items()) if ttl is not None)
    for (_, earlier), (later_at, later) in zip(ordered, ordered[1:], strict=False):
        if earlier == "5m" and later == "1h":
            raise CacheRequestError(
                f"{blocks[later_at].where}: a ttl='1h' cache_control block must not come after "
                "a ttl='5m' cache_control block"
            )
    return ordered


def _check_tools(tools: list[Json]) -> None:
    if tools and all(t.get("defer_loading") for t in tools):
        raise CacheRequestError(
            "tools: at least one tool must not have defer_loading set (nothing could load the others)"
        )
    names = [str(t.get("name")) for t in tools]
    if len(set(names)) != len(names):
        raise CacheRequestError("tools: tool names must be unique", "tool_name_conflict")


@dataclass
class PromptCache:
    """One organisation's cache: entries keyed by prefix digest, expiring on `clock`."""

    clock: Callable[[], float] = time.monotonic
    min_tokens: Callable[[str], int] = min_cacheable_tokens
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def use(self, body: Json) -> CacheUsage:
        """Serve `body`: read the longest live prefix, write its breakpoints, report usage."""
        prompt = read_prompt(body)
        now = self.clock()
        with self._lock:
            read_to = self._read(prompt, now)
            written = self._write(prompt, now, str(body.get("model")))
        return _usage(prompt, read_to, written)

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires <= now:
            del self._entries[key]
            return None
        return entry

    def _read(self, prompt: Prompt, now: float) -> int:
        """Number of leading blocks served from the cache (0 when nothing was found)."""
        best = 0
        for at, _ttl in prompt.breakpoints:
            for index in range(at, max(-1, at - LOOKBACK_BLOCKS), -1):
                entry = self._live(prompt.blocks[index].key, now)
                if entry is not None:
                    entry.expires = now + TTL_SECONDS[entry.ttl]
                    best = max(best, index + 1)
                    break
        return best

    def _write(self, prompt: Prompt, now: float, model: str) -> list[tuple[int, Ttl]]:
        minimum = self.min_tokens(model)
        written = []
        prefix = 0
        cumulative = [0]
        for block in prompt.blocks:
            prefix += block.tokens
            cumulative.append(prefix)
        for at, ttl in prompt.breakpoints:
            if cumulative[at + 1] < minimum:
                continue
            key = prompt.blocks[at].key
            entry = self._live(key, now)
            longest = ttl if entry is None or ttl == "1h" else entry.ttl
            self._entries[key] = _Entry(longest, now + TTL_SECONDS[longest])
            written.append((at, ttl))
        return written


def _usage(prompt: Prompt, read_to: int, written: list[tuple[int, Ttl]]) -> CacheUsage:
    tokens = [b.tokens for b in prompt.blocks]
    read = sum(tokens[:read_to])
    by_ttl: dict[Ttl, int] = {"5m": 0, "1h": 0}
    start = read_to
    for at, ttl in written:
        if at + 1 > start:
            by_ttl[ttl] += sum(tokens[start : at + 1])
            start = at + 1
    rest = sum(tokens[start:])
    return CacheUsage(
        input_tokens=max(1, rest) if read == 0 and start == 0 else rest,
        cache_read_input_tokens=read,
        cache_write_5m_tokens=by_ttl["5m"],
        cache_write_1h_tokens=by_ttl["1h"],
    )


def count_input_tokens(body: Json) -> int:
    """All input tokens of a request (what `count_tokens` answers), at least 1."""
    return max(1, read_prompt(body).total_tokens)
