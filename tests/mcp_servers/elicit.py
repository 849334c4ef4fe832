"""A stdio MCP server whose tools ask the person for input mid-call (elicitation).

`configure_deploy` asks for a form (enum, integer, boolean and string fields); `link_account`
asks the person to visit a page (URL mode). Both use the 2026-07-28 multi-round-trip flow: the
first answer is an `InputRequiredResult`, the retry carries the person's reply. Each reply the
server receives is appended as a JSON line to `$ELICIT_LOG` when set, so tests see the server's
side; a decline or cancel is a normal (not error) result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

DEPLOY_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "environment": {
            "type": "string",
            "title": "Environment",
            "enum": ["staging", "production"],
        },
        "replicas": {"type": "integer", "title": "Replicas", "minimum": 1, "maximum": 10},
        "notify": {"type": "boolean", "title": "Notify the on-call channel"},
        "note": {"type": "string", "title": "Release note", "maxLength": 200},
    },
    "required": ["environment", "replicas"],
}
READ_ONLY = types.ToolAnnotations(read_only_hint=True)
TOOLS = [
    types.Tool(
        name="configure_deploy",
        description="Prepare a deployment; asks the person for its settings.",
        input_schema={"type": "object", "properties": {"service": {"type": "string"}}},
        annotations=READ_ONLY,
    ),
    types.Tool(
        name="link_account",
        description="Link the person's billing account; asks them to visit a page.",
        input_schema={"type": "object", "properties": {}},
        annotations=READ_ONLY,
    ),
]
LINK_URL = "https://billing.example.test/link?session=s-42"


async def list_tools(
    ctx: object, params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    return types.ListToolsResult(tools=TOOLS)


def _record(tool: str, reply: Any) -> None:
    path = os.environ.get("ELICIT_LOG")
    if path:
        with Path(path).open("a") as log:
            log.write(json.dumps({"tool": tool, "reply": reply}) + "\n")


def _text(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)])


def _ask(key: str, params: types.ElicitRequestParams) -> types.InputRequiredResult:
    return types.InputRequiredResult(
        input_requests={key: types.ElicitRequest(params=params)}, request_state=key
    )


async def call_tool(
    ctx: object, params: types.CallToolRequestParams
) -> types.CallToolResult | types.InputRequiredResult:
    responses = params.input_responses or {}
    if params.name == "configure_deploy":
        service = (params.arguments or {}).get("service", "app")
        reply = responses.get("deploy")
        if reply is None:
            return _ask(
                "deploy",
                types.ElicitRequestFormParams(
                    message=f"How should {service} be deployed?", requested_schema=DEPLOY_FORM
                ),
            )
        data = reply.model_dump(mode="json", exclude_none=True)
        _record("configure_deploy", data)
        if data.get("action") != "accept":
            return _text(f"The person chose {data.get('action')}; nothing was deployed.")
        return _text(f"Deploy of {service} prepared with {json.dumps(data.get('content'))}.")
    if params.name == "link_account":
        reply = responses.get("link")
        if reply is None:
            return _ask(
                "link",
                types.ElicitRequestURLParams(
                    message="Link your billing account on the billing site.", url=LINK_URL
                ),
            )
        data = reply.model_dump(mode="json", exclude_none=True)
        _record("link_account", data)
        return _text(f"Link step answered: {data.get('action')}.")
    return types.CallToolResult(
        content=[types.TextContent(text=f"Unknown tool: {params.name}")], is_error=True
    )


server = Server("elicit", on_list_tools=list_tools, on_call_tool=call_tool)


async def main() -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
