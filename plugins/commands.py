"""Commands (`commands/<name>.md`): user-invoked prompts whose bodies are read when used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plugins.errors import PluginError
from plugins.fields import as_text, is_usable_name
from plugins.frontmatter import FrontmatterError, read_body, read_frontmatter
from plugins.problems import Problems
from plugins.variables import expand_arguments

KNOWN_KEYS = frozenset(
    {
        "description",
        "argument-hint",
        "allowed-tools",
        "model",
        "disable-model-invocation",
        "name",
        "when_to_use",
        "arguments",
        "user-invocable",
        "disallowed-tools",
        "effort",
    }
)


@dataclass(frozen=True)
class Command:
    """`/plugin:name args`: the name and hint for menus; the prompt stays on disk."""

    plugin: str
    name: str
    description: str
    argument_hint: str | None
    path: Path

    def body(self) -> str:
        try:
            return read_body(self.path)
        except OSError as exc:
            raise PluginError(
                f"cannot read command '{self.name}' ({exc.strerror}); check the plugin folder",
                path=self.path,
            ) from exc

    def expand(self, arguments: str) -> str:
        """The prompt with `$ARGUMENTS`, `$ARGUMENTS[N]` and `$1`..`$9` filled in."""
        return expand_arguments(self.body(), arguments)


def load_command(plugin: str, path: Path, problems: Problems) -> Command | None:
    """Read one command file's frontmatter; None (with an error recorded) if it is unusable."""
    name = path.stem
    if not is_usable_name(name):
        problems.error(path, f"command not loaded: '{name}' is not a usable name; rename the file")
        return None
    try:
        front = read_frontmatter(path, problems)
    except FrontmatterError as exc:
        problems.error(path, f"command not loaded: {exc}")
        return None
    data = front.data
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.warning(path, f"unknown frontmatter keys ignored: {', '.join(unknown)}")
    description = as_text(data.get("description")) or _first_line(path)
    if not description:
        problems.warning(path, "command has no description; add 'description:' to its frontmatter")
    return Command(
        plugin=plugin,
        name=name,
        description=description,
        argument_hint=as_text(data.get("argument-hint")),
        path=path,
    )


def _first_line(path: Path) -> str:
    for line in read_body(path).splitlines():
        stripped = line.strip().lstrip("#>").strip()
        if stripped:
            return stripped
    return ""
