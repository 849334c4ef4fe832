"""Split markdown files into YAML frontmatter and body, leniently, as real plugins need.

Only the frontmatter is read at load time (the file is streamed up to the closing `---`), so
skill and command bodies stay on disk until someone asks for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from plugins.problems import Problems

_FENCE = "---"
# `key: value: more` is common in hand-written frontmatter and is invalid YAML.
_UNQUOTED_PAIR = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):[ \t]+(?P<value>[^'\"\[{>|&*!#\s].*)$")


@dataclass(frozen=True)
class Frontmatter:
    """The parsed mapping (empty if the file has none) and whether a fence was present."""

    data: dict[str, Any]
    present: bool


class FrontmatterError(Exception):
    """The frontmatter cannot be read; the message says how to fix it."""


def read_frontmatter(path: Path, problems: Problems) -> Frontmatter:
    """Read only the frontmatter of `path`; raise FrontmatterError if it is unusable."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            lines = _frontmatter_lines(handle)
    except OSError as exc:
        raise FrontmatterError(
            f"cannot read the file ({exc.strerror}); check its permissions"
        ) from exc
    if lines is None:
        return Frontmatter({}, present=False)
    return Frontmatter(_parse(lines, path, problems), present=True)


def read_body(path: Path) -> str:
    """The markdown after the frontmatter (the whole file if it has none)."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    return split_body(text)


def split_body(text: str) -> str:
    """Drop a leading frontmatter block from `text`."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        return text
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == _FENCE:
            return "".join(lines[index + 1 :]).lstrip("\n")
    return text


def _frontmatter_lines(handle: Any) -> list[str] | None:
    first = handle.readline()
    if first.strip() != _FENCE:
        return None
    lines: list[str] = []
    for line in handle:
        if line.strip() == _FENCE:
            return lines
        lines.append(line)
    raise FrontmatterError(
        "the frontmatter opened with '---' is never closed; add a '---' line after it"
    )


def _parse(lines: list[str], path: Path, problems: Problems) -> dict[str, Any]:
    text = "".join(lines)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        data = _parse_leniently(lines, exc)
        problems.warning(
            path,
            f"frontmatter is not valid YAML ({_describe(exc)}); read it leniently — "
            "quote values that contain ': '",
        )
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontmatterError(
            "the frontmatter is not a set of 'key: value' lines; write e.g. 'name: my-skill'"
        )
    return {str(key): value for key, value in data.items()}


def _parse_leniently(lines: list[str], original: yaml.YAMLError) -> Any:
    fixed = []
    for line in lines:
        match = _UNQUOTED_PAIR.match(line.rstrip("\n"))
        if match and ": " in match["value"]:
            value = match["value"].replace("\\", "\\\\").replace('"', '\\"')
            line = f'{match["key"]}: "{value}"\n'
        fixed.append(line)
    try:
        return yaml.safe_load("".join(fixed))
    except yaml.YAMLError:
        raise FrontmatterError(
            f"the frontmatter is not valid YAML ({_describe(original)}); fix that line"
        ) from original


def _describe(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "syntax error"
    if mark is None:
        return str(problem)
    # +2: one for 1-based lines, one for the opening '---' line.
    return f"line {mark.line + 2}: {problem}"
