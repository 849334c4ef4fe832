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
    if not REAL_PLUGINS.is_dir():
        pytest.skip("../shared/fixtures/real-plugins is not beside the repository")
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
