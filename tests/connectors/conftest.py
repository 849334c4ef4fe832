"""Locating the MCP servers the connector tests run: our own (tests/mcp_servers), the PyPI ones
in the venv, and the npm ones installed by `npm ci --prefix ci/npm`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from connectors import StdioSpec

REPO = Path(__file__).resolve().parents[2]
OUR_SERVERS = REPO / "tests" / "mcp_servers"
NPM_BIN = REPO / "ci" / "npm" / "node_modules" / ".bin"


def _npm_server(name: str) -> str:
    path = NPM_BIN / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: install the npm MCP servers with "
            "`npm ci --prefix ci/npm` (from the repository root)",
            pytrace=False,
        )
    return str(path)


def _venv_server(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: install the test extra with `.venv/bin/pip install -e '.[test]'`",
            pytrace=False,
        )
    return str(path)


def _our_server(script: str, name: str | None = None, **kw: Any) -> StdioSpec:
    return StdioSpec(
        name=name or Path(script).stem,
        command=sys.executable,
        args=(str(OUR_SERVERS / script),),
        **kw,
    )


@pytest.fixture
def npm_server() -> Any:
    """`npm_server("mcp-server-memory")` -> path of the installed npm server binary."""
    return _npm_server


@pytest.fixture
def venv_server() -> Any:
    """`venv_server("mcp-server-git")` -> path of the PyPI server installed in this venv."""
    return _venv_server


@pytest.fixture
def our_server() -> Any:
    """`our_server("toolbox.py", **spec_fields)` -> a StdioSpec running one of our servers."""
    return _our_server
