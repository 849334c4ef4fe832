"""Deep checks for `plugins validate`: everything loading finds, plus files bodies refer to and
variables servers reference without the admin passing them through.

Loading stays cheap (frontmatter only); validation reads every skill and command body once to
find references to bundled files that do not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

from plugins.config import AdminConfig
from plugins.files import inside
from plugins.passthrough import refused_references
from plugins.plugin import Plugin
from plugins.problems import Problem, Problems
from plugins.registry import PluginRegistry
from plugins.resolve import declaration_texts

# Markdown links to relative targets, and backticked paths into the usual resource folders.
_LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s#]+)(?:#[^)]*)?\)")
_BACKTICK = re.compile(
    r"`(?P<target>(?:\$\{CLAUDE_PLUGIN_ROOT\}/|\$\{CLAUDE_SKILL_DIR\}/|\.\.?/|references/|"
    r"scripts/|assets/|examples/|templates/)[^`\s]+)`"
)


def validate(
    sources: list[Path], config: AdminConfig | None = None
) -> tuple[PluginRegistry, tuple[Problem, ...]]:
    """Load `sources` and check every body's references and every server's `${VAR}` against
    the admin's pass-through list (`config`, empty when absent); all problems, load order first."""
    registry = PluginRegistry.load(sources)
    problems = Problems()
    problems.extend(registry.problems)
    for plugin in registry.plugins.values():
        problems.extend(check_references(plugin))
        problems.extend(check_variables(plugin, config or AdminConfig()))
    return registry, problems.freeze()


def check_variables(plugin: Plugin, config: AdminConfig) -> list[Problem]:
    """An error for each server that references a variable the admin does not pass through."""
    problems = Problems()
    for name, decl in sorted(plugin.mcp_servers.items()):
        override = config.connector_for(plugin.name, name)
        passed = override.pass_env if override is not None else []
        refused = refused_references(declaration_texts(decl), passed)
        if refused:
            problems.error(
                decl.source,
                f"server '{name}' stays off: " + "; ".join(r.reason(name) for r in refused),
            )
    return problems.items


def check_references(plugin: Plugin) -> list[Problem]:
    """A warning for each file a skill or command body mentions that is not in the plugin."""
    problems = Problems()
    for skill in plugin.skills.values():
        _check_text(_safe_read(skill.path), skill.path, skill.folder, plugin.root, problems)
    for command in plugin.commands.values():
        _check_text(
            _safe_read(command.path), command.path, command.path.parent, plugin.root, problems
        )
    return problems.items


def _safe_read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _check_text(text: str, path: Path, base: Path, root: Path, problems: Problems) -> None:
    seen: set[str] = set()
    targets = [m["target"] for m in _LINK.finditer(text)] + [
        m["target"] for m in _BACKTICK.finditer(text)
    ]
    for target in targets:
        if target in seen or _is_external(target):
            continue
        seen.add(target)
        resolved = _resolve(target, base, root)
        if resolved is None:
            problems.warning(
                path,
                f"refers to '{target}', which is outside the plugin folder; "
                "bundle the file inside the plugin",
            )
        elif not resolved.exists():
            problems.warning(
                path,
                f"refers to '{target}', which does not exist; add the file or fix the reference",
            )


def _is_external(target: str) -> bool:
    # Link text like [Source](URL) in templates is not a file reference: files have a suffix.
    if not re.search(r"\.[A-Za-z0-9]{1,8}$|/$", target):
        return True
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)) or target.startswith(
        ("#", "/", "~")
    )


def _resolve(target: str, base: Path, root: Path) -> Path | None:
    for token, folder in (("${CLAUDE_PLUGIN_ROOT}/", root), ("${CLAUDE_SKILL_DIR}/", base)):
        if target.startswith(token):
            return inside(root, folder / target.removeprefix(token))
    relative = inside(root, base / target)
    if relative is not None and not relative.exists() and (root / target).exists():
        return root / target  # some plugins write plugin-root-relative paths in skills
    return relative
