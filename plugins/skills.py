"""Skills (`skills/<name>/SKILL.md`): catalog entries whose bodies stay on disk until asked for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.errors import SkillFileError
from plugins.fields import as_bool, as_text, is_usable_name, tool_list
from plugins.files import inside
from plugins.frontmatter import FrontmatterError, read_body, read_frontmatter
from plugins.problems import Problems
from plugins.variables import expand_arguments, substitute_tokens

SKILL_FILE = "SKILL.md"
MAX_DESCRIPTION = 1024
MAX_RESOURCE_BYTES = 1_000_000

# Keys Claude Code / Cowork / the Agent Skills spec define; anything else gets a warning.
KNOWN_KEYS = frozenset(
    {
        "name",
        "description",
        "license",
        "compatibility",
        "metadata",
        "allowed-tools",
        "disallowed-tools",
        "when_to_use",
        "argument-hint",
        "arguments",
        "user-invocable",
        "disable-model-invocation",
        "model",
        "effort",
        "context",
        "agent",
        "background",
        "hooks",
        "paths",
        "shell",
    }
)


@dataclass(frozen=True)
class Skill:
    """One skill: what the catalog shows, plus where to read the rest when it is activated."""

    plugin: str
    name: str
    description: str
    path: Path
    folder: Path
    plugin_root: Path
    argument_hint: str | None = None
    when_to_use: str | None = None
    user_invocable: bool = True
    model_invocable: bool = True
    allowed_tools: tuple[str, ...] | None = None

    def body(self) -> str:
        """The instructions, read from disk now; `${CLAUDE_SKILL_DIR}`/`${CLAUDE_PLUGIN_ROOT}`
        become paths relative to the skill folder (what `read_file` accepts); any other
        `${...}` text is left untouched."""
        try:
            text = read_body(self.path)
        except OSError as exc:
            raise SkillFileError(
                f"cannot read skill '{self.name}' ({exc.strerror}); check the plugin folder",
                path=self.path,
            ) from exc
        root = Path(os.path.relpath(self.plugin_root, self.folder)).as_posix()
        return substitute_tokens(text, {"CLAUDE_SKILL_DIR": ".", "CLAUDE_PLUGIN_ROOT": root})

    def expand(self, arguments: str) -> str:
        """The body with `$ARGUMENTS` and `$1`.. filled, for `/plugin:skill args`."""
        return expand_arguments(self.body(), arguments)

    def resources(self) -> tuple[str, ...]:
        """Files bundled with the skill (relative to its folder), listed but not read."""
        found = [
            path.relative_to(self.folder).as_posix()
            for path in sorted(self.folder.rglob("*"))
            if path.is_file() and path != self.path
        ]
        return tuple(found)

    def read_file(self, relative_path: str) -> str:
        """Read a file the skill refers to, relative to the skill folder.

        Paths may reach other files of the same plugin (`../../CONNECTORS.md` in real plugins)
        but never anything outside the plugin folder, whether by `..`, an absolute path or a
        symlink.
        """
        target = self._confined(relative_path)
        if not target.is_file():
            raise SkillFileError(
                f"skill '{self.name}' has no file '{relative_path}'; "
                f"available: {', '.join(self.resources()) or 'none'}",
                path=target,
            )
        if target.stat().st_size > MAX_RESOURCE_BYTES:
            raise SkillFileError(
                f"'{relative_path}' is larger than {MAX_RESOURCE_BYTES} bytes; read a smaller file",
                path=target,
            )
        return target.read_text(encoding="utf-8", errors="replace")

    def _confined(self, relative_path: str) -> Path:
        requested = Path(relative_path)
        if not relative_path.strip() or requested.is_absolute() or relative_path.startswith("~"):
            raise SkillFileError(
                f"'{relative_path}' is not a path relative to skill '{self.name}'; "
                "use a relative path such as references/guide.md",
                path=self.folder,
            )
        target = inside(self.plugin_root, self.folder / requested)
        if target is None:
            raise SkillFileError(
                f"'{relative_path}' is outside plugin '{self.plugin}'; "
                "a skill may only read files inside its plugin folder",
                path=self.folder,
            )
        return target


def load_skill(
    plugin: str, plugin_root: Path, skill_file: Path, problems: Problems
) -> Skill | None:
    """Read one SKILL.md's frontmatter; None (with an error recorded) if it is unusable."""
    try:
        front = read_frontmatter(skill_file, problems)
    except FrontmatterError as exc:
        problems.error(skill_file, f"skill not loaded: {exc}")
        return None
    data = front.data
    if not front.present:
        problems.warning(
            skill_file,
            "SKILL.md has no frontmatter; add '---' lines with name and description",
        )
    folder = skill_file.parent
    name = _skill_name(data, folder, skill_file, problems)
    description = _description(data, skill_file, problems)
    if description is None:
        return None
    _warn_unknown_keys(data, skill_file, problems)
    return Skill(
        plugin=plugin,
        name=name,
        description=description,
        path=skill_file,
        folder=folder,
        plugin_root=plugin_root,
        argument_hint=as_text(data.get("argument-hint")),
        when_to_use=as_text(data.get("when_to_use")),
        user_invocable=_flag(data, "user-invocable", True, skill_file, problems),
        model_invocable=not _flag(data, "disable-model-invocation", False, skill_file, problems),
        allowed_tools=tool_list(data.get("allowed-tools")),
    )


def _skill_name(data: dict[str, Any], folder: Path, path: Path, problems: Problems) -> str:
    declared = as_text(data.get("name"))
    if not declared:
        problems.warning(path, f"no 'name' in frontmatter; using the folder name '{folder.name}'")
        return folder.name
    if not is_usable_name(declared):
        problems.warning(
            path,
            f"name '{declared}' is not usable as an id (letters, digits, '-', max 64); "
            f"using the folder name '{folder.name}'",
        )
        return folder.name
    if declared != folder.name:
        problems.warning(
            path,
            f"name '{declared}' differs from its folder '{folder.name}'; the skill is "
            f"registered as '{declared}' — rename the folder or the name so they match",
        )
    return declared


def _description(data: dict[str, Any], path: Path, problems: Problems) -> str | None:
    description = as_text(data.get("description"))
    if not description:
        description = _first_paragraph(path)
        if not description:
            problems.error(
                path,
                "skill not loaded: no description; add 'description:' saying what the skill "
                "does and when to use it",
            )
            return None
        problems.warning(
            path, "no 'description' in frontmatter; using the first paragraph of the body"
        )
    if len(description) > MAX_DESCRIPTION:
        problems.warning(
            path,
            f"description is {len(description)} characters (limit {MAX_DESCRIPTION}); "
            "shorten it — long descriptions crowd the catalog",
        )
    return description


def _first_paragraph(path: Path) -> str:
    paragraph: list[str] = []
    for line in read_body(path).splitlines():
        stripped = line.strip()
        if not stripped:
            if paragraph:
                break
            continue
        if not paragraph and stripped.startswith("#"):
            continue
        paragraph.append(stripped)
    return " ".join(paragraph)


def _flag(data: dict[str, Any], key: str, default: bool, path: Path, problems: Problems) -> bool:
    if key not in data:
        return default
    value = as_bool(data[key])
    if value is None:
        problems.warning(path, f"'{key}: {data[key]}' is not true/false; using {default}")
        return default
    return value


def _warn_unknown_keys(data: dict[str, Any], path: Path, problems: Problems) -> None:
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.warning(path, f"unknown frontmatter keys ignored: {', '.join(unknown)}")
