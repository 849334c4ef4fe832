"""`CONNECTORS.md`: the Cowork `~~category` placeholders a plugin's prose uses, and what fills them.

The file is documentation for people and the model; we read its tables only so an admin can see
which categories a plugin expects (`plugins list`) and the orchestrator can tell the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from plugins.problems import Problems

CONNECTORS_FILE = "CONNECTORS.md"
_PLACEHOLDER = re.compile(r"~~[A-Za-z][A-Za-z0-9 /&.-]*[A-Za-z0-9]")
_NONE = {"", "—", "-", "–", "n/a", "none"}


@dataclass(frozen=True)
class ConnectorPlaceholder:
    """`~~CRM` → category "CRM", with the servers the plugin includes and other options."""

    placeholder: str
    category: str
    included: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()


def read_connectors(path: Path, problems: Problems) -> tuple[ConnectorPlaceholder, ...]:
    """Placeholders from the markdown tables of CONNECTORS.md (column layouts vary)."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        problems.warning(path, f"cannot read the file ({exc.strerror}); placeholders unknown")
        return ()
    found: dict[str, ConnectorPlaceholder] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        cells = _cells(line)
        if cells is None:
            header = None
            continue
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        entry = _row(header, cells)
        if entry is not None and entry.placeholder not in found:
            found[entry.placeholder] = entry
    return tuple(found.values())


def _cells(line: str) -> list[str] | None:
    stripped = line.strip()
    if not stripped.startswith("|"):
        return None
    return [cell.strip() for cell in stripped.strip("|").split("|")]


def _row(header: list[str], cells: list[str]) -> ConnectorPlaceholder | None:
    placeholder = next((match[0] for cell in cells if (match := _PLACEHOLDER.search(cell))), None)
    if placeholder is None:
        return None
    return ConnectorPlaceholder(
        placeholder=placeholder,
        category=_column(header, cells, "category") or placeholder.removeprefix("~~"),
        included=_names(_column(header, cells, "included")),
        alternatives=_names(_column(header, cells, "other")),
    )


def _column(header: list[str], cells: list[str], word: str) -> str:
    for index, title in enumerate(header):
        if word in title and index < len(cells):
            return cells[index].strip("`* ")
    return ""


def _names(cell: str) -> tuple[str, ...]:
    names = (name.strip().strip("`*\\ ") for name in cell.split(","))
    return tuple(name for name in names if name.lower() not in _NONE)
