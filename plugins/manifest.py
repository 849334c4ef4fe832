"""`.claude-plugin/plugin.json`: the plugin's name, version, description and component paths.

Claude Code rejects wrong-typed known keys; we coerce where it is safe and warn, so a plugin
that works elsewhere keeps working here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.fields import is_kebab_case
from plugins.files import read_json_object
from plugins.problems import Problems

MANIFEST = Path(".claude-plugin") / "plugin.json"
KNOWN_KEYS = frozenset(
    {
        "name",
        "displayName",
        "version",
        "description",
        "author",
        "homepage",
        "repository",
        "license",
        "keywords",
        "metadata",
        "$schema",
        "defaultEnabled",
        "skills",
        "commands",
        "agents",
        "outputStyles",
        "workflows",
        "hooks",
        "mcpServers",
        "lspServers",
        "experimental",
        "userConfig",
        "channels",
        "dependencies",
        "category",
        "tags",
        "strict",
        "source",
    }
)


@dataclass(frozen=True)
class Manifest:
    """What plugin.json (or a marketplace entry) says; None/() where it says nothing."""

    name: str | None = None
    version: str | None = None
    description: str = ""
    skills: tuple[str, ...] = ()
    commands: tuple[str, ...] | None = None
    agents: tuple[str, ...] | None = None
    mcp_servers: Any = None
    hooks: bool = False
    display_name: str | None = None


def read_manifest(root: Path, problems: Problems) -> Manifest | None:
    """Read `<root>/.claude-plugin/plugin.json`; None if absent or unreadable (recorded)."""
    path = root / MANIFEST
    if not path.is_file():
        return None
    data = read_json_object(
        path,
        problems,
        if_invalid=f"fix the JSON — until then the plugin is named after its folder '{root.name}'",
        expected='expected a JSON object such as {"name": "my-plugin"}',
    )
    return None if data is None else manifest_from(data, path, problems)


def manifest_from(data: dict[str, Any], path: Path, problems: Problems) -> Manifest:
    """Build a Manifest from a plugin.json object or a marketplace entry."""
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.warning(path, f"unknown keys ignored: {', '.join(unknown)}")
    _check_author(data.get("author"), path, problems)
    _check_keywords(data.get("keywords"), path, problems)
    return Manifest(
        name=_name(data.get("name"), path, problems),
        version=_text(data.get("version"), "version", path, problems),
        description=_text(data.get("description"), "description", path, problems) or "",
        skills=_paths(data.get("skills"), "skills", path, problems) or (),
        commands=_paths(data.get("commands"), "commands", path, problems),
        agents=_paths(data.get("agents"), "agents", path, problems),
        mcp_servers=data.get("mcpServers"),
        hooks="hooks" in data,
        display_name=_text(data.get("displayName"), "displayName", path, problems),
    )


def _name(value: Any, path: Path, problems: Problems) -> str | None:
    if value is None:
        problems.warning(path, "no 'name'; the plugin is named after its folder")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.error(path, f"'name' must be a non-empty string, not {value!r}; fix it")
        return None
    if not is_kebab_case(value):
        problems.warning(
            path, f"name '{value}' is not kebab-case (a-z, 0-9, '-'); tool names may be mangled"
        )
    return value


def _text(value: Any, key: str, path: Path, problems: Problems) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.warning(path, f"'{key}' should be a string; read as '{value}'")
    return str(value)


def _check_author(value: Any, path: Path, problems: Problems) -> None:
    if value is None or isinstance(value, dict):
        return
    problems.warning(
        path,
        'author should be an object such as {"name": "Acme"}; Claude Code rejects a string here',
    )


def _check_keywords(value: Any, path: Path, problems: Problems) -> None:
    if value is None or isinstance(value, list):
        return
    problems.warning(path, "keywords should be a list of strings; Claude Code rejects other types")


def _paths(value: Any, key: str, path: Path, problems: Problems) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        problems.warning(path, f"'{key}' should be a path or a list of paths; ignored")
        return None
    return tuple(items)
