"""Read one plugin folder into a `Plugin`: manifest, skills, commands, agents, MCP servers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, TypeVar

from plugins.agents import AgentDefinition, load_agent
from plugins.commands import Command, load_command
from plugins.files import inside
from plugins.manifest import MANIFEST, Manifest, read_manifest
from plugins.marketplace import MarketplaceEntry
from plugins.placeholders import CONNECTORS_FILE, ConnectorPlaceholder, read_connectors
from plugins.problems import Problem, Problems
from plugins.servers import McpServerDeclaration, read_mcp_file, read_mcp_map
from plugins.skills import SKILL_FILE, Skill, load_skill

MCP_FILE = ".mcp.json"


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin. Component maps are keyed by name; each type has its own namespace."""

    name: str
    version: str | None
    description: str
    root: Path
    skills: Mapping[str, Skill] = field(default_factory=dict)
    commands: Mapping[str, Command] = field(default_factory=dict)
    agents: Mapping[str, AgentDefinition] = field(default_factory=dict)
    mcp_servers: Mapping[str, McpServerDeclaration] = field(default_factory=dict)
    connectors: tuple[ConnectorPlaceholder, ...] = ()
    problems: tuple[Problem, ...] = ()
    marketplace: str | None = None


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_T = TypeVar("_T", bound=_Named)


def load_plugin(
    folder: Path,
    problems: Problems,
    entry: MarketplaceEntry | None = None,
    marketplace: str | None = None,
) -> Plugin:
    """Read `folder`; every problem is recorded (in `problems` and on the plugin), none raised."""
    own = Problems()
    manifest = _effective_manifest(folder, entry, own)
    name = (entry.name if entry else None) or manifest.name or folder.name
    plugin = Plugin(
        name=name,
        version=manifest.version,
        description=manifest.description,
        root=folder,
        skills=_unique(_skills(name, folder, manifest, entry, own), "skill", own),
        commands=_unique(
            _components(name, folder, manifest.commands, "commands", own, load_command),
            "command",
            own,
        ),
        agents=_unique(
            _components(name, folder, manifest.agents, "agents", own, load_agent), "agent", own
        ),
        mcp_servers=_unique(_servers(name, folder, manifest, own), "MCP server", own),
        connectors=_connectors(folder, own),
        marketplace=marketplace,
    )
    _warn_unsupported(folder, manifest, own)
    if not (plugin.skills or plugin.commands or plugin.agents or plugin.mcp_servers):
        own.warning(
            folder,
            "no skills, commands, agents or MCP servers found; is this the "
            "plugin folder (the one holding .claude-plugin/ or skills/)?",
        )
    problems.extend(own.items)
    return replace(plugin, problems=own.freeze())


def looks_like_plugin(folder: Path) -> bool:
    markers = (
        MANIFEST,
        Path("skills"),
        Path("commands"),
        Path("agents"),
        Path(MCP_FILE),
        Path(SKILL_FILE),
    )
    return any((folder / marker).exists() for marker in markers)


def _effective_manifest(
    folder: Path, entry: MarketplaceEntry | None, problems: Problems
) -> Manifest:
    manifest = read_manifest(folder, problems)
    if entry is None:
        return manifest or Manifest()
    if manifest is None:
        return entry.manifest
    if manifest.name and manifest.name != entry.name:
        problems.warning(
            folder / MANIFEST,
            f"plugin.json names the plugin '{manifest.name}' but the marketplace entry says "
            f"'{entry.name}'; it is registered as '{entry.name}'",
        )
    if not entry.strict:
        problems.warning(
            folder / MANIFEST,
            "marketplace entry has strict: false, so it defines the plugin; plugin.json is ignored",
        )
        return entry.manifest
    fallback = entry.manifest
    return Manifest(
        name=manifest.name,
        version=manifest.version or fallback.version,
        description=manifest.description or fallback.description,
        skills=manifest.skills + fallback.skills,
        commands=manifest.commands if manifest.commands is not None else fallback.commands,
        agents=manifest.agents if manifest.agents is not None else fallback.agents,
        mcp_servers=manifest.mcp_servers
        if manifest.mcp_servers is not None
        else fallback.mcp_servers,
        hooks=manifest.hooks or fallback.hooks,
        display_name=manifest.display_name or fallback.display_name,
    )


def _skills(
    plugin: str,
    root: Path,
    manifest: Manifest,
    entry: MarketplaceEntry | None,
    problems: Problems,
) -> list[Skill]:
    listed_only = entry is not None and not entry.strict and bool(manifest.skills)
    folders: list[Path] = []
    if not listed_only:
        folders.extend(_skill_folders(root / "skills", problems))
    for relative in manifest.skills:
        path = _inside(root, relative, "skills", problems)
        if path is None:
            continue
        folders.extend([path] if (path / SKILL_FILE).is_file() else _skill_folders(path, problems))
    if not folders and (root / SKILL_FILE).is_file() and not (root / "skills").exists():
        folders.append(root)
    loaded = (load_skill(plugin, root, folder / SKILL_FILE, problems) for folder in folders)
    return [skill for skill in loaded if skill is not None]


def _skill_folders(skills_dir: Path, problems: Problems) -> list[Path]:
    if not skills_dir.is_dir():
        return []
    found = []
    for child in sorted(skills_dir.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue  # plain files directly in skills/ are resources (e.g. dashboard.html)
        if (child / SKILL_FILE).is_file():
            found.append(child)
            continue
        nested = sorted(p.parent for p in child.glob(f"*/{SKILL_FILE}"))
        if nested:
            problems.warning(
                child,
                "a folder of skills: loaded the skills inside it, but "
                "Claude Code only finds skills/<name>/SKILL.md — move them up",
            )
            found.extend(nested)
        else:
            problems.warning(child, f"no {SKILL_FILE} in this skill folder; ignored")
    return found


def _components(
    plugin: str,
    root: Path,
    listed: tuple[str, ...] | None,
    default: str,
    problems: Problems,
    loader: Callable[[str, Path, Problems], _T | None],
) -> list[_T]:
    paths = (
        [root / default]
        if listed is None
        else [path for relative in listed if (path := _inside(root, relative, default, problems))]
    )
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.md") if p.is_file()))
        elif path.is_file():
            files.append(path)
        elif listed is not None:
            problems.error(
                root / MANIFEST,
                f"'{default}' lists '{path.relative_to(root)}', which does not exist; fix the path",
            )
    loaded = (loader(plugin, file, problems) for file in files)
    return [item for item in loaded if item is not None]


def _servers(
    plugin: str, root: Path, manifest: Manifest, problems: Problems
) -> list[McpServerDeclaration]:
    servers: list[McpServerDeclaration] = []
    if (root / MCP_FILE).is_file():
        servers.extend(read_mcp_file(plugin, root, root / MCP_FILE, problems))
    declared = manifest.mcp_servers
    if isinstance(declared, dict):
        servers.extend(read_mcp_map(plugin, root, root / MANIFEST, declared, problems))
    elif declared is not None:
        items = [declared] if isinstance(declared, str) else declared
        for relative in items if isinstance(items, list) else []:
            path = _inside(root, str(relative), "mcpServers", problems)
            if path is not None and path.is_file() and path != root / MCP_FILE:
                servers.extend(read_mcp_file(plugin, root, path, problems))
            elif path is not None and not path.is_file():
                problems.error(
                    root / MANIFEST,
                    f"'mcpServers' lists '{relative}', which does not exist; fix the path",
                )
    return servers


def _connectors(root: Path, problems: Problems) -> tuple[ConnectorPlaceholder, ...]:
    path = root / CONNECTORS_FILE
    return read_connectors(path, problems) if path.is_file() else ()


def _inside(root: Path, relative: str, key: str, problems: Problems) -> Path | None:
    if Path(relative).is_absolute() or inside(root, root / relative) is None:
        problems.error(
            root / MANIFEST,
            f"'{key}' path '{relative}' is outside the plugin "
            "folder; use a path starting with ./ inside it",
        )
        return None
    return root / relative


def _unique(items: Iterable[_T], kind: str, problems: Problems) -> dict[str, _T]:
    by_name: dict[str, _T] = {}
    for item in items:
        if item.name in by_name:
            problems.error(
                getattr(item, "path", getattr(item, "source", Path())),
                f"another {kind} is already named '{item.name}'; this one is ignored — rename it",
            )
            continue
        by_name[item.name] = item
    return by_name


def _warn_unsupported(root: Path, manifest: Manifest, problems: Problems) -> None:
    hooks = root / "hooks" / "hooks.json"
    if manifest.hooks or hooks.is_file():
        problems.warning(
            hooks if hooks.is_file() else root / MANIFEST,
            "plugin hooks are not run by Threadwork; ignored",
        )
