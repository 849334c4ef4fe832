"""Which environment variables may reach a connector: the admin's pass-through rule.

A plugin's `.mcp.json` may reference `${NAME}` only for names the admin lists in
`connectors.<name>.pass_env`; values the admin writes in `threadwork.yaml` may reference any
variable. Threadwork's own credentials and endpoints are never passed, whoever asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plugins.variables import variable_references

RESERVED_PREFIXES = ("SLACK_", "ANTHROPIC_", "THREADWORK_")
RESERVED_NAMES = frozenset({"REDIS_URL", "DATABASE_URL"})
# Set by Threadwork itself for every plugin, never read from the environment.
BUILT_IN = frozenset({"CLAUDE_PLUGIN_ROOT"})


def is_reserved(name: str) -> bool:
    """True for the bot's own variables, which no connector ever receives."""
    return name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES)


@dataclass(frozen=True)
class Refused:
    """A `${name}` reference that will not be expanded, and why."""

    name: str
    reserved: bool

    def reason(self, connector: str) -> str:
        if self.reserved:
            return (
                f"${{{self.name}}} is one of Threadwork's own settings and is never passed to a "
                "connector; remove the reference"
            )
        return (
            f"${{{self.name}}} is not passed through; add {self.name} to "
            f"connectors.{_key(connector)}.pass_env in threadwork.yaml to allow it"
        )


def refused_references(texts: Iterable[str], passed: Iterable[str]) -> list[Refused]:
    """References in plugin-written `texts` that may not be expanded (in order, once each).

    A reference with a default (`${NAME:-value}`) is never refused: when NAME is not passed the
    default is used and nothing is read from the environment.
    """
    allowed = {name for name in passed if not is_reserved(name)} | BUILT_IN
    refused: dict[str, Refused] = {}
    for text in texts:
        for name, has_default in variable_references(text):
            if name in allowed or has_default or name in refused:
                continue
            refused[name] = Refused(name, is_reserved(name))
    return list(refused.values())


def passed_values(passed: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The values of the passed-through names that are set (never a reserved one)."""
    return {n: environ[n] for n in passed if n in environ and not is_reserved(n)}


def admin_values(environ: Mapping[str, str]) -> dict[str, str]:
    """What a value written in threadwork.yaml may expand: anything but the bot's own."""
    return {n: v for n, v in environ.items() if not is_reserved(n)}


def _key(name: str) -> str:
    return f'"{name}"' if " " in name else name
