"""Reading a plugin's files safely: one JSON-object reader, one "stays inside its root" check.

Both record what went wrong in `Problems` (or answer None) instead of raising, so one broken file
never stops the rest of a bundle from loading.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plugins.problems import Problems


def read_json_object(
    path: Path, problems: Problems, *, if_invalid: str, expected: str
) -> dict[str, Any] | None:
    """The JSON object in `path`, or None with an error naming the file.

    `if_invalid` ends the message for a file that is not JSON (what happens now, what to do);
    `expected` is the whole message for valid JSON that is not an object.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        problems.error(path, f"cannot read the file ({exc.strerror}); check its permissions")
        return None
    except json.JSONDecodeError as exc:
        problems.error(
            path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {if_invalid}"
        )
        return None
    if not isinstance(data, dict):
        problems.error(path, expected)
        return None
    return data


def inside(root: Path, path: Path) -> Path | None:
    """`path` resolved, if it stays inside `root` once links and `..` are followed; else None."""
    resolved = path.resolve()
    return resolved if resolved.is_relative_to(root.resolve()) else None
