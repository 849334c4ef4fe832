"""Cutting text to fit: one rule for every summary, card and trail line.

A cut text ends in "…" and is never longer than its limit; `flat` first folds every run of
whitespace (newlines included) into one space, for one-line summaries.
"""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: str, limit: int, *, flat: bool = False) -> str:
    """`text` if it fits in `limit` characters, else its start and "…" in exactly `limit`."""
    if flat:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
