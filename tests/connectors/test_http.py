"""The pool over Streamable HTTP against our own server run in-process with uvicorn."""

import asyncio
import contextlib
import socket

import pytest
import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

from connectors import ConnectorPool, HttpSpec

TOKEN = "bearer-9c1e5a0f7d"
BOUND = 20


def http_server() -> MCPServer:
    server = MCPServer("http-toolbox")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    async def whoami(ctx: Context) -> str:
        """Echo the Authorization header the server received."""
        return (ctx.headers or {}).get("authorization", "(none)")

    return server


@pytest.fixture
async def http_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = http_server().streamable_http_app()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(BOUND):
        while not server.started:
            await asyncio.sleep(0)  # yield to the server task; bounded by the timeout
            if task.done():
                task.result()
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, BOUND)


async def test_headers_are_sent_and_redacted_from_results(http_url, caplog):
    spec = HttpSpec(
        name="remote",
        url=http_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        secrets=frozenset({TOKEN}),
    )
    async with ConnectorPool([spec]) as pool:
        tools = await asyncio.wait_for(pool.list_tools(), BOUND)
        assert [t.model_name for t in tools] == ["remote__whoami"]
        result = await pool.call("remote__whoami", {})
        assert result.text == "Bearer [redacted]"
        [status] = pool.status()
        assert status.reachable and status.kind == "http"
    assert TOKEN not in caplog.text


async def test_unreachable_url_is_reported_not_raised():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = HttpSpec(name="down", url=f"http://127.0.0.1:{port}/mcp", connect_timeout_s=5)
    async with ConnectorPool([spec]) as pool:
        [status] = await asyncio.wait_for(pool.check(), BOUND)
        assert not status.reachable
        assert status.error == (
            f"cannot reach http://127.0.0.1:{port}/mcp — check "
            "connectors.down.url in threadwork.yaml and that the server runs"
        )
        result = await pool.call("down__anything", {})
        assert result.is_error and "unavailable" in result.text
