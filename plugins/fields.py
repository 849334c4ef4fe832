"""Coerce the loosely typed values found in real frontmatter into plain Python values."""

from __future__ import annotations

import re
from typing import Any

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


def as_text(value: Any) -> str | None:
    """A string for any scalar or list (`argument-hint: [a, b]` parses as a YAML list)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def as_bool(value: Any) -> bool | None:
    """True/False for YAML booleans, 0/1 and yes/no/on/off strings; None if not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def tool_list(value: Any) -> tuple[str, ...] | None:
    """Tool patterns from a YAML list, a comma string or a space string; None when absent."""
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(str(item).strip() for item in value if str(item).strip())
    return tuple(_split_patterns(str(value)))


def _split_patterns(text: str) -> list[str]:
    # Split on commas/whitespace, but not inside parentheses: `Bash(git diff:*)` is one pattern.
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0 and (char == "," or char.isspace()):
            _flush(current, parts)
            continue
        current.append(char)
    _flush(current, parts)
    return parts


def _flush(current: list[str], parts: list[str]) -> None:
    token = "".join(current).strip()
    if token:
        parts.append(token)
    current.clear()


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def is_usable_name(name: str) -> bool:
    """Can `name` be used as an id (skill, command, agent) in tool enums and slash commands?"""
    return bool(_NAME.match(name))


_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def is_kebab_case(name: str) -> bool:
    return bool(_KEBAB.match(name))
