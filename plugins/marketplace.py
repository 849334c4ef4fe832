"""`.claude-plugin/marketplace.json`: a catalog of plugins; only local `./path` sources load.

Remote sources (github, url, git-subdir, npm, archive, command) need a download we do not do;
they are reported as warnings telling the admin to fetch the plugin and list its folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.files import inside, read_json_object
from plugins.manifest import Manifest, manifest_from
from plugins.problems import Problems

MARKETPLACE = Path(".claude-plugin") / "marketplace.json"
_REMOTE_KINDS = {
    "github": "repo",
    "url": "url",
    "git-subdir": "url",
    "npm": "package",
    "archive": "url",
    "command": "command",
}


@dataclass(frozen=True)
class MarketplaceEntry:
    """One installable plugin: its local folder and the fields the entry sets."""

    name: str
    folder: Path
    strict: bool
    manifest: Manifest


@dataclass(frozen=True)
class Marketplace:
    name: str
    root: Path
    entries: tuple[MarketplaceEntry, ...]


def is_marketplace(folder: Path) -> bool:
    return (folder / MARKETPLACE).is_file()


def read_marketplace(root: Path, problems: Problems) -> Marketplace | None:
    """Read the catalog at `<root>/.claude-plugin/marketplace.json`; None if unusable."""
    path = root / MARKETPLACE
    no_list = 'expected an object with a "plugins" list; no plugins loaded from it'
    data = read_json_object(path, problems, if_invalid="fix it", expected=no_list)
    if data is None:
        return None
    if not isinstance(data.get("plugins"), list):
        problems.error(path, no_list)
        return None
    name = data.get("name") if isinstance(data.get("name"), str) else root.name
    if not isinstance(data.get("name"), str):
        problems.warning(path, f"no 'name'; the marketplace is called '{root.name}'")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    plugin_root = root / str(metadata.get("pluginRoot", "."))
    entries = []
    for index, raw in enumerate(data["plugins"]):
        entry = _entry(raw, index, root, plugin_root, path, problems)
        if entry is not None:
            entries.append(entry)
    return Marketplace(name=str(name), root=root, entries=tuple(entries))


def _entry(
    raw: Any, index: int, root: Path, plugin_root: Path, path: Path, problems: Problems
) -> MarketplaceEntry | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        problems.error(path, f"plugins[{index}] has no 'name'; skipped — add one")
        return None
    name = raw["name"]
    folder = _local_folder(name, raw.get("source"), root, plugin_root, path, problems)
    if folder is None:
        return None
    strict = raw.get("strict", True) is not False
    entry_fields = {
        k: v
        for k, v in raw.items()
        if k not in {"source", "strict", "category", "tags", "relevance"}
    }
    return MarketplaceEntry(
        name=name,
        folder=folder,
        strict=strict,
        manifest=manifest_from(entry_fields, path, Problems()),
    )


def _local_folder(
    name: str, source: Any, root: Path, plugin_root: Path, path: Path, problems: Problems
) -> Path | None:
    if source is None:
        problems.error(path, f"plugin '{name}' has no 'source'; skipped — add \"./folder\"")
        return None
    if isinstance(source, dict):
        problems.warning(path, _remote_message(name, source))
        return None
    if not isinstance(source, str):
        problems.error(path, f"plugin '{name}': 'source' must be a path or an object; skipped")
        return None
    relative = source.startswith(("./", "../")) or source in {".", "./"}
    folder = (root / source) if relative else (plugin_root / source)
    if inside(root, folder) is None:
        problems.error(
            path, f"plugin '{name}': source '{source}' is outside the marketplace folder; skipped"
        )
        return None
    if not folder.is_dir():
        problems.error(path, f"plugin '{name}': source folder '{source}' does not exist; skipped")
        return None
    return folder


def _remote_message(name: str, source: dict[str, Any]) -> str:
    kind = str(source.get("source", "unknown"))
    where = source.get(_REMOTE_KINDS.get(kind, "url"), "")
    return (
        f"plugin '{name}' comes from {kind} {where}".rstrip()
        + " and is not installable offline; download it and list its folder under "
        "'plugins' in threadwork.yaml"
    )
