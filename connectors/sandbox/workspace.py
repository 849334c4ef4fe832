"""Per-task workspaces: one directory per task with `inputs/` and `outputs/`, shared by its agents.

The directory outlives worker restarts (it is on disk, under `THREADWORK_WORKSPACES`, a shared
volume when workers run on several machines) and is removed with the task. Paths the model names
are resolved with `inside`, so nothing outside the workspace is ever read or written for it.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from connectors.errors import SandboxError
from connectors.sandbox.limits import FileChange

SANDBOX_ROOT = "/workspace"
"""Where the workspace is mounted inside the sandbox (the working directory of code)."""
INPUTS = "inputs"
OUTPUTS = "outputs"
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

Snapshot = dict[str, tuple[int, int]]
"""Relative path → (size, mtime in ns) of every regular file of a workspace."""


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, resolved; raises `SandboxError` if it would leave `root`.

    `/workspace/…` (the path inside the sandbox) and `/…` both mean from the workspace's top.
    """
    base = root.resolve()
    if relative == SANDBOX_ROOT or relative.startswith(SANDBOX_ROOT + "/"):
        relative = relative[len(SANDBOX_ROOT) :]
    target = (base / relative.lstrip("/")).resolve()
    if target != base and base not in target.parents:
        raise SandboxError(f"{relative!r} is outside the workspace; use a path such as inputs/…")
    return target


@dataclass(frozen=True, slots=True)
class Workspace:
    task_id: str
    root: Path

    @property
    def inputs(self) -> Path:
        return self.root / INPUTS

    @property
    def outputs(self) -> Path:
        return self.root / OUTPUTS

    def path(self, relative: str) -> Path:
        return inside(self.root, relative)

    def snapshot(self) -> Snapshot:
        files: Snapshot = {}
        for directory, _, names in os.walk(self.root):
            for name in names:
                full = Path(directory, name)
                try:
                    stat = full.lstat()
                except OSError:
                    continue
                if full.is_symlink() or not full.is_file():
                    continue
                files[str(full.relative_to(self.root))] = (stat.st_size, stat.st_mtime_ns)
        return files

    def usage_bytes(self) -> int:
        total = 0
        for directory, _, names in os.walk(self.root):
            for name in names:
                try:
                    total += Path(directory, name).lstat().st_blocks * 512
                except OSError:
                    continue
        return total

    def changes(self, before: Snapshot) -> list[FileChange]:
        """Files created or modified since `before`, in path order."""
        after = self.snapshot()
        return [
            FileChange(path=path, size=size, new=path not in before)
            for path, (size, mtime) in sorted(after.items())
            if before.get(path) != (size, mtime)
        ]


class Workspaces:
    """The directory of every task's workspace. `owner` is the uid sandboxed code runs as."""

    def __init__(self, root: Path, *, owner: int | None = None) -> None:
        self.root = root.absolute()
        self._owner = owner

    def for_task(self, task_id: str) -> Workspace:
        """The task's workspace, created (with `inputs/` and `outputs/`) on first use."""
        if not _TASK_ID.match(task_id):
            raise SandboxError(f"{task_id!r} cannot name a workspace")
        self.root.mkdir(parents=True, exist_ok=True)
        # Others may pass through (the sandbox's uid must reach its own directory) but not list.
        self.root.chmod(0o711)
        workspace = Workspace(task_id, self.root / task_id)
        for directory in (workspace.root, workspace.inputs, workspace.outputs):
            if not directory.is_dir():
                directory.mkdir(mode=0o700, exist_ok=True)
                if self._owner is not None:
                    os.chown(directory, self._owner, self._owner)
        os.utime(workspace.root)  # last use: `sweep` removes what nobody used for a TTL
        return workspace

    def existing(self, task_id: str) -> Workspace | None:
        root = self.root / task_id
        return Workspace(task_id, root) if _TASK_ID.match(task_id) and root.is_dir() else None

    def remove(self, task_id: str) -> bool:
        """Delete the task's workspace; False if it had none."""
        workspace = self.existing(task_id)
        if workspace is None:
            return False
        shutil.rmtree(workspace.root, ignore_errors=True)
        return True

    def sweep(self, *, idle_s: float, now: float | None = None) -> list[str]:
        """Remove workspaces untouched for `idle_s` (their task's state expired); their task ids."""
        if not self.root.is_dir():
            return []
        cutoff = (now if now is not None else time.time()) - idle_s
        removed = []
        for entry in self.root.iterdir():
            if entry.is_dir() and _TASK_ID.match(entry.name) and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return removed
