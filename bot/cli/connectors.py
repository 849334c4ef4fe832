"""`threadwork connectors check`: reach every configured MCP server and show what it offers.

Per server: reachable or not (and why), protocol version, tool count, or how it signs in when it
needs people's accounts; per tool: whether it runs freely (read-only) or would wait for approval,
as governance decides it with the admin config.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot import messages
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from orchestrator.domain.governance import Allow, decide
from plugins import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    connectors = subparsers.add_parser("connectors", help="MCP servers of the installed plugins")
    actions = connectors.add_subparsers(metavar="ACTION")
    check = actions.add_parser("check", help="connect to every server and list its tools")
    check.set_defaults(func=check_command, logs="quiet")


def check_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        runtime = build_runtime(settings)
    except ConfigError as exc:
        print(messages.config_invalid(settings.config_path, exc.errors), file=sys.stderr)
        return 1
    return asyncio.run(_check(runtime))


async def _check(runtime: Runtime) -> int:
    await runtime.core.open()
    try:
        statuses = await runtime.core.pool.check()
        tools = await runtime.core.pool.list_tools()
    finally:
        await runtime.aclose()
    for item in runtime.core.unavailable:
        print(f"✗ {item.server}: {item.reason}")
    for status in statuses:
        print(status.line())
        for tool in tools:
            if (tool.namespace, tool.server) != (status.namespace, status.server):
                continue
            rule = runtime.core.config.approvals.rule_for(tool.model_name)
            decision = decide(read_only=tool.read_only, rule=rule, enabled=True)
            kind = "read-only, runs freely" if isinstance(decision, Allow) else "needs approval"
            print(f"    {tool.model_name:<48} {kind}")
    if not statuses and not runtime.core.unavailable:
        print("no MCP servers configured (see plugins and connectors in threadwork.yaml)")
    failed = bool(runtime.core.unavailable) or not all(s.reachable for s in statuses)
    return 1 if failed else 0
