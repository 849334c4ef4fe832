"""Block Kit renderers: pure functions from orchestrator views to (fallback text, blocks).

No client calls, no clock reads. Output always fits Slack's limits (50 blocks, 3,000 characters
per section, 40,000 per message), so a long answer is split or cut with a note, never rejected.
"""

from __future__ import annotations

from typing import Any

from bot import messages
from orchestrator import Answer, Failure, Progress, View

Rendered = tuple[str, list[dict[str, Any]]]

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
FALLBACK_LIMIT = 3000


def render(view: View) -> Rendered:
    if isinstance(view, Progress):
        return render_progress(view)
    if isinstance(view, Answer):
        return render_answer(view)
    return render_failure(view)


def render_progress(view: Progress) -> Rendered:
    headline = messages.progress_headline(view.state, view.steps, view.tokens)
    blocks: list[dict[str, Any]] = [_context(headline)]
    if view.lines:
        blocks.append(_context("\n".join(view.lines)[:SECTION_LIMIT]))
    return headline, blocks


def render_answer(view: Answer) -> Rendered:
    text = view.text.strip() or messages.empty_answer()
    chunks = _chunks(text, SECTION_LIMIT)
    blocks = [_section(chunk) for chunk in chunks[:MAX_BLOCKS]]
    if len(chunks) > MAX_BLOCKS:
        cut = sum(len(c) for c in chunks[MAX_BLOCKS - 1 :])
        blocks[-1] = _context(messages.answer_truncated(cut))
    return text[:FALLBACK_LIMIT], blocks


def render_failure(view: Failure) -> Rendered:
    text = messages.failure(view.code, view.correlation_id, view.attempts)
    return text, [_section(text)]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def _chunks(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then hard boundaries so each chunk fits `limit`."""
    out: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n\n")
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest:
        out.append(rest)
    return out
