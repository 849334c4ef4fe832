"""`PluginRegistry`: every plugin from a list of plugin or marketplace folders, plus problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plugins.marketplace import MARKETPLACE, is_marketplace, read_marketplace
from plugins.plugin import Plugin, load_plugin, looks_like_plugin
from plugins.problems import Problem, Problems


@dataclass(frozen=True)
class PluginRegistry:
    """Loaded plugins by name. Build with `PluginRegistry.load`; loading never raises."""

    plugins: Mapping[str, Plugin] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @classmethod
    def load(cls, sources: list[Path]) -> PluginRegistry:
        problems = Problems()
        plugins: dict[str, Plugin] = {}
        for source in sources:
            for plugin in _load_source(Path(source), problems):
                _add(plugins, plugin, problems)
        return cls(plugins=plugins, problems=problems.freeze())

    def get(self, name: str) -> Plugin | None:
        return self.plugins.get(name)

    @property
    def has_errors(self) -> bool:
        return any(problem.severity == "error" for problem in self.problems)


def _load_source(source: Path, problems: Problems) -> list[Plugin]:
    if not source.is_dir():
        problems.error(
            source,
            "plugin folder not found; fix the path under 'plugins' in "
            "threadwork.yaml (paths are relative to that file)",
        )
        return []
    if is_marketplace(source):
        loaded = _load_marketplace(source, problems)
        if loaded is not None:
            return loaded
    if not looks_like_plugin(source):
        problems.error(
            source,
            "neither a plugin (no .claude-plugin/plugin.json, skills/, "
            "commands/, agents/ or .mcp.json) nor a marketplace "
            f"(no {MARKETPLACE.as_posix()}); point at the right folder",
        )
        return []
    return [load_plugin(source, problems)]


def _load_marketplace(root: Path, problems: Problems) -> list[Plugin] | None:
    marketplace = read_marketplace(root, problems)
    if marketplace is None:
        return None
    return [
        load_plugin(entry.folder, problems, entry, marketplace=marketplace.name)
        for entry in marketplace.entries
    ]


def _add(plugins: dict[str, Plugin], plugin: Plugin, problems: Problems) -> None:
    existing = plugins.get(plugin.name)
    if existing is None:
        plugins[plugin.name] = plugin
        return
    if existing.root.resolve() == plugin.root.resolve():
        return  # the same folder listed twice (directly and through a marketplace)
    problems.error(
        plugin.root,
        f"a plugin named '{plugin.name}' is already loaded from {existing.root}; this one is "
        "ignored — remove one of them from threadwork.yaml",
    )
