"""Problem reports: what is wrong with a bundle, where, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding. `message` says what is wrong and what to do next."""

    severity: Severity
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


@dataclass
class Problems:
    """Collects problems while a bundle is read; readers never raise for bad input."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: Path, message: str) -> None:
        self.items.append(Problem("error", path, message))

    def warning(self, path: Path, message: str) -> None:
        self.items.append(Problem("warning", path, message))

    def extend(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.items.extend(problems)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.items)

    def freeze(self) -> tuple[Problem, ...]:
        return tuple(self.items)
