"""Variable expansion: `${VAR}` / `${VAR:-default}` in server configs, `$ARGUMENTS` in prompts.

Every function takes the values to substitute explicitly; nothing here reads the process
environment, so what reaches a connector is exactly what the caller chose to pass.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_.]*)(?::-(?P<default>[^}]*))?\}")
# `$ARGUMENTS[N]`, `$ARGUMENTS`, and `$1`..`$9` but not money such as `$2.3M`, `$50K`, `$5M`.
_ARGUMENT_TOKEN = re.compile(
    r"\$ARGUMENTS\[(?P<indexed>[0-9]+)\]"
    r"|\$ARGUMENTS\b"
    r"|(?<![\\$])\$(?P<number>[1-9])(?![0-9A-Za-z_]|[.,][0-9])"
)


@dataclass(frozen=True)
class Expanded:
    """Result of expanding one string: the text, the variables that had no value, and the names
    whose value was substituted (so the caller can treat those values as secrets)."""

    text: str
    missing: tuple[str, ...] = ()
    used: tuple[str, ...] = ()


def expand_variables(text: str, env: Mapping[str, str]) -> Expanded:
    """Replace `${VAR}` and `${VAR:-default}` from `env`; unset names without a default stay."""
    missing: list[str] = []
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        value = env.get(name)
        if value is not None and (value != "" or default is None):
            used.append(name)
            return value
        if default is not None:
            return default
        missing.append(name)
        return match[0]

    return Expanded(_VARIABLE.sub(replace, text), tuple(missing), tuple(used))


def variable_names(text: str) -> tuple[str, ...]:
    """Names referenced as `${NAME}` in `text`."""
    return tuple(match["name"] for match in _VARIABLE.finditer(text))


def variable_references(text: str) -> tuple[tuple[str, bool], ...]:
    """`(name, has_default)` for every `${NAME}` / `${NAME:-default}` in `text`."""
    return tuple((m["name"], m["default"] is not None) for m in _VARIABLE.finditer(text))


def has_variable(text: str) -> bool:
    return _VARIABLE.search(text) is not None


def without_variables(text: str) -> str:
    """`text` with every `${...}` reference removed (what would be a literal after expansion)."""
    return _VARIABLE.sub("", text)


def substitute_tokens(text: str, values: Mapping[str, str]) -> str:
    """Replace only the `${NAME}` tokens named in `values`; any other `${...}` is left as is."""

    def replace(match: re.Match[str]) -> str:
        return values.get(match["name"], match[0])

    return _VARIABLE.sub(replace, text)


def expand_arguments(body: str, arguments: str) -> str:
    """Fill `$ARGUMENTS`, `$ARGUMENTS[N]` (0-based) and `$1`..`$9` (1-based) in a prompt.

    One pass, so text inside the arguments is never substituted again. If the prompt names
    none of the tokens and arguments were given, they are appended as `ARGUMENTS: ...`, as
    Claude Code does, so the input is never silently dropped.
    """
    positional = _split_arguments(arguments)
    found = False

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        found = True
        if match["indexed"] is not None:
            return _nth(positional, int(match["indexed"]))
        if match["number"] is not None:
            return _nth(positional, int(match["number"]) - 1)
        return arguments

    text = _ARGUMENT_TOKEN.sub(replace, body)
    if not found and arguments.strip():
        text = f"{text.rstrip()}\n\nARGUMENTS: {arguments}"
    return text


def _nth(values: list[str], index: int) -> str:
    return values[index] if index < len(values) else ""


def _split_arguments(arguments: str) -> list[str]:
    try:
        return shlex.split(arguments)
    except ValueError:
        # An unbalanced quote in free text is normal chat input, not an error.
        return arguments.split()
