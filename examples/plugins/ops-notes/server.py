"""The `notes` MCP server of the ops-notes example plugin: search and add team notes (stdio).

Notes live in one JSON file: $OPS_NOTES_FILE, or ops-notes/notes.json under the temp directory.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer(
    "ops-notes",
    instructions="Team runbooks and operational notes. Search before adding.",
    version="0.1.0",
)


def notes_file() -> Path:
    configured = os.environ.get("OPS_NOTES_FILE", "").strip()
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "ops-notes" / "notes.json"


def load_notes() -> list[dict[str, object]]:
    path = notes_file()
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else []


def save_notes(notes: list[dict[str, object]]) -> None:
    path = notes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a crash never leaves a half-written notebook.
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(notes, indent=2), encoding="utf-8")
    partial.replace(path)


@server.tool(
    annotations=ToolAnnotations(
        title="Search notes", read_only_hint=True, idempotent_hint=True, open_world_hint=False
    )
)
def search_notes(query: str, tag: str | None = None, limit: int = 10) -> list[dict[str, object]]:
    """Find notes whose title or text contains every word of `query` (case-insensitive),
    optionally only those with `tag`. Newest first."""
    words = query.lower().split()
    matches = [
        note
        for note in load_notes()
        if all(word in f"{note.get('title', '')} {note.get('text', '')}".lower() for word in words)
        and (tag is None or tag in (note.get("tags") or []))
    ]
    matches.sort(key=lambda note: str(note.get("created_at", "")), reverse=True)
    return matches[: max(1, min(limit, 50))]


@server.tool(
    annotations=ToolAnnotations(
        title="Add a note",
        read_only_hint=False,
        destructive_hint=False,
        idempotent_hint=False,
        open_world_hint=False,
    )
)
def add_note(title: str, text: str, tags: list[str] | None = None) -> dict[str, object]:
    """Record a note (a runbook, an incident log entry, a hand-over) in the team's notebook."""
    notes = load_notes()
    note: dict[str, object] = {
        "id": len(notes) + 1,
        "title": title.strip(),
        "text": text.strip(),
        "tags": sorted({tag.strip().lower() for tag in tags or [] if tag.strip()}),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    notes.append(note)
    save_notes(notes)
    return note


if __name__ == "__main__":
    server.run("stdio")
