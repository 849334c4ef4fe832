"""Thread context: what a thread said before the bot was first mentioned in it. Pure, no I/O.

A mention partway down a thread starts its task with the thread's earlier messages (author,
text, attached files), bounded to a character budget; when they do not fit, the oldest are cut
first and the model is told how many were left out.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BUDGET_CHARS = 24_000
"""About 6,000 tokens of earlier messages."""
MESSAGE_CHARS = 4_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadPost:
    """One earlier message of the thread, as the model will read it."""

    author: str
    """A user id (`U…`), or a bot's id for messages from apps."""
    text: str
    files: tuple[str, ...] = ()
    ts: str = ""


def earlier_messages(posts: list[ThreadPost], *, budget_chars: int = DEFAULT_BUDGET_CHARS) -> str:
    """The earlier messages as one block of text (oldest first), or "" when there are none."""
    lines = [_line(post) for post in posts]
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        if used + len(line) > budget_chars:
            break
        kept.append(line)
        used += len(line) + 1
    kept.reverse()
    if not kept:
        return ""
    cut = len(lines) - len(kept)
    head = "Earlier messages in this thread, before you were mentioned (oldest first"
    head += f"; {cut} older message{'s' if cut != 1 else ''} left out):" if cut else "):"
    return head + "\n" + "\n".join(kept)


def _line(post: ThreadPost) -> str:
    text = " ".join(post.text.split())
    if len(text) > MESSAGE_CHARS:
        text = text[: MESSAGE_CHARS - 1] + "…"
    files = f" [files: {', '.join(post.files)}]" if post.files else ""
    return f"- <@{post.author}>: {text}{files}"
