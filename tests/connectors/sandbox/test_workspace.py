"""Workspaces on disk: layout, paths that cannot leave them, change lists, clean-up."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from connectors.errors import SandboxError
from connectors.sandbox import Workspaces, inside


def test_a_workspace_has_inputs_and_outputs_and_is_private(tmp_path: Path) -> None:
    workspace = Workspaces(tmp_path / "ws").for_task("task_1")
    assert sorted(p.name for p in workspace.root.iterdir()) == ["inputs", "outputs"]
    assert workspace.root.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "ws").stat().st_mode & 0o777 == 0o711, "others may pass, not list"


@pytest.mark.parametrize("path", ["../other", "/etc/passwd", "inputs/../../x", "a/../../b"])
def test_paths_that_leave_the_workspace_are_refused(tmp_path: Path, path: str) -> None:
    root = tmp_path / "w"
    root.mkdir()
    if path.startswith("/"):
        assert inside(root, path) == root / path.lstrip("/"), "absolute means from the workspace"
        return
    with pytest.raises(SandboxError, match="outside the workspace"):
        inside(root, path)


def test_the_sandboxs_own_path_names_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    assert inside(root, "/workspace/inputs/a.csv") == root.resolve() / "inputs" / "a.csv"
    assert inside(root, "/workspace") == root.resolve()


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(SandboxError):
        inside(root, "link/secret")


def test_changes_list_new_and_modified_files(tmp_path: Path) -> None:
    workspace = Workspaces(tmp_path / "ws").for_task("task_1")
    (workspace.inputs / "a.csv").write_text("1")
    before = workspace.snapshot()
    (workspace.outputs / "b.png").write_bytes(b"22")
    (workspace.inputs / "a.csv").write_text("111")
    changes = {c.path: (c.size, c.new) for c in workspace.changes(before)}
    assert changes == {"inputs/a.csv": (3, False), "outputs/b.png": (2, True)}


def test_task_ids_that_are_not_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SandboxError):
        Workspaces(tmp_path).for_task("../escape")


def test_sweep_removes_only_workspaces_unused_for_the_ttl(tmp_path: Path) -> None:
    workspaces = Workspaces(tmp_path / "ws")
    old = workspaces.for_task("task_old")
    workspaces.for_task("task_new")
    past = time.time() - 7200
    os.utime(old.root, (past, past))
    assert workspaces.sweep(idle_s=3600) == ["task_old"]
    assert workspaces.existing("task_old") is None
    assert workspaces.existing("task_new") is not None
    assert workspaces.remove("task_new") and not workspaces.remove("task_new")
