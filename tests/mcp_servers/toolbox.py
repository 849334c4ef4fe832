"""A stdio MCP server with tools that exercise the connector: sleeps, crashes, big and binary
outputs, environment reads, changing tool lists. Run: python tests/mcp_servers/toolbox.py"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
    ToolAnnotations,
)

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
server = MCPServer("toolbox", version="1.0.0")


@server.tool(annotations=READ_ONLY)
def echo(text: str) -> str:
    """Return the text unchanged.

    A second line that catalogues should not show."""
    return text


@server.tool(annotations=READ_ONLY)
def pid() -> int:
    """Process id of this server."""
    return os.getpid()


@server.tool(annotations=READ_ONLY)
def env(name: str) -> str:
    """Value of one environment variable of the server process."""
    return os.environ.get(name, "(unset)")


@server.tool(annotations=READ_ONLY)
def env_names() -> list[str]:
    """Names of all environment variables of the server process."""
    return sorted(os.environ)


@server.tool(annotations=READ_ONLY)
async def sleep(seconds: float, ctx: Context) -> str:
    """Report progress once, then sleep."""
    await ctx.report_progress(0, seconds, f"sleeping in {os.getpid()}")
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool(annotations=ToolAnnotations(destructive_hint=False))
def crash() -> str:
    """Exit the process at once."""
    os._exit(3)


@server.tool(annotations=READ_ONLY)
def big(chars: int) -> str:
    """A text of the given length."""
    return "x" * chars


@server.tool()
def fail(reason: str) -> str:
    """Raise an error with the reason."""
    raise ToolError(reason)


@server.tool(annotations=READ_ONLY)
def shout_env(name: str) -> str:
    """Write an environment variable's value to stderr and to the result."""
    value = os.environ.get(name, "")
    print(f"debug: {name}={value}", file=sys.stderr, flush=True)
    return f"{name} is {value}"


@server.tool(annotations=READ_ONLY)
def media() -> CallToolResult:
    """An image, a resource link and two embedded resources."""
    png = base64.b64encode(b"\x89PNG" + b"\0" * 96).decode()
    return CallToolResult(
        content=[
            TextContent(text="here you go"),
            ImageContent(data=png, mime_type="image/png"),
            ResourceLink(
                uri="file:///tmp/report.pdf", name="report", mime_type="application/pdf", size=2048
            ),
            EmbeddedResource(
                resource=BlobResourceContents(
                    uri="mem://blob",
                    mime_type="application/octet-stream",
                    blob=base64.b64encode(b"\1" * 300).decode(),
                )
            ),
            EmbeddedResource(
                resource=TextResourceContents(
                    uri="mem://note", mime_type="text/plain", text="note body"
                )
            ),
        ]
    )


@server.tool()
async def add_tool(name: str, ctx: Context) -> str:
    """Register a new tool and announce the change."""

    def extra() -> str:
        return name

    server.add_tool(extra, name=name, description=f"added {name}")
    # Handshake-era sessions get the notification; 2026-07-28 sessions get a listen event.
    with contextlib.suppress(Exception):
        await ctx.session.send_tool_list_changed()
    await ctx.notify_tools_changed()
    return f"added {name}"


if __name__ == "__main__":
    server.run("stdio")
