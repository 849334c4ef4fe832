"""What one sandboxed run may use, and what a run produced: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Language = Literal["python", "bash"]
Stopped = Literal["timeout", "output", "disk"]
MB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxLimits:
    """Per-run limits (`threadwork.yaml` `execution:`); `disk_mb` bounds the whole workspace."""

    timeout_s: float = 60.0
    memory_mb: int = 1024
    disk_mb: int = 1024
    processes: int = 256
    output_bytes: int = 1 * MB
    """Bytes kept of each of stdout and stderr; a run that writes more is stopped."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """A workspace file a run created or modified (path relative to the workspace)."""

    path: str
    size: int
    new: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    exit_code: int | None
    """The program's exit status; negative for a signal; None when it never started."""
    stdout: str
    stderr: str
    stdout_cut: int = 0
    """Bytes of stdout beyond `output_bytes` that were dropped."""
    stderr_cut: int = 0
    duration_s: float = 0.0
    stopped: Stopped | None = None
    """Why the sandbox stopped the run before it ended on its own."""
    changed: list[FileChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.stopped is None
