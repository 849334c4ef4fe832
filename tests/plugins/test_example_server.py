"""The example plugin's MCP server starts over stdio, as declared, and lists its tools."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from plugins import ConnectorOverride, PluginRegistry, resolve_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plugins"


async def test_notes_server_lists_read_only_and_side_effecting_tools(tmp_path: Path) -> None:
    plugin = PluginRegistry.load([EXAMPLES]).plugins["ops-notes"]
    notes_file = tmp_path / "notes.json"
    resolved = resolve_server(
        plugin.mcp_servers["notes"],
        ConnectorOverride(pass_env=["OPS_NOTES_FILE"]),
        {"OPS_NOTES_FILE": str(notes_file)},
    )
    assert resolved.command == "python"  # the orchestrator swaps in its own interpreter
    params = StdioServerParameters(
        command=sys.executable, args=list(resolved.args), env=dict(resolved.env)
    )

    async def exercise() -> dict[str, object]:
        async with Client(params, read_timeout_seconds=10) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            added = await client.call_tool("add_note", {"title": "DB failover", "text": "steps"})
            found = await client.call_tool("search_notes", {"query": "failover"})
            return {"tools": tools, "added": added, "found": found}

    result = await asyncio.wait_for(exercise(), 30)
    tools = result["tools"]
    assert isinstance(tools, dict) and set(tools) == {"search_notes", "add_note"}
    assert tools["search_notes"].annotations.read_only_hint is True
    assert tools["add_note"].annotations.read_only_hint is False
    assert tools["add_note"].annotations.idempotent_hint is False
    assert not result["added"].is_error  # type: ignore[attr-defined]
    assert "DB failover" in str(result["found"].structured_content)  # type: ignore[attr-defined]
    assert "DB failover" in notes_file.read_text(encoding="utf-8")
