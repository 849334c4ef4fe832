"""Block Kit renderers: pure functions from orchestrator views to (fallback text, blocks).

No client calls, no clock reads. Output always fits Slack's limits (3,000 characters
per section, about 12,000 of block text per message), so a long answer is split into sections
and cut with a note past that, never rejected.
"""

from __future__ import annotations

from typing import Any

from bot import messages
from orchestrator import Answer, Failure, Progress, View

Rendered = tuple[str, list[dict[str, Any]]]

SECTION_LIMIT = 3000
FALLBACK_LIMIT = 3000
# Slack refuses a message whose blocks hold more than about 13,000 characters of text in all
# (`msg_blocks_too_long`), well before 50 full sections.
MESSAGE_TEXT_BUDGET = 12_000


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
    kept = text[:MESSAGE_TEXT_BUDGET]
    if len(kept) < len(text):
        # Cut at a paragraph or line boundary inside the budget when there is one.
        boundary = max(kept.rfind("\n\n"), kept.rfind("\n"))
        if boundary > MESSAGE_TEXT_BUDGET // 2:
            kept = kept[:boundary]
    blocks = [_section(chunk) for chunk in _chunks(kept, SECTION_LIMIT)]
    if len(kept) < len(text):
        blocks.append(_context(messages.answer_truncated(len(text) - len(kept))))
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
