"""`threadwork connectors check`: reach every configured MCP server and show what it offers;
`threadwork connectors connect NAME`: connect a `shared` connector's account for the workspace.

Per server: reachable or not (and why), protocol version, tool count, or how it signs in when it
needs people's accounts; per tool: whether it runs freely (read-only) or would wait for approval,
as governance decides it with the admin config.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable

from bot import messages
from bot.cli.startup import run_on_runtime
from bot.runtime import Runtime
from bot.settings import Settings
from connectors import Caller
from orchestrator.domain.governance import Allow, decide


def register(subparsers: argparse._SubParsersAction) -> None:
    connectors = subparsers.add_parser("connectors", help="MCP servers of the installed plugins")
    actions = connectors.add_subparsers(metavar="ACTION")
    check = actions.add_parser("check", help="connect to every server and list its tools")
    check.set_defaults(func=check_command, logs="quiet")
    connect = actions.add_parser(
        "connect", help="sign in a shared connector's account for the whole workspace"
    )
    connect.add_argument("name", metavar="NAME", help="the connector, plugin/server or server")
    connect.add_argument("--team", metavar="T", help="workspace (team id); default: the bot's")
    connect.set_defaults(func=connect_command, logs="quiet")


def connect_command(args: argparse.Namespace, settings: Settings) -> int:
    return run_on_runtime(settings, lambda runtime: connect_shared(runtime, args.name, args.team))


async def connect_shared(
    runtime: Runtime,
    name: str,
    team: str | None,
    *,
    poll_s: float = 1.0,
    say: Callable[[str], None] = print,
) -> int:
    """Print the sign-in link of a shared connector, wait for the callback (received by the
    running bot), and say when the workspace's account is connected."""
    await runtime.core.open()
    try:
        return await _connect_shared(runtime, name, team, poll_s, say)
    finally:
        await runtime.aclose()


async def _connect_shared(
    runtime: Runtime, name: str, team: str | None, poll_s: float, say: Callable[[str], None]
) -> int:
    pool, signins = runtime.core.pool, runtime.core.signins
    label = next((s.label for s in pool.specs if name in (s.label, s.name)), name)
    if signins is None:
        print(messages.sign_ins_off(), file=sys.stderr)
        return 1
    if pool.mode(label) != "shared":
        print(messages.not_shared(label, pool.mode(label)), file=sys.stderr)
        return 1
    team_id = team or str((await runtime.slack.auth_test()).get("team_id") or "")
    if not team_id:
        print(messages.team_needed(), file=sys.stderr)
        return 1
    url, expires_at = await signins.connect_shared(label, team_id)
    say(messages.connect_shared_link(label, team_id, url))
    caller = Caller(team_id=team_id, user_id="")
    while time.time() < expires_at:
        if label not in await pool.unconnected(caller):
            say(messages.connected_shared(label, team_id))
            return 0
        await asyncio.sleep(poll_s)
    print(messages.connect_timed_out(label), file=sys.stderr)
    return 1


def check_command(args: argparse.Namespace, settings: Settings) -> int:
    return run_on_runtime(settings, _check)


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
