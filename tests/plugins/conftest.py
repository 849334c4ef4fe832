"""Shared paths and a bundle builder for the plugins tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REAL_PLUGINS = REPO / ".." / "shared" / "fixtures" / "real-plugins"
EXAMPLES = REPO / "examples" / "plugins"

Writer = Callable[[str, object], Path]


@pytest.fixture
def real_plugins() -> Path:
    # A missing fixture folder must fail loudly, not pass the suite by skipping it.
    assert REAL_PLUGINS.is_dir(), (
        "put the shared folder (with fixtures/real-plugins) beside the repo"
    )
    return REAL_PLUGINS


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    root.mkdir()
    return root


@pytest.fixture
def write(bundle: Path) -> Writer:
    """Write a file under the bundle: dicts/lists as JSON, strings as text."""

    def writer(relative: str, content: object) -> Path:
        path = bundle / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text, encoding="utf-8")
        return path

    return writer
