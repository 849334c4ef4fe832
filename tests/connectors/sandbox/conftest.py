"""A real bubblewrap sandbox and a workspaces directory it can reach, for the engine's tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sandbox import BubblewrapSandbox, SandboxLimits, Workspaces

REPO = Path(__file__).resolve().parents[3]
FAST = SandboxLimits(timeout_s=5, memory_mb=512, disk_mb=64, processes=64)


@pytest.fixture
def sandbox() -> BubblewrapSandbox:
    engine = BubblewrapSandbox(venv=REPO / ".venv-sandbox")
    if engine.bwrap is None:
        pytest.fail("bubblewrap is missing: `./dev test` installs it (apt-get install bubblewrap)")
    return engine


@pytest.fixture
def workspaces(sandbox: BubblewrapSandbox) -> Iterator[Workspaces]:
    # Not under pytest's tmp_path: its 0700 parents would keep the sandbox's uid out.
    root = Path(tempfile.mkdtemp(prefix="tw-workspaces-"))
    root.chmod(0o711)
    yield Workspaces(root, owner=sandbox.owner)
    shutil.rmtree(root, ignore_errors=True)
