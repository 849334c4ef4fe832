"""Maps (namespace, server, tool) to names the model API accepts (`^[a-zA-Z0-9_-]{1,64}$`) and back.

Readable names are `namespace__server__tool` (or `server__tool` without a namespace) when every
part is already clean. Anything else (invalid characters, `__` or edge `_` inside a part, too
long) gets a lossy readable prefix plus `___` and a hash of the exact original triple. Clean names
never contain `___`, so the two forms cannot collide, and the hash keeps lossy ones apart.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from connectors.errors import NameCollision

MAX_LEN = 64
MODEL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_CLEAN_PART = re.compile(r"^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$")
_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_HASH_LEN = 10
_SEP = "__"
_HASH_SEP = "___"


def _parts(namespace: str, server: str, tool: str) -> list[str]:
    return [namespace, server, tool] if namespace else [server, tool]


def _digest(namespace: str, server: str, tool: str) -> str:
    raw = json.dumps([namespace, server, tool], ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:_HASH_LEN]


def model_tool_name(namespace: str, server: str, tool: str) -> str:
    """The deterministic model-facing name of one tool."""
    if not server or not tool:
        raise ValueError("server and tool names must be non-empty")
    parts = _parts(namespace, server, tool)
    readable = _SEP.join(parts)
    if all(_CLEAN_PART.match(p) for p in parts) and len(readable) <= MAX_LEN:
        return readable
    prefix = _INVALID.sub("_", readable)[: MAX_LEN - len(_HASH_SEP) - _HASH_LEN]
    return f"{prefix}{_HASH_SEP}{_digest(namespace, server, tool)}"


def server_prefix(namespace: str, server: str) -> str | None:
    """The readable prefix shared by the clean names of one server's tools, if it has one."""
    parts = _parts(namespace, server, "x")[:-1]
    if all(_CLEAN_PART.match(p) for p in parts):
        return _SEP.join(parts) + _SEP
    return None


@dataclass(frozen=True)
class ToolKey:
    namespace: str
    server: str
    tool: str


@dataclass
class NameTable:
    """Registered names in both directions; refuses a second original under one model name."""

    _by_model: dict[str, ToolKey] = field(default_factory=dict)

    def register(self, namespace: str, server: str, tool: str) -> str:
        key = ToolKey(namespace, server, tool)
        name = model_tool_name(namespace, server, tool)
        existing = self._by_model.get(name)
        if existing is not None and existing != key:
            raise NameCollision(
                f"tool name {name!r} would stand for both {existing} and {key}",
                server=server,
                tool=tool,
            )
        self._by_model[name] = key
        return name

    def drop_server(self, namespace: str, server: str) -> None:
        for name, key in list(self._by_model.items()):
            if (key.namespace, key.server) == (namespace, server):
                del self._by_model[name]

    def lookup(self, model_name: str) -> ToolKey | None:
        return self._by_model.get(model_name)
