"""Reading Messages API requests the way the real API does: key texts and structural errors.

The fake rejects what the real API would reject with a 400 (missing fields, a tool_use without
its tool_result right after it, a tool_result for an unknown id), so orchestrator bugs that
would fail in production also fail in tests.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def system_text(body: Json) -> str:
    """The system prompt as plain text (string form or list of text blocks)."""
    return _text_of(body.get("system"))


def first_user_text(body: Json) -> str:
    """Text of the first user message: the part of a conversation that never changes."""
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def last_user_text(body: Json) -> str:
    """Text of the last user message (tool results are not text and are skipped)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def tool_results(body: Json) -> list[Json]:
    """Every `tool_result` block in the last user message, in order."""
    messages = body.get("messages") or []
    if not messages or not isinstance(messages[-1].get("content"), list):
        return []
    return [b for b in messages[-1]["content"] if b.get("type") == "tool_result"]


def request_problem(body: Any) -> str | None:
    """The real API's 400 message for `body`, or None when it would be accepted."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    for name, kind in (("model", str), ("max_tokens", int), ("messages", list)):
        if not isinstance(body.get(name), kind):
            return f"{name}: Field required"
    if not body["messages"]:
        return "messages: at least one message is required"
    return _tool_pairing_problem(body["messages"])


def _blocks(message: Any, kind: str) -> list[Json]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind]


def _tool_pairing_problem(messages: list[Any]) -> str | None:
    for index, message in enumerate(messages):
        uses = {b.get("id") for b in _blocks(message, "tool_use")}
        following = messages[index + 1] if index + 1 < len(messages) else None
        answered = {b.get("tool_use_id") for b in _blocks(following, "tool_result")}
        if uses and following is not None and not uses <= answered:
            missing = ", ".join(sorted(str(u) for u in uses - answered))
            return (
                f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {missing}. Each `tool_use` block must have a corresponding "
                "`tool_result` block in the next message."
            )
        previous = messages[index - 1] if index else None
        known = {b.get("id") for b in _blocks(previous, "tool_use")}
        for result in _blocks(message, "tool_result"):
            if result.get("tool_use_id") not in known:
                return (
                    f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {result.get('tool_use_id')}. Each `tool_result` block must have a "
                    "corresponding `tool_use` block in the previous message."
                )
    return None
