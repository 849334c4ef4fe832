"""Running code: the sandbox and the per-task workspaces it runs in."""

from __future__ import annotations

from typing import Protocol

from connectors.sandbox import Language, RunResult, SandboxLimits, Workspace


class Sandbox(Protocol):
    """Runs code isolated from the host, with only the task's workspace (`connectors.sandbox`)."""

    async def run(
        self, workspace: Workspace, language: Language, code: str, limits: SandboxLimits
    ) -> RunResult:
        """Run `code` to its end or a limit; raises `connectors.errors.SandboxError` only when
        the sandbox itself cannot run (never for what the code does)."""
        ...


class WorkspaceStore(Protocol):
    """Every task's workspace directory (`connectors.sandbox.Workspaces`)."""

    def for_task(self, task_id: str) -> Workspace:
        """The task's workspace, created on first use."""
        ...

    def existing(self, task_id: str) -> Workspace | None: ...

    def remove(self, task_id: str) -> bool: ...

    def sweep(self, *, idle_s: float, now: float | None = None) -> list[str]:
        """Remove workspaces unused for `idle_s`; returns their task ids."""
        ...
