"""The pool against real third-party servers over stdio (offline): git and time from PyPI,
everything, filesystem and memory from npm (`npm ci --prefix ci/npm`)."""

import asyncio
import logging
import subprocess

import pytest

from connectors import ConnectorPool, StdioSpec

SECRET = "ghp_0123456789abcdefSECRET"
BOUND = 30


def by_name(tools):
    return {t.name: t for t in tools}


@pytest.fixture
def git_repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "notes.txt").write_text("hello\n")
    return repo


async def test_git_server(git_repo, venv_server):
    repo = git_repo
    spec = StdioSpec(
        name="git", command=venv_server("mcp-server-git"), args=("--repository", str(repo))
    )
    async with ConnectorPool([spec]) as pool:
        tools = by_name(await asyncio.wait_for(pool.list_tools(), BOUND))
        assert tools["git_status"].read_only and not tools["git_status"].destructive
        # A commit changes the repository without being "destructive": it still needs approval.
        assert not tools["git_commit"].read_only and not tools["git_commit"].destructive
        assert not tools["git_reset"].read_only and tools["git_reset"].destructive
        status = await pool.call("git__git_status", {"repo_path": str(repo)})
        assert not status.is_error and "notes.txt" in status.text


async def test_time_server(venv_server):
    spec = StdioSpec(
        name="time", command=venv_server("mcp-server-time"), args=("--local-timezone", "UTC")
    )
    async with ConnectorPool([spec]) as pool:
        tools = by_name(await asyncio.wait_for(pool.list_tools(), BOUND))
        assert set(tools) == {"get_current_time", "convert_time"}
        assert all(t.read_only and t.idempotent and not t.open_world for t in tools.values())
        now = await pool.call("time__get_current_time", {"timezone": "UTC"})
        assert not now.is_error and '"timezone"' in now.text and "UTC" in now.text
        [status] = pool.status()
        assert status.protocol_version == "2026-07-28"


async def test_everything_server_redacts_credentials_passed_in_env(npm_server, caplog):
    caplog.set_level(logging.DEBUG)
    spec = StdioSpec(
        name="everything",
        command=npm_server("mcp-server-everything"),
        args=("stdio",),
        env={"GITHUB_TOKEN": SECRET},
        secrets=frozenset({SECRET}),
    )
    async with ConnectorPool([spec]) as pool:
        tools = by_name(await asyncio.wait_for(pool.list_tools(), BOUND))
        assert tools["get-env"].read_only and tools["echo"].read_only
        assert not tools["toggle-simulated-logging"].read_only
        env = await pool.call("everything__get-env", {})
        assert not env.is_error
        assert '"GITHUB_TOKEN": "[redacted]"' in env.text
        assert SECRET not in env.text
        echoed = await pool.call("everything__echo", {"message": f"token={SECRET}"})
        assert "token=[redacted]" in echoed.text

        steps: list[float] = []

        async def on_progress(progress, total, message):
            steps.append(progress)

        done = await pool.call(
            "everything__trigger-long-running-operation",
            {"duration": 0.3, "steps": 3},
            on_progress=on_progress,
        )
        assert not done.is_error and steps == [1.0, 2.0, 3.0]
        image = await pool.call("everything__get-tiny-image", {})
        assert "[image: image/png" in image.text
        assert pool.status()[0].protocol_version == "2025-11-25"
    assert SECRET not in caplog.text


async def test_filesystem_server(tmp_path, npm_server):
    (tmp_path / "plan.md").write_text("# Plan\nship it\n")
    spec = StdioSpec(name="fs", command=npm_server("mcp-server-filesystem"), args=(str(tmp_path),))
    async with ConnectorPool([spec]) as pool:
        tools = by_name(await asyncio.wait_for(pool.list_tools(), BOUND))
        assert tools["read_text_file"].read_only
        assert not tools["write_file"].read_only and tools["write_file"].destructive
        assert not tools["create_directory"].read_only
        assert not tools["create_directory"].destructive
        read = await pool.call("fs__read_text_file", {"path": str(tmp_path / "plan.md")})
        assert not read.is_error and "ship it" in read.text
        denied = await pool.call("fs__read_text_file", {"path": "/etc/hostname"})
        assert denied.is_error and "outside allowed directories" in denied.text


async def test_memory_server(tmp_path, npm_server):
    spec = StdioSpec(
        name="memory",
        command=npm_server("mcp-server-memory"),
        env={"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")},
    )
    async with ConnectorPool([spec]) as pool:
        tools = by_name(await asyncio.wait_for(pool.list_tools(), BOUND))
        assert tools["read_graph"].read_only
        # create_entities writes but is not marked destructive: it must not count as read-only.
        assert not tools["create_entities"].read_only
        assert not tools["create_entities"].destructive
        assert tools["delete_entities"].destructive
        graph = await pool.call("memory__read_graph", {})
        assert not graph.is_error and '"entities"' in graph.text
