"""Exceptions raised by the plugins package (one tree, rooted at `PluginError`).

Loading never raises for a broken bundle: problems are collected as values (`problems.Problem`).
These exceptions are for calls a caller makes on loaded values (reading a skill's file, resolving
a server) and for an admin config that cannot be used.
"""

from __future__ import annotations

from pathlib import Path


class PluginError(Exception):
    """Base class; `path` is the file or folder concerned, `message` says what to do."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class SkillFileError(PluginError):
    """A skill asked for a file that is missing, unreadable or outside its plugin folder."""


class ConfigError(PluginError):
    """The admin config file cannot be used; `errors` holds one line per bad key."""

    def __init__(self, errors: list[str], *, path: Path | None = None) -> None:
        super().__init__("\n".join(errors), path=path)
        self.errors = tuple(errors)


class ServerConfigError(PluginError):
    """An MCP server cannot be started as configured (missing url/command, unset variables)."""

    def __init__(self, message: str, *, server: str, path: Path | None = None) -> None:
        super().__init__(message, path=path)
        self.server = server
